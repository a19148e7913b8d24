package store

import (
	"context"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// idLookupsAtOnce bounds the lookups FindByIDs runs at the same time.
const idLookupsAtOnce = 4

// FindByIDs returns the documents of col whose _id is one of ids, in the
// order of ids (each once; missing ones left out), with projection applied
// when it is not nil.
//
// On MongoDB (oneByOne false) it is one query with $in on the _id index.
// The embedded database answers from an index only a filter that is
// exactly {_id: value} (see IndexIDLookups): {_id: {$in: …}} reads and
// decodes the whole collection, so a page of 20 posts cost a pass over
// every post of every thread. With oneByOne it looks each _id up on its
// own, a few at a time: the cost follows len(ids), not the collection.
// Feature stores choose it when the server runs on the embedded database
// (their ReadByID methods).
func FindByIDs[T any](ctx context.Context, col *mongo.Collection, ids []string, projection any, oneByOne bool) ([]T, error) {
	uniq := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return nil, nil
	}
	if !oneByOne {
		o := options.Find()
		if projection != nil {
			o.SetProjection(projection)
		}
		cur, err := col.Find(ctx, bson.M{"_id": bson.M{"$in": uniq}}, o)
		if err != nil {
			return nil, fmt.Errorf("store: find by ids: %w", err)
		}
		var raws []bson.Raw
		if err := cur.All(ctx, &raws); err != nil {
			return nil, fmt.Errorf("store: find by ids: %w", err)
		}
		byID := make(map[string]bson.Raw, len(raws))
		for _, r := range raws {
			if id, ok := r.Lookup("_id").StringValueOK(); ok {
				byID[id] = r
			}
		}
		out := make([]T, 0, len(raws))
		for _, id := range uniq {
			if r, ok := byID[id]; ok {
				var v T
				if err := bson.Unmarshal(r, &v); err != nil {
					return nil, fmt.Errorf("store: find by ids: %w", err)
				}
				out = append(out, v)
			}
		}
		return out, nil
	}
	found := make([]*T, len(uniq))
	errs := make([]error, len(uniq))
	o := options.FindOne()
	if projection != nil {
		o.SetProjection(projection)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, idLookupsAtOnce)
	for i, id := range uniq {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var v T
			err := col.FindOne(ctx, bson.M{"_id": id}, o).Decode(&v)
			switch {
			case err == nil:
				found[i] = &v
			case !IsNoDocuments(err):
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	out := make([]T, 0, len(uniq))
	for i, v := range found {
		if errs[i] != nil {
			return nil, fmt.Errorf("store: find by ids: %w", errs[i])
		}
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}
