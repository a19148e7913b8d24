package store

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// IDList is a document listing IDs under an _id of its own: the answer to
// a question the truth could give only through a filter (a member's
// groups, a workshop's registrations), which the embedded database answers
// by reading a whole collection, kept as one lookup by _id. The truth
// stays where it was; readers check what a list names against it.
type IDList struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

// ListedIDs returns the IDs list id of col holds, nil when there is none.
func ListedIDs(ctx context.Context, col *mongo.Collection, id string) ([]string, error) {
	var d IDList
	if err := col.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		if IsNoDocuments(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s/%s: %w", col.Name(), id, err)
	}
	return d.IDs, nil
}

// EditIDList changes list id of col under the list's lock (the key
// "col/id", as the owners' document locks): FerretDB writes a whole
// document from its read, so two edits at once would otherwise undo each
// other's entry. f gets the IDs and returns the new ones and whether they
// changed; an empty list is deleted.
func EditIDList(ctx context.Context, col *mongo.Collection, id string, f func([]string) ([]string, bool)) error {
	lctx, unlock, err := Lock(ctx, col.Database(), col.Name()+"/"+id)
	if err != nil {
		return err
	}
	defer unlock()
	ids, err := ListedIDs(lctx, col, id)
	if err != nil {
		return err
	}
	ids, changed := f(ids)
	if !changed {
		return nil
	}
	if len(ids) == 0 {
		_, err = col.DeleteOne(lctx, bson.M{"_id": id})
	} else {
		_, err = col.ReplaceOne(lctx, bson.M{"_id": id}, IDList{ID: id, IDs: ids}, options.Replace().SetUpsert(true))
	}
	if err != nil {
		return fmt.Errorf("list %s/%s: %w", col.Name(), id, err)
	}
	return nil
}

// SetListed puts v on list id of col (in) or takes it off.
func SetListed(ctx context.Context, col *mongo.Collection, id, v string, in bool) error {
	return EditIDList(ctx, col, id, func(ids []string) ([]string, bool) {
		if slices.Contains(ids, v) == in {
			return ids, false
		}
		if in {
			return append(ids, v), true
		}
		return slices.DeleteFunc(slices.Clone(ids), func(x string) bool { return x == v }), true
	})
}
