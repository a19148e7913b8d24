package server

import (
	"time"

	"context"
	"html/template"
	"slices"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// authorView is what a post shows of its author.
type authorView struct {
	ID, Name, Organisation string
	Former                 bool
}

// reactionView is one reaction button of a post.
type reactionView struct {
	Key, Symbol string
	Count       int
	Mine        bool
}

// postView is a post as one viewer sees it, with their rights.
type postView struct {
	ThreadID string
	N        int
	Author   authorView
	HTML     template.HTML // sanitised at write time (forum.Renderer)
	Created  string
	At       time.Time // Created as a time, for the datetime attribute the script formats
	Edited   bool
	Deleted  bool
	Hidden   bool
	Reason   string // hiding reason, for the author and moderators
	Held     bool
	ShowBody bool
	Accepted bool
	Unread   bool
	Cards    []ResourceCard
	Reacts   []reactionView

	CanEdit, CanDelete, CanReact, CanAccept, CanFlag, CanModerate, CanQuote bool
}

// postCtx is what the "post" template receives.
type postCtx struct {
	P *Page
	V *postView
}

// threadRights are a viewer's rights in one thread.
type threadRights struct {
	Reply, Moderate, Accept, React, Flag bool
}

func rightsFor(m *auth.Member, t *forum.Thread, ci catInfo) threadRights {
	vis := ci.Cat.Visibility
	return threadRights{
		Reply:    auth.CanReply(m, ci.Group, vis, t.Closed, t.Locked),
		Moderate: auth.CanModerate(m, ci.Group),
		Accept:   t.Kind == forum.KindQuestion && auth.CanAcceptAnswer(m, ci.Group, t.AuthorID) && !t.Locked,
		React:    auth.CanReact(m, ci.Group, vis, t.Locked),
		Flag:     auth.CanFlag(m, ci.Group, vis),
	}
}

// postViews builds the views of posts with one query for their authors and
// one for resource cards, whatever their number.
func (s *Server) postViews(ctx context.Context, m *auth.Member, t *forum.Thread, ci catInfo, posts []*forum.Post, readUpTo int) ([]*postView, error) {
	authorIDs := make([]string, 0, len(posts))
	var resIDs []string
	for _, p := range posts {
		if !slices.Contains(authorIDs, p.AuthorID) {
			authorIDs = append(authorIDs, p.AuthorID)
		}
		resIDs = append(resIDs, p.Resources...)
	}
	if t.ResourceID != "" {
		resIDs = append(resIDs, t.ResourceID)
	}
	authors, err := s.auth.MembersByID(ctx, authorIDs)
	if err != nil {
		return nil, err
	}
	cards := map[string]ResourceCard{}
	if s.cards != nil && len(resIDs) > 0 {
		if cards, err = s.cards.Cards(ctx, m, resIDs); err != nil {
			return nil, err
		}
	}
	return buildPostViews(m, t, ci, posts, authors, cards, readUpTo), nil
}

// buildPostViews is the database-free part, shared with the benchmark.
func buildPostViews(m *auth.Member, t *forum.Thread, ci catInfo, posts []*forum.Post, authors map[string]*auth.Member, cards map[string]ResourceCard, readUpTo int) []*postView {
	r := rightsFor(m, t, ci)
	memberID := ""
	if m != nil {
		memberID = m.ID
	}
	out := make([]*postView, 0, len(posts))
	for _, p := range posts {
		v := &postView{ThreadID: t.ID, N: p.N, At: p.CreatedAt, Created: p.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), Edited: !p.EditedAt.IsZero() && !p.Deleted,
			Deleted: p.Deleted, Hidden: p.Hidden, Held: p.Held, Accepted: t.Accepted == p.N && p.N > 1,
			Unread: memberID != "" && p.N > readUpTo}
		if a := authors[p.AuthorID]; a != nil && a.Status != auth.StatusDeleted {
			v.Author = authorView{ID: a.ID, Name: a.Name, Organisation: a.Organisation}
		} else {
			v.Author = authorView{Former: true}
		}
		mine := memberID != "" && p.AuthorID == memberID
		v.ShowBody = !p.Deleted && (!p.Hidden || r.Moderate || mine)
		if p.Hidden && (r.Moderate || mine) {
			v.Reason = p.HiddenReason
		}
		if v.ShowBody {
			v.HTML = template.HTML(p.HTML) // #nosec: sanitised by bluemonday when stored
			for _, id := range p.Resources {
				if card, ok := cards[id]; ok {
					v.Cards = append(v.Cards, card)
				}
			}
		}
		if !p.Deleted && !p.Held {
			for _, key := range forum.Reactions {
				who := p.Reactions[key]
				v.Reacts = append(v.Reacts, reactionView{Key: key, Symbol: forum.ReactionSymbol[key], Count: len(who), Mine: slices.Contains(who, memberID)})
			}
		}
		if !p.Deleted {
			v.CanEdit = auth.CanEditPost(m, ci.Group, p.AuthorID, t.Locked)
			v.CanDelete = auth.CanDeletePost(m, ci.Group, p.AuthorID, t.Locked)
			v.CanReact = r.React && !p.Held && !p.Hidden
			v.CanAccept = r.Accept && p.N > 1 && !p.Held && !p.Hidden
			v.CanFlag = r.Flag && !mine && !p.Held && m != nil
			v.CanModerate = r.Moderate
			v.CanQuote = r.Reply && v.ShowBody && !p.Held
		}
		out = append(out, v)
	}
	return out
}
