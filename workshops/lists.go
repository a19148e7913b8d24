package workshops

import (
	"context"
	"fmt"

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

func workshopListID(workshopID string) string { return "w:" + workshopID }
func memberListID(memberID string) string     { return "m:" + memberID }

// listed returns the IDs of list id: one lookup.
func (s *Store) listed(ctx context.Context, id string) ([]string, error) {
	ids, err := store.ListedIDs(ctx, s.col(colLists), id)
	if err != nil {
		return nil, fmt.Errorf("workshops: %w", err)
	}
	return ids, nil
}

// listRegistration lists a registration on both sides before it is stored.
func (s *Store) listRegistration(ctx context.Context, workshopID, memberID string) error {
	if err := store.SetListed(ctx, s.col(colLists), workshopListID(workshopID), memberID, true); err != nil {
		return err
	}
	return store.SetListed(ctx, s.col(colLists), memberListID(memberID), workshopID, true)
}

// unlistMember drops a member's list and takes them off the workshops'
// lists (erasure), after their registrations are gone.
func (s *Store) unlistMember(ctx context.Context, memberID string, workshopIDs []string) error {
	for _, w := range workshopIDs {
		if err := store.SetListed(ctx, s.col(colLists), workshopListID(w), memberID, false); err != nil {
			return err
		}
	}
	return store.EditIDList(ctx, s.col(colLists), memberListID(memberID), func(ids []string) ([]string, bool) { return nil, len(ids) > 0 })
}

// registrationsByID reads the registrations with the given _ids.
func (s *Store) registrationsByID(ctx context.Context, ids []string) ([]*Registration, error) {
	rs, err := store.FindByIDs[*Registration](ctx, s.col(colRegistrations), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("workshops: registrations: %w", err)
	}
	return rs, nil
}
