package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/store"
)

// The server's backups (scheduled, or started by an administrator) are
// recorded in ColRuns, one document per run. Two claims keep them single
// across replicas, each an _id insert (the one write atomic on every
// backend, docs/architecture.md):
//
//   - each scheduled slot is claimed once ("backup-slot:<RFC 3339 time>"),
//     so of the replicas that wake for it exactly one backs up;
//   - a running backup holds the lease "backup-running" (store.ClaimLease),
//     so a second one, scheduled or pressed, does not start beside it; a
//     replica that dies mid-backup frees the lease when it runs out.
const (
	ColRuns    = "backup_runs"
	runningKey = "backup-running"
	// SlotClaimPrefix starts the claims of scheduled slots (the server's
	// sweeper prunes those long past).
	SlotClaimPrefix = "backup-slot:"
)

// Run results.
const (
	ResultRunning = "running"
	ResultOK      = "ok"
	ResultFailed  = "failed"
)

// ErrRunning is returned when a backup is already running (on any replica).
var ErrRunning = errors.New("backup: a backup is already running")

// ErrNotFound is returned for an unknown run, or one without an archive.
var ErrNotFound = fmt.Errorf("backup: %w", store.ErrNotFound)

// archiveName is the only shape of file name the portal writes and so the
// only one it ever deletes or serves from the backup directory.
var archiveName = regexp.MustCompile(`^portal-backup-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}\.zip$`)

// Run is one backup run.
type Run struct {
	ID      string `bson:"_id"`
	Trigger string `bson:"trigger"` // "schedule" or "manual"
	// Slot is the scheduled time a scheduled run is for.
	Slot     time.Time `bson:"slot,omitempty"`
	Started  time.Time `bson:"started"`
	Finished time.Time `bson:"finished,omitempty"`
	// LeaseUntil is when a run still marked running is taken as
	// interrupted (its process died).
	LeaseUntil time.Time `bson:"lease_until"`
	Result     string    `bson:"result"`
	// Error is for the operator: what went wrong, without secrets.
	Error string `bson:"error,omitempty"`
	// File is the archive's base name in the backup directory.
	File   string `bson:"file,omitempty"`
	Bytes  int64  `bson:"bytes,omitempty"`
	SHA256 string `bson:"sha256,omitempty"`
	// Pruned: retention deleted the local archive.
	Pruned bool    `bson:"pruned,omitempty"`
	Upload *Upload `bson:"upload,omitempty"`
	// lease is the claim this process holds while the run goes on.
	lease string
}

// Upload is the result of a run's upload to S3-compatible storage.
type Upload struct {
	Result string `bson:"result"` // ok or failed
	Bucket string `bson:"bucket"`
	Key    string `bson:"key"`
	Error  string `bson:"error,omitempty"`
	// Pruned: retention deleted the object.
	Pruned bool `bson:"pruned,omitempty"`
}

// Duration is how long a finished run took.
func (r Run) Duration() time.Duration {
	if r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started)
}

// Running reports whether the run is going on at now.
func (r Run) Running(now time.Time) bool {
	return r.Result == ResultRunning && now.Before(r.LeaseUntil)
}

// Interrupted reports whether the run's process stopped before recording
// its end.
func (r Run) Interrupted(now time.Time) bool {
	return r.Result == ResultRunning && !now.Before(r.LeaseUntil)
}

// Downloadable reports whether the run's archive is still on disk.
func (r Run) Downloadable() bool {
	return r.Result == ResultOK && !r.Pruned && archiveName.MatchString(r.File)
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Dir receives the archives; it is created when missing.
	Dir string
	// Keep is how many archives are kept, locally and remotely (default 7).
	Keep    int
	Version string
	// S3 uploads each archive when set.
	S3 *S3
	// Lease bounds a run (default 6 h): a run older than that is taken as
	// dead and another may start.
	Lease  time.Duration
	Logger *slog.Logger
}

// Scheduler runs the server's backups.
type Scheduler struct {
	st  *store.Store
	o   SchedulerOptions
	log *slog.Logger
}

// NewScheduler returns a scheduler writing st's backups into o.Dir.
func NewScheduler(st *store.Store, o SchedulerOptions) *Scheduler {
	if o.Keep < 1 {
		o.Keep = 7
	}
	if o.Lease <= 0 {
		o.Lease = 6 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{st: st, o: o, log: o.Logger}
}

// Dir is the directory archives are written to.
func (s *Scheduler) Dir() string { return s.o.Dir }

// Keep is the retention count.
func (s *Scheduler) Keep() int { return s.o.Keep }

// Uploads reports whether archives are uploaded to S3.
func (s *Scheduler) Uploads() bool { return s.o.S3 != nil }

func (s *Scheduler) runs() *mongo.Collection { return s.st.DB.Collection(ColRuns) }

// Start records a run and takes the running lease; Execute then does it.
// It returns ErrRunning while another run holds the lease.
func (s *Scheduler) Start(ctx context.Context, trigger string, slot time.Time) (*Run, error) {
	now := time.Now().UTC()
	lease, ok, err := store.ClaimLease(ctx, s.st.DB, runningKey, now, s.o.Lease)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrRunning
	}
	r := &Run{ID: newID(), Trigger: trigger, Slot: slot, Started: now, LeaseUntil: now.Add(s.o.Lease), Result: ResultRunning, lease: lease}
	r.File = "portal-backup-" + now.Format("20060102T150405Z") + "-" + r.ID[:8] + ".zip"
	if _, err := s.runs().InsertOne(ctx, r); err != nil {
		_ = store.Release(context.WithoutCancel(ctx), s.st.DB, lease)
		return nil, fmt.Errorf("backup: record run: %w", err)
	}
	return r, nil
}

// Scheduled runs the backup of slot unless another replica claimed the
// slot; it reports whether this call ran it. A slot that finds another
// backup running is recorded as a failed run that says so.
func (s *Scheduler) Scheduled(ctx context.Context, slot time.Time) (*Run, bool, error) {
	ok, err := store.Claim(ctx, s.st.DB, SlotClaimPrefix+slot.UTC().Format(time.RFC3339), time.Now().UTC())
	if err != nil || !ok {
		return nil, false, err
	}
	r, err := s.Start(ctx, "schedule", slot.UTC())
	if errors.Is(err, ErrRunning) {
		now := time.Now().UTC()
		r = &Run{ID: newID(), Trigger: "schedule", Slot: slot.UTC(), Started: now, Finished: now, LeaseUntil: now,
			Result: ResultFailed, Error: "skipped: another backup was running"}
		if _, err := s.runs().InsertOne(ctx, r); err != nil {
			return nil, true, fmt.Errorf("backup: record run: %w", err)
		}
		return r, true, nil
	}
	if err != nil {
		return nil, true, err
	}
	s.Execute(ctx, r)
	return r, true, nil
}

// Execute writes r's archive through Backup (temporary name, then
// renamed), uploads it, applies retention and records the result. It
// releases the running lease. A cancelled ctx (the server stopping) ends
// the run as failed; the partial file is removed by Backup.
func (s *Scheduler) Execute(ctx context.Context, r *Run) {
	rec := context.WithoutCancel(ctx) // the outcome is recorded even after a cancel
	defer func() {
		if r.lease != "" {
			if err := store.Release(rec, s.st.DB, r.lease); err != nil {
				s.log.Warn("backup: release lease", "err", err)
			}
		}
	}()
	fail := func(msg string, err error) {
		s.log.Error("backup failed", "run", r.ID, "err", err)
		r.Result, r.Error = ResultFailed, msg
	}
	path := filepath.Join(s.o.Dir, r.File)
	if err := os.MkdirAll(s.o.Dir, 0o700); err != nil {
		fail("cannot create the backup directory "+s.o.Dir+": "+pathErr(err), err)
	} else if _, err := Backup(ctx, s.st, path, Options{Version: s.o.Version}); err != nil {
		if ctx.Err() != nil {
			fail("interrupted: the server stopped during the backup", err)
		} else {
			fail("the archive could not be written: "+pathErr(err), err)
		}
	} else if r.Bytes, r.SHA256, err = sizeAndSum(path); err != nil {
		fail("the archive could not be read back: "+pathErr(err), err)
	} else {
		r.Result = ResultOK
	}
	if r.Result == ResultOK && s.o.S3 != nil {
		r.Upload = s.o.S3.put(ctx, r.File, path, r.SHA256)
		if r.Upload.Result != ResultOK {
			s.log.Error("backup upload failed", "run", r.ID, "bucket", r.Upload.Bucket, "key", r.Upload.Key, "err", r.Upload.Error)
		}
	}
	r.Finished = time.Now().UTC()
	set := bson.M{"finished": r.Finished, "result": r.Result, "bytes": r.Bytes, "sha256": r.SHA256}
	if r.Error != "" {
		set["error"] = r.Error
	}
	if r.Upload != nil {
		set["upload"] = r.Upload
	}
	if _, err := s.runs().UpdateOne(rec, bson.M{"_id": r.ID}, bson.M{"$set": set}); err != nil {
		s.log.Error("backup: record run", "run", r.ID, "err", err)
	}
	if r.Result == ResultOK {
		s.log.Info("backup done", "run", r.ID, "file", path, "bytes", r.Bytes, "duration", r.Duration().String())
		if err := s.prune(rec); err != nil {
			s.log.Warn("backup: retention", "err", err)
		}
	}
}

// prune deletes the local archives beyond the Keep newest successful runs,
// and the uploaded objects beyond the Keep newest uploads. It deletes only
// what a run recorded: files of the portal's own name pattern in the
// backup directory, objects under the keys it uploaded.
func (s *Scheduler) prune(ctx context.Context) error {
	runs, err := s.Runs(ctx, 0)
	if err != nil {
		return err
	}
	local, remote := 0, 0
	for _, r := range runs {
		if r.Result != ResultOK {
			continue
		}
		if !r.Pruned && archiveName.MatchString(r.File) {
			if local++; local > s.o.Keep {
				if err := os.Remove(filepath.Join(s.o.Dir, r.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("backup: retention: %w", err)
				}
				if _, err := s.runs().UpdateOne(ctx, bson.M{"_id": r.ID}, bson.M{"$set": bson.M{"pruned": true}}); err != nil {
					return fmt.Errorf("backup: retention: %w", err)
				}
			}
		}
		if u := r.Upload; u != nil && u.Result == ResultOK && !u.Pruned && s.o.S3 != nil && u.Bucket == s.o.S3.bucket {
			if remote++; remote > s.o.Keep {
				if err := s.o.S3.remove(ctx, u.Key); err != nil {
					return err
				}
				if _, err := s.runs().UpdateOne(ctx, bson.M{"_id": r.ID}, bson.M{"$set": bson.M{"upload.pruned": true}}); err != nil {
					return fmt.Errorf("backup: retention: %w", err)
				}
			}
		}
	}
	return nil
}

// Runs returns the runs, newest first; limit 0 returns all. The
// collection holds one small document per run, so it is read whole and
// sorted here (the embedded database reads it whole anyway).
func (s *Scheduler) Runs(ctx context.Context, limit int) ([]Run, error) {
	cur, err := s.runs().Find(ctx, bson.M{}, options.Find())
	if err != nil {
		return nil, fmt.Errorf("backup: runs: %w", err)
	}
	var out []Run
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("backup: runs: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Archive opens the archive of run id for reading, with its size and file
// name. Only a run's recorded archive of the portal's own name shape in
// the backup directory is ever opened.
func (s *Scheduler) Archive(ctx context.Context, id string) (*os.File, Run, error) {
	var r Run
	if err := s.runs().FindOne(ctx, bson.M{"_id": id}).Decode(&r); err != nil {
		if store.IsNoDocuments(err) {
			return nil, r, ErrNotFound
		}
		return nil, r, fmt.Errorf("backup: run: %w", err)
	}
	if !r.Downloadable() {
		return nil, r, ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.o.Dir, r.File))
	if errors.Is(err, os.ErrNotExist) {
		return nil, r, ErrNotFound
	}
	if err != nil {
		return nil, r, fmt.Errorf("backup: open archive: %w", err)
	}
	return f, r, nil
}

// Loop runs the scheduled backups until ctx ends: it sleeps until each
// slot of sched and then runs it (on one replica).
func (s *Scheduler) Loop(ctx context.Context, sched config.Schedule) {
	for {
		next := sched.Next(time.Now())
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, _, err := s.Scheduled(ctx, next); err != nil {
			s.log.Error("scheduled backup", "slot", next, "err", err)
		}
	}
}

func sizeAndSum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// pathErr is the operator's part of a file error: what failed on which path
// (never a secret nor a database's words: the run's error is shown on the
// admin page; the whole error is logged).
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + pe.Path + ": " + pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Op + " " + le.New + ": " + le.Err.Error()
	}
	return "see the server log"
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
