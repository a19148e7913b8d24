package auth

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/store"
)

// GroupByID returns one group by its ID.
func (s *Store) GroupByID(ctx context.Context, id string) (*Group, error) {
	var g Group
	if err := s.col(colGroups).FindOne(ctx, bson.M{"_id": id}).Decode(&g); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: group: %w", err)
	}
	return &g, nil
}

// GroupBySlug returns one group by its slug.
func (s *Store) GroupBySlug(ctx context.Context, slug string) (*Group, error) {
	var g Group
	if err := s.col(colGroups).FindOne(ctx, bson.M{"slug": slug}).Decode(&g); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: group: %w", err)
	}
	return &g, nil
}
