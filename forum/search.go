package forum

import (
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/glossary"
	"github.com/circularfairict/portal/store"
)

// SearchQuery is a search over threads and posts. CategoryIDs are the
// categories the searcher may see; the other fields are optional filters.
type SearchQuery struct {
	Query       glossary.Query
	CategoryIDs []string
	GroupID     string // "" any; the portal-wide categories are filtered by CategoryIDs
	AuthorID    string
	Tag         string
	Solved      string // "", "yes", "no"
	Limit       int
}

// Hit is one thread found, with the post that matched best.
type Hit struct {
	Thread *Thread
	N      int // matching post (1 when the title or opening post matched)
	// Via lists the glossary concepts the thread matched through another
	// term than the one typed; nil when it contains the words typed.
	Via []string
}

// Search finds threads whose title, tags or posts contain every word of the
// query (each word matching in any of the four languages, or through the
// glossary concept it names, in another language), using the terms arrays
// and their multikey indexes, never $text: three queries whatever the number
// of matches. Threads that contain the words typed come first.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]Hit, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if len(q.CategoryIDs) == 0 {
		return nil, nil
	}
	base := bson.M{"category_id": bson.M{"$in": q.CategoryIDs}}
	if q.GroupID != "" {
		base["group_id"] = q.GroupID
	}
	terms := bson.A{}
	for _, g := range q.Query.Groups() {
		terms = append(terms, store.TermsFilter("terms", g.Alternatives()))
	}
	// Telling a direct match from one through a concept's other terms
	// needs the terms of the matches, only when the query has such terms.
	expanded := q.Query.Expanded()
	direct := map[string]bool{}
	via := map[string][]string{}
	note := func(threadID string, terms []string) {
		if !expanded {
			direct[threadID] = true
			return
		}
		if _, v := q.Query.Match(terms); len(v) == 0 {
			direct[threadID] = true
		} else {
			via[threadID] = appendNew(via[threadID], v...)
		}
	}
	hits := map[string]int{}
	if len(terms) > 0 {
		var posts []Post
		pf := bson.M{"$and": append(bson.A{base, bson.M{"deleted": false, "hidden": false, "held": false}}, terms...)}
		if q.AuthorID != "" {
			pf["author_id"] = q.AuthorID
		}
		proj := bson.M{"thread_id": 1, "n": 1}
		if expanded {
			proj["terms"] = 1
		}
		if err := s.findAll(ctx, colPosts, pf, options.Find().SetProjection(proj).SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(1000), &posts); err != nil {
			return nil, err
		}
		for _, p := range posts {
			note(p.ThreadID, p.Terms)
			if n, ok := hits[p.ThreadID]; !ok || p.N < n {
				hits[p.ThreadID] = p.N
			}
		}
		var titled []Thread
		tq := bson.A{base}
		if q.AuthorID != "" {
			tq = append(tq, bson.M{"author_id": q.AuthorID})
		}
		proj = bson.M{"_id": 1}
		if expanded {
			proj["terms"] = 1
		}
		if err := s.findAll(ctx, colThreads, bson.M{"$and": append(tq, terms...)}, options.Find().SetProjection(proj).SetLimit(1000), &titled); err != nil {
			return nil, err
		}
		for _, t := range titled {
			hits[t.ID] = 1
			note(t.ID, t.Terms)
		}
		if len(hits) == 0 {
			return nil, nil
		}
	}
	tf := bson.M{"held": false}
	for k, v := range base {
		tf[k] = v
	}
	if len(terms) > 0 {
		ids := make([]string, 0, len(hits))
		for id := range hits {
			ids = append(ids, id)
		}
		tf["_id"] = bson.M{"$in": ids}
	} else if q.AuthorID != "" {
		tf["author_id"] = q.AuthorID
	}
	if q.Tag != "" {
		tf["tags"] = q.Tag
	}
	switch q.Solved {
	case "yes":
		tf["kind"], tf["accepted"] = KindQuestion, bson.M{"$gt": 0}
	case "no":
		tf["kind"], tf["accepted"] = KindQuestion, 0
	}
	var ts []*Thread
	if err := s.findAll(ctx, colThreads, tf, options.Find().SetSort(bson.D{{Key: "last_post_at", Value: -1}}).SetLimit(int64(q.Limit)).SetProjection(bson.M{"terms": 0}), &ts); err != nil {
		return nil, err
	}
	out := make([]Hit, 0, len(ts))
	for _, t := range ts {
		n := hits[t.ID]
		if n == 0 {
			n = 1
		}
		h := Hit{Thread: t, N: n}
		if !direct[t.ID] {
			h.Via = via[t.ID]
		}
		out = append(out, h)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Via == nil) != (out[j].Via == nil) {
			return out[i].Via == nil
		}
		return out[i].Thread.LastPostAt.After(out[j].Thread.LastPostAt)
	})
	return out, nil
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}
