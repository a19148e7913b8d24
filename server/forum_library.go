package server

import (
	"context"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
)

// libraryBridge fills the discussions' library seams (ResourceCards and
// LibrarySearch in forum.go) with the library service, applying the
// library's own visibility rule for the viewer.
type libraryBridge struct{ s *Server }

func discussionCard(r *resources.Resource) ResourceCard {
	return ResourceCard{ID: r.ID, Title: r.Title, Summary: r.Summary, Kind: r.Type, URL: "/library/" + r.ID}
}

// Cards returns cards for the resources among ids that viewer may see, with
// one query for the resources and one for the viewer's groups.
func (b libraryBridge) Cards(ctx context.Context, viewer *auth.Member, ids []string) (map[string]ResourceCard, error) {
	v, _, err := b.s.viewerOf(ctx, viewer)
	if err != nil {
		return nil, err
	}
	rs, err := b.s.lib.ResourcesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ResourceCard, len(rs))
	for id, r := range rs {
		if v.CanSee(r) && r.Withdrawn == nil {
			out[id] = discussionCard(r)
		}
	}
	return out, nil
}

// SearchLibrary runs the library's search for the combined search page.
func (b libraryBridge) SearchLibrary(ctx context.Context, viewer *auth.Member, query string, limit int) ([]ResourceCard, error) {
	v, _, err := b.s.viewerOf(ctx, viewer)
	if err != nil {
		return nil, err
	}
	res, err := b.s.lib.Search(ctx, resources.Search{Q: query, Page: 1, PerPage: limit, Viewer: v})
	if err != nil {
		return nil, err
	}
	out := make([]ResourceCard, 0, len(res.Items))
	for _, r := range res.Items {
		out = append(out, discussionCard(r))
	}
	return out, nil
}
