package workshops

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// colLists holds, by _id, who registered for a workshop ("w:<workshop>",
// member IDs) and what a member registered for ("m:<member>", workshop
// IDs). A workshop page and every registration need a workshop's
// registrations, and a member's home theirs; on the embedded database a
// filter on workshop_id or member_id reads and decodes every registration
// of every workshop, and these are one lookup by _id followed by the
// registrations' own _ids (workshop/member).
//
// The registrations stay the truth. A name is listed before its
// registration is inserted and stays when it is cancelled (the document
// stays too), so a list may name one too many (a server stopped between
// the two writes; the missing registration is skipped), never one too few.
// Each list is written under its own lock: FerretDB writes the whole
// document from its read, so two registrations at once could otherwise
// undo each other's entry.
const colLists = store.ColWorkshopLists

type listDoc struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

func workshopListID(workshopID string) string { return "w:" + workshopID }
func memberListID(memberID string) string     { return "m:" + memberID }

// listed returns the IDs of list id: one lookup.
func (s *Store) listed(ctx context.Context, id string) ([]string, error) {
	var d listDoc
	if err := s.col(colLists).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("workshops: list %s: %w", id, err)
	}
	return d.IDs, nil
}

// editList changes list id under its lock; f returns the new IDs and
// whether they changed. An empty list is deleted.
func (s *Store) editList(ctx context.Context, id string, f func([]string) ([]string, bool)) error {
	lctx, unlock, err := store.Lock(ctx, s.db, colLists+"/"+id)
	if err != nil {
		return err
	}
	defer unlock()
	ids, err := s.listed(lctx, id)
	if err != nil {
		return err
	}
	ids, changed := f(ids)
	if !changed {
		return nil
	}
	if len(ids) == 0 {
		_, err = s.col(colLists).DeleteOne(lctx, bson.M{"_id": id})
	} else {
		_, err = s.col(colLists).ReplaceOne(lctx, bson.M{"_id": id}, listDoc{ID: id, IDs: ids}, options.Replace().SetUpsert(true))
	}
	if err != nil {
		return fmt.Errorf("workshops: list %s: %w", id, err)
	}
	return nil
}

// listRegistration lists a registration on both sides before it is stored.
func (s *Store) listRegistration(ctx context.Context, workshopID, memberID string) error {
	add := func(v string) func([]string) ([]string, bool) {
		return func(ids []string) ([]string, bool) {
			if slices.Contains(ids, v) {
				return ids, false
			}
			return append(ids, v), true
		}
	}
	if err := s.editList(ctx, workshopListID(workshopID), add(memberID)); err != nil {
		return err
	}
	return s.editList(ctx, memberListID(memberID), add(workshopID))
}

// unlistMember drops a member's list and takes them off the workshops'
// lists (erasure), after their registrations are gone.
func (s *Store) unlistMember(ctx context.Context, memberID string, workshopIDs []string) error {
	for _, w := range workshopIDs {
		if err := s.editList(ctx, workshopListID(w), func(ids []string) ([]string, bool) {
			out := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == memberID })
			return out, len(out) != len(ids)
		}); err != nil {
			return err
		}
	}
	return s.editList(ctx, memberListID(memberID), func(ids []string) ([]string, bool) { return nil, len(ids) > 0 })
}

// registrationsByID reads the registrations with the given _ids.
func (s *Store) registrationsByID(ctx context.Context, ids []string) ([]*Registration, error) {
	rs, err := store.FindByIDs[*Registration](ctx, s.col(colRegistrations), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("workshops: registrations: %w", err)
	}
	return rs, nil
}
