package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// CurrentSchema is the schema version this build reads and writes. A
// release that changes how data is stored adds a migration and raises it.
const CurrentSchema = 10

// The schema version is one document by _id; each migration's run is
// claimed by inserting its own document by _id, the one write that is
// atomic on every backend, so replicas starting together run it once.
const (
	colMeta       = "portal_meta"
	colMigrations = "schema_migrations"
	schemaDocID   = "schema"
	// migrationLease is how long a claimed migration may run before another
	// replica assumes its runner died and runs it again (migrations are
	// idempotent, so a second run is safe).
	migrationLease = 15 * time.Minute
)

// Migration brings a database from Version-1 to Version. Run must be
// idempotent: a replica that dies mid-way leaves it to be run again.
type Migration struct {
	Version int
	Name    string
	Run     func(ctx context.Context, db *mongo.Database) error
}

// migrations are applied in order; each Version is one more than the last.
var migrations = []Migration{
	// Databases written before schema versions existed hold the same
	// collections as version 1: the baseline only marks them.
	{Version: 1, Name: "baseline", Run: func(context.Context, *mongo.Database) error { return nil }},
	// The library is searched through the search index (search/): the
	// analysed term arrays each resource carried, and their index, go.
	{Version: 2, Name: "resources_drop_terms", Run: dropResourceTerms},
	// The discussions too: threads and posts lose their term arrays.
	{Version: 3, Name: "forum_drop_terms", Run: dropForumTerms},
	// Sign-in finds a member through an identity claim read by _id (auth's
	// auth_identities) instead of a filter on the members' identity_keys,
	// which the embedded database answers by reading every member.
	{Version: 4, Name: "auth_identities_backfill", Run: backfillIdentities},
	// A member's groups are read from their list in auth's member_groups
	// by _id instead of a filter on the groups' members, which the embedded
	// database answers by reading every group.
	{Version: 5, Name: "auth_member_groups_backfill", Run: backfillMemberGroups},
	// A workshop's registrations and a member's are read from lists in
	// workshop_lists by _id instead of a filter on workshop_id or
	// member_id, which the embedded database answers by reading every
	// registration; the workshop lists pick from its schedule document
	// instead of a filter on ends_at, which reads every workshop.
	{Version: 6, Name: "workshops_lists_backfill", Run: backfillWorkshopLists},
	// A resource's discussion is read by _id: threads started before it
	// took the resource's ID are recorded under it in resource_threads,
	// instead of a filter on the threads' resource_id, which the embedded
	// database answers by reading every thread (for every resource page).
	{Version: 7, Name: "forum_resource_threads_backfill", Run: backfillResourceThreads},
	// A resource's "used in a tender" marks are read from its list in
	// resource_mark_lists by _id instead of a filter on resource_id, which
	// reads every mark.
	{Version: 8, Name: "resources_mark_lists_backfill", Run: backfillMarkLists},
	// A search over the workshops tests the words against one document of
	// their titles and descriptions in workshop_lists and reads only the
	// matching workshops by _id, instead of reading every listed workshop.
	{Version: 9, Name: "workshops_texts_backfill", Run: backfillWorkshopTexts},
	// A download reads each chunk of its file by _id (ChunkID) instead of
	// the driver's filter on files_id, which the embedded database answers
	// by reading every chunk of every file: the library's files stored
	// with ObjectID chunk _ids are stored again under the new layout.
	{Version: 10, Name: "resources_chunk_ids", Run: restoreLegacyChunks},
}

// dropResourceTerms unsets the term arrays and drops their index; both
// steps find nothing to do when run again.
func dropResourceTerms(ctx context.Context, db *mongo.Database) error {
	col := db.Collection("resources")
	if _, err := col.UpdateMany(ctx, bson.M{"$or": bson.A{bson.M{"terms": bson.M{"$exists": true}}, bson.M{"title_terms": bson.M{"$exists": true}}}},
		bson.M{"$unset": bson.M{"terms": "", "title_terms": ""}}); err != nil {
		return fmt.Errorf("store: unset resource terms: %w", err)
	}
	specs, err := col.Indexes().ListSpecifications(ctx)
	if err != nil {
		return fmt.Errorf("store: list resource indexes: %w", err)
	}
	for _, sp := range specs {
		if sp.Name == "terms" {
			if _, err := col.Indexes().DropOne(ctx, "terms"); err != nil {
				return fmt.Errorf("store: drop resource terms index: %w", err)
			}
		}
	}
	return nil
}

// dropForumTerms unsets the term arrays of threads and posts and drops
// their indexes; run again, it finds nothing to do.
func dropForumTerms(ctx context.Context, db *mongo.Database) error {
	for _, name := range []string{"forum_threads", "forum_posts"} {
		col := db.Collection(name)
		if _, err := col.UpdateMany(ctx, bson.M{"terms": bson.M{"$exists": true}}, bson.M{"$unset": bson.M{"terms": ""}}); err != nil {
			return fmt.Errorf("store: unset %s terms: %w", name, err)
		}
		specs, err := col.Indexes().ListSpecifications(ctx)
		if err != nil {
			return fmt.Errorf("store: list %s indexes: %w", name, err)
		}
		for _, sp := range specs {
			if sp.Name == "terms" {
				if _, err := col.Indexes().DropOne(ctx, "terms"); err != nil {
					return fmt.Errorf("store: drop %s terms index: %w", name, err)
				}
			}
		}
	}
	return nil
}

// ErrNewerSchema refuses a database that a later release has upgraded.
type ErrNewerSchema struct{ Database, Supported int }

func (e *ErrNewerSchema) Error() string {
	return fmt.Sprintf("the database has schema version %d but this portal supports up to %d: a newer release has upgraded it; "+
		"run that release or a later one, or restore a backup taken before the upgrade", e.Database, e.Supported)
}

// SchemaVersion returns the database's schema version: 0 for a database
// written before versions were recorded (or an empty one).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var doc struct {
		Version int `bson:"version"`
	}
	err := s.DB.Collection(colMeta).FindOne(ctx, bson.M{"_id": schemaDocID}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return doc.Version, nil
}

// Upgrade brings the database to CurrentSchema before the portal serves:
// it runs the migrations the database lacks, each once across replicas,
// and refuses (ErrNewerSchema) a database newer than this build.
func (s *Store) Upgrade(ctx context.Context, log *slog.Logger) error {
	return s.upgrade(ctx, log, migrations, CurrentSchema)
}

func (s *Store) upgrade(ctx context.Context, log *slog.Logger, migrations []Migration, current int) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > current {
		return &ErrNewerSchema{Database: v, Supported: current}
	}
	for _, m := range migrations {
		if m.Version <= v {
			continue
		}
		if err := s.migrate(ctx, m, log); err != nil {
			return err
		}
	}
	if v == current {
		return nil
	}
	// $max: a replica of this release never lowers what another wrote.
	_, err = s.DB.Collection(colMeta).UpdateOne(ctx, bson.M{"_id": schemaDocID},
		bson.M{"$max": bson.M{"version": current}, "$set": bson.M{"updated_at": time.Now().UTC()}}, options.Update().SetUpsert(true))
	if err != nil && !IsDuplicateKey(err) {
		return fmt.Errorf("store: schema version: %w", err)
	}
	log.Info("database schema upgraded", "from", v, "to", current)
	return nil
}

type migrationRun struct {
	ID         string    `bson:"_id"`
	Name       string    `bson:"name"`
	StartedAt  time.Time `bson:"started_at"`
	LeaseUntil time.Time `bson:"lease_until"`
	DoneAt     time.Time `bson:"done_at,omitempty"`
}

// migrate runs m unless it is done, waiting while another replica runs it.
func (s *Store) migrate(ctx context.Context, m Migration, log *slog.Logger) error {
	col := s.DB.Collection(colMigrations)
	id := strconv.Itoa(m.Version)
	for {
		now := time.Now().UTC()
		_, err := col.InsertOne(ctx, migrationRun{ID: id, Name: m.Name, StartedAt: now, LeaseUntil: now.Add(migrationLease)})
		if err == nil {
			log.Info("database migration started", "version", m.Version, "name", m.Name)
			if err := m.Run(ctx, s.DB); err != nil {
				// Released, so that the next start-up (here or elsewhere) retries.
				_, _ = col.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": id})
				return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"done_at": time.Now().UTC()}}); err != nil {
				return fmt.Errorf("store: migration %d (%s): record: %w", m.Version, m.Name, err)
			}
			log.Info("database migration done", "version", m.Version, "name", m.Name, "duration", time.Since(now).String())
			return nil
		}
		if !IsDuplicateKey(err) {
			return fmt.Errorf("store: migration %d (%s): claim: %w", m.Version, m.Name, err)
		}
		var run migrationRun
		if err := col.FindOne(ctx, bson.M{"_id": id}).Decode(&run); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
		switch {
		case !run.DoneAt.IsZero():
			return nil // another replica ran it
		case run.ID != "" && run.LeaseUntil.Before(now):
			// Its runner died: free the claim (only if it is still that
			// claim) and race for it again.
			log.Warn("database migration abandoned by another process; running it again", "version", m.Version, "name", m.Name)
			_, _ = col.DeleteOne(ctx, bson.M{"_id": id, "lease_until": run.LeaseUntil})
			continue
		}
		log.Info("database migration running elsewhere; waiting", "version", m.Version, "name", m.Name)
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// ColIdentities is auth's collection of identity claims (one document per
// linked sign-in identity, _id "provider\x00subject", holding member_id),
// named here for the migration that backfills it.
const ColIdentities = "auth_identities"

// backfillIdentities gives every member's identities their claim
// documents, from the identity_keys each member carries (a pseudonymised
// member's "deleted\x00<id>" is no identity and gets none). Inserting a
// claim that exists fails harmlessly, so a second run, or a replica of
// this release that made some claims meanwhile, changes nothing. It reads
// the members once, projected to what it needs.
func backfillIdentities(ctx context.Context, db *mongo.Database) error {
	// Created now, even empty, so that the start-up that follows gives its
	// table the embedded database's _id lookup index (IndexIDLookups).
	if err := db.CreateCollection(ctx, ColIdentities); err != nil {
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 48 { // 48: NamespaceExists
			return fmt.Errorf("store: backfill identities: %w", err)
		}
	}
	cur, err := db.Collection("members").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"identity_keys": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill identities: %w", err)
	}
	var ms []struct {
		ID   string   `bson:"_id"`
		Keys []string `bson:"identity_keys"`
	}
	if err := cur.All(ctx, &ms); err != nil {
		return fmt.Errorf("store: backfill identities: %w", err)
	}
	now := time.Now().UTC()
	var docs []any
	for _, m := range ms {
		for _, k := range m.Keys {
			if strings.HasPrefix(k, "deleted\x00") {
				continue
			}
			docs = append(docs, bson.M{"_id": k, "member_id": m.ID, "at": now})
		}
	}
	for len(docs) > 0 {
		n := min(len(docs), 1000)
		_, err := db.Collection(ColIdentities).InsertMany(ctx, docs[:n], options.InsertMany().SetOrdered(false))
		if err != nil && !onlyDuplicateKeys(err) {
			return fmt.Errorf("store: backfill identities: %w", err)
		}
		docs = docs[n:]
	}
	return nil
}

// onlyDuplicateKeys reports whether every failure of a bulk insert was a
// taken _id.
func onlyDuplicateKeys(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

// ColMemberGroups is auth's collection of each member's list of groups
// (one document per member, _id the member's ID); named here so the
// migration that builds it needs no import of auth.
const ColMemberGroups = "member_groups"

// backfillMemberGroups writes each member's list of groups from the groups'
// members and coordinators. A list written meanwhile by a replica of this
// release is merged with, never replaced by, what the groups say, and the
// groups decide what a list is worth (auth's GroupsOf keeps only the
// groups that hold the member), so running it again changes nothing.
func backfillMemberGroups(ctx context.Context, db *mongo.Database) error {
	if err := db.CreateCollection(ctx, ColMemberGroups); err != nil {
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 48 { // 48: NamespaceExists
			return fmt.Errorf("store: backfill member groups: %w", err)
		}
	}
	cur, err := db.Collection("groups").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"members": 1, "coordinators": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill member groups: %w", err)
	}
	var gs []struct {
		ID           string   `bson:"_id"`
		Members      []string `bson:"members"`
		Coordinators []string `bson:"coordinators"`
	}
	if err := cur.All(ctx, &gs); err != nil {
		return fmt.Errorf("store: backfill member groups: %w", err)
	}
	lists := map[string][]string{}
	for _, g := range gs {
		for _, m := range append(append([]string{}, g.Coordinators...), g.Members...) {
			if !slices.Contains(lists[m], g.ID) {
				lists[m] = append(lists[m], g.ID)
			}
		}
	}
	col := db.Collection(ColMemberGroups)
	for m, ids := range lists {
		if _, err := col.UpdateOne(ctx, bson.M{"_id": m}, bson.M{"$addToSet": bson.M{"ids": bson.M{"$each": ids}}},
			options.Update().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: backfill member groups: %w", err)
		}
	}
	return nil
}

// ColWorkshopLists is workshops' collection of registration lists ("w:"
// and the workshop's ID: its members; "m:" and a member's ID: their
// workshops), named here for the migration that builds it.
const ColWorkshopLists = "workshop_lists"

// backfillWorkshopLists lists every registration on its workshop's and
// its member's list, and enters every workshop's times and group in the
// schedule, adding to what is there, so a second run or a replica of this
// release that listed some meanwhile loses nothing.
func backfillWorkshopLists(ctx context.Context, db *mongo.Database) error {
	if err := db.CreateCollection(ctx, ColWorkshopLists); err != nil {
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 48 { // 48: NamespaceExists
			return fmt.Errorf("store: backfill registration lists: %w", err)
		}
	}
	cur, err := db.Collection("workshop_registrations").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"workshop_id": 1, "member_id": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill registration lists: %w", err)
	}
	var rs []struct {
		Workshop string `bson:"workshop_id"`
		Member   string `bson:"member_id"`
	}
	if err := cur.All(ctx, &rs); err != nil {
		return fmt.Errorf("store: backfill registration lists: %w", err)
	}
	lists := map[string][]string{}
	for _, r := range rs {
		if r.Workshop == "" || r.Member == "" {
			continue
		}
		for id, v := range map[string]string{"w:" + r.Workshop: r.Member, "m:" + r.Member: r.Workshop} {
			if !slices.Contains(lists[id], v) {
				lists[id] = append(lists[id], v)
			}
		}
	}
	col := db.Collection(ColWorkshopLists)
	for id, vs := range lists {
		if _, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"ids": bson.M{"$each": vs}}},
			options.Update().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: backfill registration lists: %w", err)
		}
	}
	return backfillSchedule(ctx, db)
}

// backfillSchedule enters the workshops the schedule lacks (workshops'
// own, in its package: _id "schedule", entries of id, group, starts, ends).
func backfillSchedule(ctx context.Context, db *mongo.Database) error {
	type entry struct {
		ID       string    `bson:"id"`
		GroupID  string    `bson:"group,omitempty"`
		StartsAt time.Time `bson:"starts"`
		EndsAt   time.Time `bson:"ends"`
	}
	var doc struct {
		Entries []entry `bson:"entries"`
	}
	col := db.Collection(ColWorkshopLists)
	if err := col.FindOne(ctx, bson.M{"_id": "schedule"}).Decode(&doc); err != nil && !IsNoDocuments(err) {
		return fmt.Errorf("store: backfill schedule: %w", err)
	}
	cur, err := db.Collection("workshops").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"group_id": 1, "starts_at": 1, "ends_at": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill schedule: %w", err)
	}
	var ws []struct {
		ID       string    `bson:"_id"`
		GroupID  string    `bson:"group_id"`
		StartsAt time.Time `bson:"starts_at"`
		EndsAt   time.Time `bson:"ends_at"`
	}
	if err := cur.All(ctx, &ws); err != nil {
		return fmt.Errorf("store: backfill schedule: %w", err)
	}
	have := map[string]bool{}
	for _, e := range doc.Entries {
		have[e.ID] = true
	}
	added := false
	for _, w := range ws {
		if !have[w.ID] {
			doc.Entries = append(doc.Entries, entry{ID: w.ID, GroupID: w.GroupID, StartsAt: w.StartsAt.UTC(), EndsAt: w.EndsAt.UTC()})
			added = true
		}
	}
	if !added {
		return nil
	}
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "schedule"}, bson.M{"$set": bson.M{"entries": doc.Entries}},
		options.Update().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: backfill schedule: %w", err)
	}
	return Touch(ctx, db, StampWorkshopSchedule)
}

// backfillWorkshopTexts writes the texts of the workshops the document
// lacks (workshops' own, in its package: _id "texts", entries of id and
// text, each word of the title and description once, joined by spaces).
func backfillWorkshopTexts(ctx context.Context, db *mongo.Database) error {
	type entry struct {
		ID   string `bson:"id"`
		Text string `bson:"text"`
	}
	var doc struct {
		Entries []entry `bson:"entries"`
	}
	col := db.Collection(ColWorkshopLists)
	if err := col.FindOne(ctx, bson.M{"_id": "texts"}).Decode(&doc); err != nil && !IsNoDocuments(err) {
		return fmt.Errorf("store: backfill workshop texts: %w", err)
	}
	cur, err := db.Collection("workshops").Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"title": 1, "description": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill workshop texts: %w", err)
	}
	var ws []struct {
		ID          string `bson:"_id"`
		Title       string `bson:"title"`
		Description string `bson:"description"`
	}
	if err := cur.All(ctx, &ws); err != nil {
		return fmt.Errorf("store: backfill workshop texts: %w", err)
	}
	have := map[string]bool{}
	for _, e := range doc.Entries {
		have[e.ID] = true
	}
	added := false
	for _, w := range ws {
		if !have[w.ID] {
			// Each word (run without white space) once, as workshops'
			// searchText writes it.
			seen := map[string]bool{}
			var words []string
			for _, f := range strings.Fields(w.Title + " " + w.Description) {
				if !seen[f] {
					seen[f] = true
					words = append(words, f)
				}
			}
			doc.Entries = append(doc.Entries, entry{ID: w.ID, Text: strings.Join(words, " ")})
			added = true
		}
	}
	if !added {
		return nil
	}
	if err := createCollection(ctx, db, ColWorkshopLists); err != nil {
		return fmt.Errorf("store: backfill workshop texts: %w", err)
	}
	if _, err := col.UpdateOne(ctx, bson.M{"_id": "texts"}, bson.M{"$set": bson.M{"entries": doc.Entries}},
		options.Update().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: backfill workshop texts: %w", err)
	}
	return Touch(ctx, db, StampWorkshopTexts)
}

// createCollection makes col exist, so that the embedded database's _id
// lookup index is there from the start (see IndexIDLookups).
func createCollection(ctx context.Context, db *mongo.Database, col string) error {
	if err := db.CreateCollection(ctx, col); err != nil {
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 48 { // 48: NamespaceExists
			return err
		}
	}
	return nil
}

// ColResourceThreads is forum's collection naming, under a resource's ID
// (_id), the thread about it (thread_id) when that thread's _id is not the
// resource's: one started before EnsureResourceThread claimed the
// resource's ID. Only this migration writes it; no server of this release
// starts such a thread.
const ColResourceThreads = "resource_threads"

// backfillResourceThreads records the thread of each resource whose thread
// has an _id of its own: the oldest (by created_at, then _id), as the
// filter it replaces chose, and none where a thread already has the
// resource's ID, which readers find first. It writes the same on a second
// run.
func backfillResourceThreads(ctx context.Context, db *mongo.Database) error {
	if err := createCollection(ctx, db, ColResourceThreads); err != nil {
		return fmt.Errorf("store: backfill resource threads: %w", err)
	}
	cur, err := db.Collection("forum_threads").Find(ctx, bson.M{"resource_id": bson.M{"$exists": true, "$ne": ""}},
		options.Find().SetProjection(bson.M{"resource_id": 1, "created_at": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill resource threads: %w", err)
	}
	var ts []struct {
		ID         string    `bson:"_id"`
		ResourceID string    `bson:"resource_id"`
		CreatedAt  time.Time `bson:"created_at"`
	}
	if err := cur.All(ctx, &ts); err != nil {
		return fmt.Errorf("store: backfill resource threads: %w", err)
	}
	type pick struct {
		id string
		at time.Time
	}
	own := map[string]bool{}
	oldest := map[string]pick{}
	for _, t := range ts {
		if t.ID == t.ResourceID {
			own[t.ResourceID] = true
			continue
		}
		p, ok := oldest[t.ResourceID]
		if !ok || t.CreatedAt.Before(p.at) || (t.CreatedAt.Equal(p.at) && t.ID < p.id) {
			oldest[t.ResourceID] = pick{t.ID, t.CreatedAt}
		}
	}
	col := db.Collection(ColResourceThreads)
	for r, p := range oldest {
		if own[r] {
			continue
		}
		if _, err := col.UpdateOne(ctx, bson.M{"_id": r}, bson.M{"$set": bson.M{"thread_id": p.id}},
			options.Update().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: backfill resource threads: %w", err)
		}
	}
	return nil
}

// ColMarkLists is resources' collection of each resource's list of the
// members who marked it used in a tender (an IDList, _id the resource's
// ID; a mark's _id is the resource's and the member's, joined by ":").
const ColMarkLists = "resource_mark_lists"

// backfillMarkLists lists every mark on its resource's list, adding to
// what a replica of this release listed meanwhile.
func backfillMarkLists(ctx context.Context, db *mongo.Database) error {
	if err := createCollection(ctx, db, ColMarkLists); err != nil {
		return fmt.Errorf("store: backfill mark lists: %w", err)
	}
	cur, err := db.Collection("resource_marks").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"resource_id": 1, "member_id": 1}))
	if err != nil {
		return fmt.Errorf("store: backfill mark lists: %w", err)
	}
	var ms []struct {
		Resource string `bson:"resource_id"`
		Member   string `bson:"member_id"`
	}
	if err := cur.All(ctx, &ms); err != nil {
		return fmt.Errorf("store: backfill mark lists: %w", err)
	}
	lists := map[string][]string{}
	for _, m := range ms {
		if m.Resource != "" && m.Member != "" && !slices.Contains(lists[m.Resource], m.Member) {
			lists[m.Resource] = append(lists[m.Resource], m.Member)
		}
	}
	col := db.Collection(ColMarkLists)
	for id, vs := range lists {
		if _, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"ids": bson.M{"$each": vs}}},
			options.Update().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: backfill mark lists: %w", err)
		}
	}
	return nil
}

// The library's GridFS bucket and its blobs (resources' names), for the
// migration that re-stores files under the chunk _ids of ChunkID.
const (
	colLibraryFiles  = "library.files"
	colLibraryChunks = "library.chunks"
	colBlobs         = "resource_blobs"
	// restoredSuffix makes the key of a re-stored file from its old key:
	// derived, so that a second run finds the copy a first one began,
	// and never a key the portal generates (NewID is hexadecimal).
	restoredSuffix = "-s10"
)

// afterChunkCopy, when set (tests), runs after the copies are written and
// before any blob is switched to them: an error stops the migration there.
var afterChunkCopy func() error

// legacyFile is a library file whose chunks have other _ids than ChunkID's.
type legacyFile struct {
	length, chunkSize int64
	uploadDate        any
	blobs             []string
	// oldChunks are the _ids of its chunks; sizes, by n, the length of
	// each chunk copied (or found copied) under the new key.
	oldChunks []any
	sizes     map[int64]int
}

// restoreLegacyChunks re-stores every file a blob references whose chunk 0
// is not found by its ChunkID: the chunks are copied under a new key
// (the old one and restoredSuffix), then its files document, then each
// blob's file_id is switched (the commit point, one document each), then
// the old chunks and files document are deleted. Every write is an insert
// of a derived _id (a second one fails harmlessly) or a delete, so a stop
// anywhere leaves each blob on a whole file, old or new, and a second run
// completes what the first began: a blob already on a copy whose old
// files document still exists gets the old file deleted. A copy that lacks
// a chunk (the old file was damaged) is not switched to. Files no blob
// references are left alone: a replica of the previous release writes the
// chunks of an upload before its blob.
func restoreLegacyChunks(ctx context.Context, db *mongo.Database) error {
	if err := createCollection(ctx, db, colLibraryChunks); err != nil {
		return fmt.Errorf("store: chunk ids: %w", err)
	}
	files, chunks := db.Collection(colLibraryFiles), db.Collection(colLibraryChunks)
	cur, err := db.Collection(colBlobs).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"file_id": 1}))
	if err != nil {
		return fmt.Errorf("store: chunk ids: %w", err)
	}
	var blobs []struct {
		ID     string `bson:"_id"`
		FileID string `bson:"file_id"`
	}
	if err := cur.All(ctx, &blobs); err != nil {
		return fmt.Errorf("store: chunk ids: %w", err)
	}
	refs := map[string][]string{}
	for _, b := range blobs {
		if b.FileID != "" {
			refs[b.FileID] = append(refs[b.FileID], b.ID)
		}
	}
	legacy := map[string]*legacyFile{}
	// cleanup holds old files whose blobs were switched by a run that
	// stopped before deleting them.
	cleanup := map[string]*legacyFile{}
	for key, ids := range refs {
		if old, ok := strings.CutSuffix(key, restoredSuffix); ok && len(refs[old]) == 0 {
			if err := files.FindOne(ctx, bson.M{"_id": old}).Err(); err == nil {
				cleanup[old] = &legacyFile{}
			} else if !IsNoDocuments(err) {
				return fmt.Errorf("store: chunk ids: %w", err)
			}
		}
		var f struct {
			Length     int64 `bson:"length"`
			ChunkSize  int64 `bson:"chunkSize"`
			UploadDate any   `bson:"uploadDate"`
		}
		if err := files.FindOne(ctx, bson.M{"_id": key}).Decode(&f); err != nil {
			if IsNoDocuments(err) {
				continue // nothing to read either way
			}
			return fmt.Errorf("store: chunk ids: %w", err)
		}
		if f.Length <= 0 || f.ChunkSize <= 0 {
			continue // no chunks to find
		}
		err := chunks.FindOne(ctx, bson.M{"_id": ChunkID(key, 0)}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
		if err == nil {
			continue // the new layout already
		}
		if !IsNoDocuments(err) {
			return fmt.Errorf("store: chunk ids: %w", err)
		}
		legacy[key] = &legacyFile{length: f.Length, chunkSize: f.ChunkSize, uploadDate: f.UploadDate, blobs: ids, sizes: map[int64]int{}}
	}
	if len(legacy) == 0 && len(cleanup) == 0 {
		return nil
	}
	// One pass over the chunks, a few at a time (each up to 255 KiB): the
	// embedded database would read them all for each file's filter.
	cur, err = chunks.Find(ctx, bson.M{}, options.Find().SetBatchSize(8))
	if err != nil {
		return fmt.Errorf("store: chunk ids: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		doc := cur.Current
		key, ok := doc.Lookup("files_id").StringValueOK()
		if !ok {
			continue
		}
		n, nok := doc.Lookup("n").AsInt64OK()
		// Copied: the cursor's buffer may be reused for the next batch.
		id := doc.Lookup("_id")
		id.Value = slices.Clone(id.Value)
		if f := cleanup[key]; f != nil {
			f.oldChunks = append(f.oldChunks, id)
			continue
		}
		f := legacy[key]
		if f == nil {
			continue
		}
		f.oldChunks = append(f.oldChunks, id)
		if !nok || n < 0 || n*f.chunkSize >= f.length {
			continue // not part of the file
		}
		_, data, ok := doc.Lookup("data").BinaryOK()
		if !ok {
			continue
		}
		newKey := key + restoredSuffix
		copyDoc := bson.D{{Key: "_id", Value: ChunkID(newKey, n)}, {Key: "files_id", Value: newKey}, {Key: "n", Value: int32(n)},
			{Key: "data", Value: primitive.Binary{Data: data}}}
		if _, err := chunks.InsertOne(ctx, copyDoc); err != nil && !IsDuplicateKey(err) {
			return fmt.Errorf("store: chunk ids: copy chunk %d of %s: %w", n, key, err)
		}
		f.sizes[n] = len(data)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("store: chunk ids: %w", err)
	}
	for key, f := range legacy {
		if !f.complete() {
			slog.Warn("stored file damaged: left in its old layout", "file", key, "length", f.length, "chunks_found", len(f.sizes))
			continue
		}
		newKey := key + restoredSuffix
		doc := bson.D{{Key: "_id", Value: newKey}, {Key: "length", Value: f.length}, {Key: "chunkSize", Value: int32(f.chunkSize)},
			{Key: "uploadDate", Value: f.uploadDate}, {Key: "filename", Value: newKey}}
		if _, err := files.InsertOne(ctx, doc); err != nil && !IsDuplicateKey(err) {
			return fmt.Errorf("store: chunk ids: files document of %s: %w", newKey, err)
		}
	}
	if afterChunkCopy != nil {
		if err := afterChunkCopy(); err != nil {
			return err
		}
	}
	for key, f := range legacy {
		if !f.complete() {
			continue
		}
		for _, b := range f.blobs {
			// By _id alone (UpdateByIDIf's check, then its write), on
			// every backend: a filter on _id and file_id together is one
			// the embedded database answers by reading every blob, once per
			// file, which at 10,000 files kept a server's start-up in this
			// migration for more than a quarter of an hour. Not being one
			// conditional update is safe here: a blob's _id is its
			// content's SHA-256 and its file_id is written only when it is
			// inserted and by this migration, so a blob deleted and
			// inserted again between the check and the write has the same
			// bytes as the copy it is pointed at (at worst its new upload's
			// file is left unreferenced).
			if _, err := UpdateByIDIf(ctx, db.Collection(colBlobs), b, bson.M{"file_id": key},
				bson.M{"$set": bson.M{"file_id": key + restoredSuffix}}, true); err != nil {
				return fmt.Errorf("store: chunk ids: switch blob %s: %w", b, err)
			}
		}
		cleanup[key] = f
	}
	// The chunks first, the files document last: while it exists, a run
	// after a stop here knows the old file is still to be deleted.
	for key, f := range cleanup {
		for _, id := range f.oldChunks {
			if _, err := chunks.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
				return fmt.Errorf("store: chunk ids: delete old chunks of %s: %w", key, err)
			}
		}
		if _, err := files.DeleteOne(ctx, bson.M{"_id": key}); err != nil {
			return fmt.Errorf("store: chunk ids: delete old file %s: %w", key, err)
		}
	}
	return nil
}

// complete reports whether every chunk of the file was copied, each of
// the length the files document implies.
func (f *legacyFile) complete() bool {
	count := (f.length + f.chunkSize - 1) / f.chunkSize
	for n := int64(0); n < count; n++ {
		if int64(f.sizes[n]) != min(f.chunkSize, f.length-n*f.chunkSize) {
			return false
		}
	}
	return true
}
