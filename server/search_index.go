package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/search"
)

// searchKinds lists every kind of document that lives in the search index:
// the server and `portal reindex` (SearchKinds) open it with the same list.
func searchKinds(lib *resources.Service, discussions *forum.Store, members *auth.Store) []search.Kind {
	return []search.Kind{lib.IndexKind(), discussions.SearchIndexKind(), discussions.ThreadListIndexKind(), members.SearchIndexKind()}
}

// SearchKinds is searchKinds on db, for `portal reindex`.
func SearchKinds(db *mongo.Database) ([]search.Kind, error) {
	lib, err := resources.New(db, resources.Options{})
	if err != nil {
		return nil, err
	}
	return searchKinds(lib, forum.NewStore(db), auth.NewStore(db)), nil
}

// openSearch opens this server's search index with every kind that lives
// in it, hands it to the services that search and change them, and starts
// the catch-up with the database in the background: the server answers
// meanwhile, and results say the index is being built.
func (s *Server) openSearch(ctx context.Context) error {
	ix, err := search.Open(search.Options{Dir: s.cfg.SearchIndexDir(), Bus: s.bus, Log: s.log.With("component", "search")}, searchKinds(s.lib, s.forum, s.auth)...)
	if err != nil {
		return err
	}
	s.lib.SetIndex(ix)
	s.forum.SetIndex(ix)
	s.auth.SetIndex(ix)
	if err := ix.Start(context.WithoutCancel(ctx)); err != nil {
		_ = ix.Close()
		return err
	}
	s.search = ix
	return nil
}

// catchUpSearch brings the index level with the database, from the sweep:
// changes whose bus message this server missed, or that no server announced
// (`portal import` beside a running server), reach it within one sweep. It
// leaves the start-up catch-up alone.
func (s *Server) catchUpSearch() {
	if s.search == nil || s.search.Building() {
		return
	}
	ctx, cancel := context.WithTimeout(s.root, 5*time.Minute)
	defer cancel()
	st, err := s.search.CatchUp(ctx, nil)
	if err != nil {
		s.log.Warn("search index catch-up failed", "err", err)
		return
	}
	if st.Added+st.Updated+st.Removed > 0 {
		s.log.Info("search index caught up", "added", st.Added, "updated", st.Updated, "removed", st.Removed)
	}
}

// SearchIndex exposes the index (the reindex command and tests).
func (s *Server) SearchIndex() *search.Index { return s.search }
