package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
)

// UpdateByIDIf applies update to the document id of col if it also
// matches cond (a conditional update: the rule of docs/architecture.md,
// whose outcome the caller checks through MatchedCount).
//
// On MongoDB (byID false) it is one update with the filter {_id, cond}.
// The embedded database answers from an index only a filter that is
// exactly {_id: value}: with cond beside it, it reads and decodes the
// whole collection to find the one document, so that editing a post
// cost a pass over every post. With byID the document is matched against
// cond by a query led by {_id} (an aggregation whose first stage is that
// filter, which the embedded database looks up by index and whose second
// stage it evaluates itself), then updated by {_id}. That is no weaker
// than the filtered update on that database, which also reads the
// document and then writes it, as two steps (FerretDB's update); feature
// stores choose it when the server runs on the embedded database (their
// ReadByID methods), as for FindByIDs.
func UpdateByIDIf(ctx context.Context, col *mongo.Collection, id any, cond bson.M, update any, byID bool) (*mongo.UpdateResult, error) {
	if !byID {
		return col.UpdateOne(ctx, withID(id, cond), update)
	}
	ok, err := matchesByID(ctx, col, id, cond)
	if err != nil || !ok {
		return &mongo.UpdateResult{}, err
	}
	return col.UpdateOne(ctx, bson.M{"_id": id}, update)
}

// DeleteByIDIf deletes the document id of col if it also matches cond;
// see UpdateByIDIf for byID.
func DeleteByIDIf(ctx context.Context, col *mongo.Collection, id any, cond bson.M, byID bool) (*mongo.DeleteResult, error) {
	if !byID {
		return col.DeleteOne(ctx, withID(id, cond))
	}
	ok, err := matchesByID(ctx, col, id, cond)
	if err != nil || !ok {
		return &mongo.DeleteResult{}, err
	}
	return col.DeleteOne(ctx, bson.M{"_id": id})
}

func withID(id any, cond bson.M) bson.M {
	f := make(bson.M, len(cond)+1)
	for k, v := range cond {
		f[k] = v
	}
	f["_id"] = id
	return f
}

// matchesByID reports whether the document id exists and matches cond.
func matchesByID(ctx context.Context, col *mongo.Collection, id any, cond bson.M) (bool, error) {
	cur, err := col.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: bson.M{"_id": id}}},
		{{Key: "$match", Value: cond}},
		{{Key: "$project", Value: bson.M{"_id": 1}}},
	})
	if err != nil {
		return false, fmt.Errorf("store: match by id: %w", err)
	}
	defer cur.Close(ctx)
	found := cur.Next(ctx)
	if err := cur.Err(); err != nil {
		return false, fmt.Errorf("store: match by id: %w", err)
	}
	return found, nil
}
