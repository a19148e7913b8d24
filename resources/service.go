package resources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/search"
	"github.com/circularfairict/portal/store"
)

// Collections and the GridFS bucket owned by this package.
const (
	colResources = "resources"
	colBlobs     = "resource_blobs"
	colMarks     = "resource_marks"
	// colMarkLists lists, under a resource's ID, the members who marked it
	// (store.IDList), so its page reads its marks by _id.
	colMarkLists = store.ColMarkLists
	colBookmarks = "resource_bookmarks"
	colReports   = "resource_reports"
	bucketName   = "library"
)

// Indexes lists what this package needs; the server ensures them at start-up.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: colResources, Name: "created", Keys: bson.D{{Key: "created_at", Value: -1}}},
		{Collection: colResources, Name: "owner", Keys: bson.D{{Key: "owner_id", Value: 1}}},
		{Collection: colResources, Name: "group", Keys: bson.D{{Key: "group_id", Value: 1}}},
		{Collection: colResources, Name: "good_practice", Keys: bson.D{{Key: "good_practice", Value: 1}}},
		// The search index reads every version's text from the blobs by
		// _id: this index makes the collection exist at start-up, so the
		// embedded database's _id lookup index (store.IndexIDLookups) is
		// there before the first blob, not a sweep later.
		{Collection: colBlobs, Name: "created", Keys: bson.D{{Key: "created_at", Value: 1}}},
		{Collection: colMarks, Name: "resource", Keys: bson.D{{Key: "resource_id", Value: 1}}},
		{Collection: colMarks, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colBookmarks, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		{Collection: colReports, Name: "resource", Keys: bson.D{{Key: "resource_id", Value: 1}}},
		{Collection: colReports, Name: "member", Keys: bson.D{{Key: "member_id", Value: 1}}},
		// GridFS's own indexes, as the driver would create them.
		{Collection: bucketName + ".chunks", Name: "files_id_1_n_1", Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, Unique: true},
		{Collection: bucketName + ".files", Name: "filename_1_uploadDate_1", Keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}}},
	}
}

// Options configure the Service.
type Options struct {
	// TempDir holds uploads while they are checked; "" is the OS default.
	TempDir string
	// MaxBytes is the upload limit (PORTAL_UPLOAD_MAX_BYTES).
	MaxBytes int64
	// ClamAVSocket, when set, is clamd's unix socket: every upload is
	// scanned before it is stored.
	ClamAVSocket string
}

// Service is the library's API for the server, the import command and the
// demo seed.
type Service struct {
	db   *mongo.Database
	opts Options
	Tax  *Taxonomy
	now  func() time.Time
	// index is the search index (SetIndex); nil only in tools that never
	// search nor change the library.
	index *search.Index
	// changeLog, without an index, numbers changes for the servers
	// running beside this process (SetChangeLog).
	changeLog *search.Log
	// byID reads resources named by _id one lookup each (see ReadByID).
	byID bool
	// inHand holds the extracted text of blobs this server is storing,
	// by blob ID, while the request that stores them indexes the
	// resource: the index takes it from here instead of reading back
	// from the database the text it was just given.
	inHand sync.Map
}

// ReadByID makes ResourcesByID look each resource up by _id instead of
// one $in query, which the embedded database answers by reading every
// resource (see store.FindByIDs). The server calls it on the embedded
// database.
func (s *Service) ReadByID() *Service {
	s.byID = true
	return s
}

// New returns a Service on db.
func New(db *mongo.Database, o Options) (*Service, error) {
	tax, err := LoadTaxonomy()
	if err != nil {
		return nil, err
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 100 << 20
	}
	return &Service{db: db, opts: o, Tax: tax, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}, nil
}

// MaxBytes is the upload limit.
func (s *Service) MaxBytes() int64 { return s.opts.MaxBytes }

func (s *Service) col(name string) *mongo.Collection { return s.db.Collection(name) }

// Receive spools an upload and checks it: size, type from the bytes, archive
// structure, optional virus scan, then extracts its text. The caller closes
// the result. Nothing is stored yet.
func (s *Service) Receive(ctx context.Context, r interface{ Read([]byte) (int, error) }, name string) (*Spooled, error) {
	sp, err := Spool(ctx, s.opts.TempDir, r, name, s.opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, sp); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

func (s *Service) check(ctx context.Context, sp *Spooled) error {
	kind, err := Sniff(sp, sp.Size, sp.Name)
	if err != nil {
		if _, ok := fault.As(err); ok {
			return err
		}
		return fault.Wrap(fault.Internal, err, "error.500")
	}
	sp.Kind = kind
	// Stored under the extension of what the bytes are, whatever the
	// member's name said ("x.html" sent as text is stored as "x.txt").
	sp.Name = DownloadName(sp.Name, kind)
	if s.opts.ClamAVSocket != "" {
		if err := scanClamAV(ctx, s.opts.ClamAVSocket, sp.Reader()); err != nil {
			return err
		}
	}
	sp.Text = Extract(kind, sp, sp.Size)
	return nil
}

// blob is a stored file, keyed by the SHA-256 of its bytes: the same bytes
// uploaded twice are stored once.
type blob struct {
	ID        string    `bson:"_id"`     // hex SHA-256
	FileID    string    `bson:"file_id"` // GridFS key, generated here
	Size      int64     `bson:"size"`
	Kind      Kind      `bson:"kind"`
	Text      string    `bson:"text"`
	CreatedAt time.Time `bson:"created_at"`
}

// putBlob stores the spooled bytes unless a blob with the same digest
// exists. It reports whether it created the blob, so a failed resource write
// can remove it again. GridFS is written first, under a key generated here;
// the blob document that makes it reachable comes second.
func (s *Service) putBlob(ctx context.Context, sp *Spooled) (created bool, err error) {
	var existing blob
	err = s.col(colBlobs).FindOne(ctx, bson.M{"_id": sp.SHA256}).Decode(&existing)
	if err == nil {
		return false, nil
	}
	if !store.IsNoDocuments(err) {
		return false, fmt.Errorf("resources: blob: %w", err)
	}
	key := store.NewID()
	if _, err := s.writeFile(ctx, key, sp.Reader()); err != nil {
		return false, err
	}
	bl := blob{ID: sp.SHA256, FileID: key, Size: sp.Size, Kind: sp.Kind, Text: sp.Text, CreatedAt: s.now()}
	if _, err := s.col(colBlobs).InsertOne(ctx, bl); err != nil {
		_ = s.deleteFile(context.WithoutCancel(ctx), key)
		if store.IsDuplicateKey(err) { // the same bytes arrived concurrently
			return false, nil
		}
		return false, fmt.Errorf("resources: blob: %w", err)
	}
	return true, nil
}

// holdText keeps sp's text for the index while its resource is indexed.
// Only a blob this request created: one stored before may hold the text
// an older extractor made, and the index shows what the database holds.
// It returns what lets go of it.
func (s *Service) holdText(created bool, sp *Spooled) (release func()) {
	if !created {
		return func() {}
	}
	s.inHand.Store(sp.SHA256, sp.Text)
	return func() { s.inHand.Delete(sp.SHA256) }
}

// dropBlob removes a blob this request created, when what was to reference it failed.
func (s *Service) dropBlob(ctx context.Context, sha string) {
	ctx = context.WithoutCancel(ctx)
	var b blob
	if err := s.col(colBlobs).FindOneAndDelete(ctx, bson.M{"_id": sha}).Decode(&b); err == nil {
		_ = s.deleteFile(ctx, b.FileID)
	}
}

// ResourceID returns the ID of a resource created with an idempotency key:
// retries of the same creation (same owner, same key) get the same ID, so
// the second insert finds the first instead of duplicating it.
func ResourceID(owner, idempotencyKey string) string {
	if idempotencyKey == "" {
		return store.NewID()
	}
	h := sha256.Sum256([]byte("resource\x00" + owner + "\x00" + idempotencyKey))
	return hex.EncodeToString(h[:12])
}

// Create validates meta, stores the file and creates the resource. With an
// idempotency key a retry returns the resource created the first time (and
// created reports false).
func (s *Service) Create(ctx context.Context, owner string, meta Meta, sp *Spooled, note, idempotencyKey string) (r *Resource, created bool, err error) {
	return s.create(ctx, ResourceID(owner, idempotencyKey), owner, meta, sp, note, idempotencyKey != "")
}

// CreateShared is Create for a resource whose identity is its key alone,
// whoever creates it: two members creating it at the same moment (two
// facilitators publishing one workshop's outcome) get one resource, owned
// by the first.
func (s *Service) CreateShared(ctx context.Context, owner string, meta Meta, sp *Spooled, note, key string) (r *Resource, created bool, err error) {
	if key == "" {
		return nil, false, errors.New("resources: create shared: empty key")
	}
	return s.create(ctx, ResourceID("", key), owner, meta, sp, note, true)
}

func (s *Service) create(ctx context.Context, id, owner string, meta Meta, sp *Spooled, note string, keyed bool) (r *Resource, created bool, err error) {
	meta, err = s.Validate(meta)
	if err != nil {
		return nil, false, err
	}
	if keyed {
		if prev, err := s.resource(ctx, id); err == nil {
			return prev, false, nil
		}
	}
	newBlob, err := s.putBlob(ctx, sp)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	res := &Resource{
		ID: id, Meta: meta, OwnerID: owner, CreatedAt: now, UpdatedAt: now, Latest: 1,
		Versions: []Version{{N: 1, BlobID: sp.SHA256, Size: sp.Size, Kind: sp.Kind, Filename: sp.Name, Note: strings.TrimSpace(note), Uploader: owner, CreatedAt: now}},
	}
	res.Preview = clip(sp.Text, 4000)
	res.ChangedAt = now
	defer s.holdText(newBlob, sp)()
	if _, err := s.col(colResources).InsertOne(ctx, res); err != nil {
		if store.IsDuplicateKey(err) && keyed {
			if prev, perr := s.resource(ctx, id); perr == nil {
				return prev, false, nil
			}
		}
		if newBlob {
			s.dropBlob(ctx, sp.SHA256)
		}
		return nil, false, fmt.Errorf("resources: create: %w", err)
	}
	s.changed(ctx, res.ID)
	return res, true, nil
}

// AddVersion stores a new file as the next version of resource id.
func (s *Service) AddVersion(ctx context.Context, id, uploader string, sp *Spooled, note string) (*Resource, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, fault.New(fault.Invalid, "library.error.note_required").OnField("note")
	}
	if utf8.RuneCountInString(note) > 1000 {
		return nil, fault.New(fault.Invalid, "library.error.too_long", 1000).OnField("note")
	}
	newBlob, err := s.putBlob(ctx, sp)
	if err != nil {
		return nil, err
	}
	defer s.holdText(newBlob, sp)()
	for attempt := 0; attempt < 3; attempt++ {
		r, err := s.resource(ctx, id)
		if err != nil {
			if newBlob {
				s.dropBlob(ctx, sp.SHA256)
			}
			return nil, err
		}
		now := s.now()
		v := Version{N: r.Latest + 1, BlobID: sp.SHA256, Size: sp.Size, Kind: sp.Kind, Filename: sp.Name, Note: note, Uploader: uploader, CreatedAt: now}
		r.Versions = append(r.Versions, v)
		r.Latest = v.N
		r.Preview = clip(sp.Text, 4000)
		// The filter on latest makes concurrent uploads take turns.
		res, err := store.UpdateByIDIf(ctx, s.col(colResources), id, bson.M{"latest": v.N - 1}, bson.M{
			"$push": bson.M{"versions": v},
			"$set":  bson.M{"latest": v.N, "updated_at": now, "changed_at": now, "preview": r.Preview},
		}, s.byID)
		if err != nil {
			if newBlob {
				s.dropBlob(ctx, sp.SHA256)
			}
			return nil, fmt.Errorf("resources: add version: %w", err)
		}
		if res.MatchedCount == 1 {
			r.UpdatedAt, r.ChangedAt = now, now
			s.changed(ctx, id)
			return r, nil
		}
	}
	return nil, fault.New(fault.Conflict, "error.409")
}

// Resource returns a resource by ID.
func (s *Service) Resource(ctx context.Context, id string) (*Resource, error) {
	return s.resource(ctx, id)
}

var idRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

// ValidID reports whether id is shaped like a resource ID.
func ValidID(id string) bool { return idRe.MatchString(id) }

func (s *Service) resource(ctx context.Context, id string) (*Resource, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	var r Resource
	if err := s.col(colResources).FindOne(ctx, bson.M{"_id": id}, options.FindOne()).Decode(&r); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("resources: resource: %w", err)
	}
	return &r, nil
}

// ResourcesByID returns resources in one query, keyed by ID.
func (s *Service) ResourcesByID(ctx context.Context, ids []string) (map[string]*Resource, error) {
	out := map[string]*Resource{}
	if len(ids) == 0 {
		return out, nil
	}
	rs, err := store.FindByIDs[*Resource](ctx, s.col(colResources), ids, listProjection, s.byID)
	if err != nil {
		return nil, fmt.Errorf("resources: by id: %w", err)
	}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out, nil
}

// OpenVersion opens the bytes of a version for reading: its blob, then
// its file (see openFile), each by _id.
func (s *Service) OpenVersion(ctx context.Context, v Version) (*File, error) {
	var b blob
	if err := s.col(colBlobs).FindOne(ctx, bson.M{"_id": v.BlobID}, options.FindOne().SetProjection(bson.M{"text": 0})).Decode(&b); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("resources: open: %w", err)
	}
	return s.openFile(ctx, b.FileID)
}

// CountDownload and CountView add one to a resource's counters.
func (s *Service) CountDownload(ctx context.Context, id string) error {
	return s.inc(ctx, id, "downloads")
}

// CountView adds one to the resource's view counter.
func (s *Service) CountView(ctx context.Context, id string) error { return s.inc(ctx, id, "views") }

func (s *Service) inc(ctx context.Context, id, field string) error {
	upd := bson.M{"$inc": bson.M{field: 1}}
	// The index sorts by downloads: that count is a change it shows.
	indexed := field == "downloads"
	if indexed {
		upd["$set"] = bson.M{"changed_at": s.now()}
	}
	if _, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": id}, upd); err != nil {
		return fmt.Errorf("resources: count %s: %w", field, err)
	}
	if indexed {
		s.changed(ctx, id)
	}
	return nil
}

// Update replaces a resource's metadata and re-indexes it.
func (s *Service) Update(ctx context.Context, id string, meta Meta) (*Resource, error) {
	meta, err := s.Validate(meta)
	if err != nil {
		return nil, err
	}
	r, err := s.resource(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Meta = meta
	r.UpdatedAt = s.now()
	r.ChangedAt = r.UpdatedAt
	set := bson.M{"updated_at": r.UpdatedAt, "changed_at": r.ChangedAt}
	raw, err := bson.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var m bson.M
	_ = bson.Unmarshal(raw, &m)
	for k, v := range m {
		set[k] = v
	}
	unset := bson.M{}
	for _, k := range []string{"translations", "stages", "products", "themes", "frameworks", "ambition", "country", "organisation", "year", "award", "group_id"} {
		if _, ok := m[k]; !ok {
			unset[k] = ""
		}
	}
	upd := bson.M{"$set": set}
	if len(unset) > 0 {
		upd["$unset"] = unset
	}
	if _, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": id}, upd); err != nil {
		return nil, fmt.Errorf("resources: update: %w", err)
	}
	s.changed(ctx, id)
	return r, nil
}

// Withdraw hides a resource from lists; its page stays and says why.
func (s *Service) Withdraw(ctx context.Context, id, by, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fault.New(fault.Invalid, "library.error.reason_required").OnField("reason")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return fault.New(fault.Invalid, "library.error.too_long", 1000).OnField("reason")
	}
	w := Withdrawal{Reason: reason, By: by, At: s.now()}
	res, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"withdrawn": w, "good_practice": false, "changed_at": w.At}})
	if err != nil {
		return fmt.Errorf("resources: withdraw: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	s.changed(ctx, id)
	return s.ResolveReports(ctx, id, by) // withdrawing answers them
}

// SetGoodPractice marks or unmarks a resource as good practice.
func (s *Service) SetGoodPractice(ctx context.Context, id string, on bool) error {
	res, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"good_practice": on, "changed_at": s.now()}})
	if err != nil {
		return fmt.Errorf("resources: good practice: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	s.changed(ctx, id)
	return nil
}

// AddLink adds a typed link; a link to a resource must name an existing one.
func (s *Service) AddLink(ctx context.Context, id string, l Link) error {
	known := false
	for _, k := range LinkKinds {
		known = known || k == l.Kind
	}
	if !known {
		return fault.New(fault.Invalid, "library.error.link_kind").OnField("kind")
	}
	l.Target = strings.TrimSpace(l.Target)
	if !ValidID(l.Target) || l.Target == id {
		return fault.New(fault.Invalid, "library.error.link_target").OnField("target")
	}
	if l.Kind != LinkDiscussedIn && l.Kind != LinkProducedBy {
		if _, err := s.resource(ctx, l.Target); err != nil {
			return fault.New(fault.Invalid, "library.error.link_target").OnField("target")
		}
	}
	// The index holds link targets (Related reads them there): changed_at
	// lets a catching-up index see the new link.
	res, err := s.col(colResources).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$addToSet": bson.M{"links": l}, "$set": bson.M{"changed_at": s.now()}})
	if err != nil {
		return fmt.Errorf("resources: link: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	s.changed(ctx, id)
	return nil
}

// MarkUsed records "I used this in a tender"; one mark per member and
// resource, updated when given again.
func (s *Service) MarkUsed(ctx context.Context, id, member, where string, year int) error {
	where = strings.TrimSpace(where)
	if where == "" {
		return fault.New(fault.Invalid, "library.error.where_required").OnField("where")
	}
	if utf8.RuneCountInString(where) > 200 {
		return fault.New(fault.Invalid, "library.error.too_long", 200).OnField("where")
	}
	if year < 1990 || year > s.now().Year()+1 {
		return fault.New(fault.Invalid, "library.error.year").OnField("year")
	}
	m := Mark{ID: id + ":" + member, ResourceID: id, MemberID: member, Where: where, Year: year, CreatedAt: s.now()}
	// Listed before it exists: a reader skips a listed member without a
	// mark, but would never see a mark left off its list by a crash.
	if err := store.SetListed(ctx, s.col(colMarkLists), id, member, true); err != nil {
		return fmt.Errorf("resources: mark: %w", err)
	}
	if _, err := s.col(colMarks).InsertOne(ctx, m); err != nil {
		if store.IsDuplicateKey(err) {
			_, err = s.col(colMarks).UpdateOne(ctx, bson.M{"_id": m.ID}, bson.M{"$set": bson.M{"where": where, "year": year}})
			return err
		}
		return fmt.Errorf("resources: mark: %w", err)
	}
	return s.inc(ctx, id, "used_count")
}

// Marks lists the "used in a tender" marks of a resource, newest first,
// at most maxMarks: read by _id from the resource's list (a filter on
// resource_id would read every mark).
func (s *Service) Marks(ctx context.Context, id string) ([]Mark, error) {
	members, err := store.ListedIDs(ctx, s.col(colMarkLists), id)
	if err != nil {
		return nil, fmt.Errorf("resources: marks: %w", err)
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = id + ":" + m
	}
	ms, err := store.FindByIDs[Mark](ctx, s.col(colMarks), ids, nil, s.byID)
	if err != nil {
		return nil, fmt.Errorf("resources: marks: %w", err)
	}
	slices.SortStableFunc(ms, func(a, b Mark) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(ms) > maxMarks {
		ms = ms[:maxMarks]
	}
	return ms, nil
}

// maxMarks caps the marks a resource page shows.
const maxMarks = 100

// ToggleBookmark adds or removes a bookmark and reports whether it is now set.
func (s *Service) ToggleBookmark(ctx context.Context, id, member string) (bool, error) {
	key := id + ":" + member
	res, err := s.col(colBookmarks).DeleteOne(ctx, bson.M{"_id": key})
	if err != nil {
		return false, fmt.Errorf("resources: bookmark: %w", err)
	}
	if res.DeletedCount == 1 {
		return false, nil
	}
	_, err = s.col(colBookmarks).InsertOne(ctx, Bookmark{ID: key, ResourceID: id, MemberID: member, CreatedAt: s.now()})
	if err != nil && !store.IsDuplicateKey(err) {
		return false, fmt.Errorf("resources: bookmark: %w", err)
	}
	return true, nil
}

// Bookmarked reports whether member bookmarked resource id. A find by
// _id, not a count: the embedded database answers a count (an aggregate)
// by reading every bookmark, and only {_id: value} finds from its index.
func (s *Service) Bookmarked(ctx context.Context, id, member string) (bool, error) {
	err := s.col(colBookmarks).FindOne(ctx, bson.M{"_id": id + ":" + member}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	switch {
	case store.IsNoDocuments(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("resources: bookmark: %w", err)
	}
	return true, nil
}

// Report records a member's report about a resource.
func (s *Service) Report(ctx context.Context, id, member, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fault.New(fault.Invalid, "library.error.reason_required").OnField("reason")
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return fault.New(fault.Invalid, "library.error.too_long", 2000).OnField("reason")
	}
	rep := Report{ID: store.NewID(), ResourceID: id, MemberID: member, Reason: reason, CreatedAt: s.now()}
	if _, err := s.col(colReports).InsertOne(ctx, rep); err != nil {
		return fmt.Errorf("resources: report: %w", err)
	}
	return s.inc(ctx, id, "reports")
}

// OpenReports lists the resources with reports nobody has dealt with yet,
// the longest waiting first.
func (s *Service) OpenReports(ctx context.Context) ([]Reported, error) {
	var reps []Report
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(500)
	cur, err := s.col(colReports).Find(ctx, bson.M{"resolved_at": bson.M{"$exists": false}}, opts)
	if err != nil {
		return nil, fmt.Errorf("resources: open reports: %w", err)
	}
	if err := cur.All(ctx, &reps); err != nil {
		return nil, fmt.Errorf("resources: open reports: %w", err)
	}
	var out []Reported
	at := map[string]int{}
	for _, rep := range reps {
		i, ok := at[rep.ResourceID]
		if !ok {
			r, err := s.Resource(ctx, rep.ResourceID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			i = len(out)
			at[rep.ResourceID] = i
			out = append(out, Reported{Resource: r})
		}
		out[i].Reports = append(out[i].Reports, rep)
	}
	return out, nil
}

// ResolveReports closes a resource's open reports; by is the curator.
func (s *Service) ResolveReports(ctx context.Context, id, by string) error {
	_, err := s.col(colReports).UpdateMany(ctx, bson.M{"resource_id": id, "resolved_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"resolved_at": s.now(), "resolved_by": by}})
	if err != nil {
		return fmt.Errorf("resources: resolve reports: %w", err)
	}
	return nil
}

// Year is the current year, for forms that ask when.
func (s *Service) Year() int { return s.now().Year() }

// RepairMarkLists lists the marks their resource's list lacks, once a day
// from the sweeper: a replica of the release before schema 8 (during a
// rolling upgrade) marks without listing. A member listed without a mark
// is harmless (Marks skips it) and stays. It reads the lists and the marks
// once each and returns how many entries it wrote.
func (s *Service) RepairMarkLists(ctx context.Context) (int, error) {
	var lists []store.IDList
	cur, err := s.col(colMarkLists).Find(ctx, bson.M{})
	if err == nil {
		err = cur.All(ctx, &lists)
	}
	if err != nil {
		return 0, fmt.Errorf("resources: repair mark lists: %w", err)
	}
	listed := map[string]bool{}
	for _, l := range lists {
		for _, m := range l.IDs {
			listed[l.ID+":"+m] = true
		}
	}
	var ms []Mark
	cur, err = s.col(colMarks).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"resource_id": 1, "member_id": 1}))
	if err == nil {
		err = cur.All(ctx, &ms)
	}
	if err != nil {
		return 0, fmt.Errorf("resources: repair mark lists: %w", err)
	}
	n := 0
	for _, m := range ms {
		if m.ResourceID == "" || m.MemberID == "" || listed[m.ResourceID+":"+m.MemberID] {
			continue
		}
		if err := store.SetListed(ctx, s.col(colMarkLists), m.ResourceID, m.MemberID, true); err != nil {
			return n, fmt.Errorf("resources: repair mark lists: %w", err)
		}
		n++
	}
	return n, nil
}
