package app

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
// a serving replica and `portal reindex` (SearchKinds) open it with the
// same list.
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

// openSearch opens this replica's search index with every kind that lives
// in it, hands it to the services that search and change them, and starts
// the catch-up with the database in the background: the portal answers
// meanwhile, and results say the index is being built.
func (a *App) openSearch(ctx context.Context) error {
	ix, err := search.Open(search.Options{Dir: a.cfg.SearchIndexDir(), Shards: a.cfg.SearchShards, Bus: a.bus, DB: a.store.DB,
		Log: a.log.With("component", "search")}, searchKinds(a.lib, a.forum, a.auth)...)
	if err != nil {
		return err
	}
	a.lib.SetIndex(ix)
	a.forum.SetIndex(ix)
	a.auth.SetIndex(ix)
	if err := ix.Start(context.WithoutCancel(ctx)); err != nil {
		_ = ix.Close()
		return err
	}
	a.search = ix
	return nil
}

// catchUpSearch brings the index level with the database, from the sweep:
// the changes whose bus message this replica missed are read from the
// change log (search.Index.Sweep), and every few hours, or without a log,
// every document's stamp is compared, for changes no replica numbered (a
// server stopped between a write and its number, `portal import` beside a
// running portal). It leaves the start-up catch-up alone.
func (a *App) catchUpSearch() {
	if a.search == nil || a.search.Building() {
		return
	}
	ctx, cancel := context.WithTimeout(a.root, 5*time.Minute)
	defer cancel()
	st, followed, err := a.search.Sweep(ctx)
	if err != nil {
		a.log.Warn("search index catch-up failed", "err", err)
		return
	}
	if st.Added+st.Updated+st.Removed > 0 {
		a.log.Info("search index caught up", "added", st.Added, "updated", st.Updated, "removed", st.Removed)
	}
	if followed > 0 {
		a.log.Debug("search index followed the change log", "changes", followed)
	}
}
