package workshops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

// scheduleID is the document of colLists that holds every workshop's times
// and group. The lists of upcoming and past workshops and the home page's
// running ones pick their workshops from it and read only those by _id;
// a filter on ends_at reads and decodes every workshop, agendas and polls
// included, on the embedded database. A few hundred workshops make a
// document of some tens of kilobytes.
//
// The workshops stay the truth: List checks each one it reads against the
// filter, so an entry a server left stale (it stopped between the
// workshop's write and the schedule's) hides nothing it names wrongly and
// shows nothing the filter refuses. Create enters a workshop before
// inserting it, so a stop leaves an entry without a workshop (skipped),
// never a workshop without an entry. The document is written under its
// lock, since FerretDB writes it whole from its read.
const scheduleID = "schedule"

type scheduleEntry struct {
	ID       string    `bson:"id"`
	GroupID  string    `bson:"group,omitempty"`
	StartsAt time.Time `bson:"starts"`
	EndsAt   time.Time `bson:"ends"`
}

type scheduleDoc struct {
	ID      string          `bson:"_id"`
	Entries []scheduleEntry `bson:"entries"`
}

func (s *Store) schedule(ctx context.Context) ([]scheduleEntry, error) {
	var d scheduleDoc
	if err := s.col(colLists).FindOne(ctx, bson.M{"_id": scheduleID}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("workshops: schedule: %w", err)
	}
	return d.Entries, nil
}

// enter puts w's times and group in the schedule: those stored, read under
// the schedule's lock, so that of two writes of one workshop the later
// entry is the stored one's whichever write came last; w's own before its
// first insert.
func (s *Store) enter(ctx context.Context, w *Workshop) error {
	lctx, unlock, err := store.Lock(ctx, s.db, colLists+"/"+scheduleID)
	if err != nil {
		return err
	}
	defer unlock()
	if stored, err := s.Workshop(lctx, w.ID); err == nil {
		w = stored
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	es, err := s.schedule(lctx)
	if err != nil {
		return err
	}
	e := scheduleEntry{ID: w.ID, GroupID: w.GroupID, StartsAt: w.StartsAt.UTC(), EndsAt: w.EndsAt.UTC()}
	i := slices.IndexFunc(es, func(o scheduleEntry) bool { return o.ID == w.ID })
	switch {
	case i < 0:
		es = append(es, e)
	case es[i].GroupID == e.GroupID && es[i].StartsAt.Equal(e.StartsAt) && es[i].EndsAt.Equal(e.EndsAt):
		return nil
	default:
		es[i] = e
	}
	if _, err := s.col(colLists).ReplaceOne(lctx, bson.M{"_id": scheduleID}, scheduleDoc{ID: scheduleID, Entries: es},
		options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("workshops: schedule: %w", err)
	}
	return s.sched.Touch(ctx)
}

// matches reports whether a workshop with these times and group is in f at now.
func (f Filter) matches(groupID string, endsAt, now time.Time) bool {
	if f.GroupID != "" && groupID != f.GroupID {
		return false
	}
	return f.Past == !endsAt.After(now)
}

// List returns workshops by filter: upcoming and running soonest first, or
// past newest first. It picks them from the schedule and reads them by _id.
func (s *Store) List(ctx context.Context, f Filter) ([]*Workshop, error) {
	now := s.now()
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	es, err := s.listedSchedule(ctx)
	if err != nil {
		return nil, err
	}
	var picked []scheduleEntry
	for _, e := range es {
		if f.matches(e.GroupID, e.EndsAt, now) {
			picked = append(picked, e)
		}
	}
	sort.Slice(picked, func(i, j int) bool {
		if !picked[i].StartsAt.Equal(picked[j].StartsAt) {
			return picked[i].StartsAt.Before(picked[j].StartsAt) != f.Past
		}
		return picked[i].ID < picked[j].ID
	})
	if len(picked) > f.Limit {
		picked = picked[:f.Limit]
	}
	var texts map[string]string
	if f.Match != nil {
		if texts, err = s.listedTexts(ctx); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(picked))
	for _, e := range picked {
		// Without an entry the workshop is read and tested below.
		if t, ok := texts[e.ID]; ok && !f.Match(t) {
			continue
		}
		ids = append(ids, e.ID)
	}
	ws, err := s.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	ws = slices.DeleteFunc(ws, func(w *Workshop) bool {
		return !f.matches(w.GroupID, w.EndsAt, now) || f.Match != nil && !f.Match(w.Text())
	})
	if f.Past {
		slices.Reverse(ws)
	}
	return ws, nil
}

// Running returns the workshops under way at now (started, not ended),
// from the schedule: the home page's "now" without reading every workshop.
func (s *Store) Running(ctx context.Context) ([]*Workshop, error) {
	now := s.now()
	es, err := s.sched.Get(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range es {
		if !now.Before(e.StartsAt) && now.Before(e.EndsAt) {
			ids = append(ids, e.ID)
		}
	}
	ws, err := s.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ws, func(w *Workshop) bool { return now.Before(w.StartsAt) || !now.Before(w.EndsAt) }), nil
}

// RepairLists brings the registration lists and the schedule in line with
// the registrations and workshops, once a day from the sweeper: a replica
// of the release before schema 6 (during a rolling upgrade) registers and
// creates workshops without listing them. It adds what is missing and
// corrects entries whose times (or the texts, whose words) differ; an
// entry too many is harmless (readers check) and stays. It reads the
// registrations, the lists and the workshops once each, and returns how
// many entries it wrote.
func (s *Store) RepairLists(ctx context.Context) (int, error) {
	var lists []store.IDList
	cur, err := s.col(colLists).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"ids": 1}))
	if err == nil {
		err = cur.All(ctx, &lists)
	}
	if err != nil {
		return 0, fmt.Errorf("workshops: repair lists: %w", err)
	}
	listed := map[string]bool{}
	for _, l := range lists {
		for _, id := range l.IDs {
			listed[l.ID+"\x00"+id] = true
		}
	}
	var regs []*Registration
	cur, err = s.col(colRegistrations).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"workshop_id": 1, "member_id": 1}))
	if err == nil {
		err = cur.All(ctx, &regs)
	}
	if err != nil {
		return 0, fmt.Errorf("workshops: repair lists: %w", err)
	}
	n := 0
	for _, r := range regs {
		if r.WorkshopID == "" || r.MemberID == "" ||
			listed[workshopListID(r.WorkshopID)+"\x00"+r.MemberID] && listed[memberListID(r.MemberID)+"\x00"+r.WorkshopID] {
			continue
		}
		if err := s.listRegistration(ctx, r.WorkshopID, r.MemberID); err != nil {
			return n, err
		}
		n++
	}
	es, err := s.schedule(ctx)
	if err != nil {
		return n, err
	}
	entered := map[string]scheduleEntry{}
	for _, e := range es {
		entered[e.ID] = e
	}
	texts, err := s.readTexts(ctx)
	if err != nil {
		return n, err
	}
	var ws []*Workshop
	cur, err = s.col(colWorkshops).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"group_id": 1, "starts_at": 1, "ends_at": 1, "title": 1, "description": 1}))
	if err == nil {
		err = cur.All(ctx, &ws)
	}
	if err != nil {
		return n, fmt.Errorf("workshops: repair lists: %w", err)
	}
	for _, w := range ws {
		if t, ok := texts[w.ID]; !ok || t != searchText(w) {
			if err := s.enterText(ctx, w); err != nil {
				return n, err
			}
			n++
		}
		e, ok := entered[w.ID]
		if ok && e.GroupID == w.GroupID && e.StartsAt.Equal(w.StartsAt) && e.EndsAt.Equal(w.EndsAt) {
			continue
		}
		if err := s.enter(ctx, w); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
