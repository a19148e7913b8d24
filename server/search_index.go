package server

import (
	"context"

	"github.com/circularfairict/portal/search"
)

// openSearch opens this server's search index with every kind that lives
// in it, hands it to the services that search and change them, and starts
// the catch-up with the database in the background: the server answers
// meanwhile, and results say the index is being built.
func (s *Server) openSearch(ctx context.Context) error {
	kinds := []search.Kind{s.lib.IndexKind(), s.forum.SearchIndexKind(), s.auth.SearchIndexKind()}
	ix, err := search.Open(search.Options{Dir: s.cfg.SearchIndexDir(), Bus: s.bus, Log: s.log.With("component", "search")}, kinds...)
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

// SearchIndex exposes the index (the reindex command and tests).
func (s *Server) SearchIndex() *search.Index { return s.search }
