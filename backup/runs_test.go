package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/backup"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

func seeded(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.New(t)
	docs := []any{}
	for i := range 50 {
		docs = append(docs, bson.M{"_id": i, "title": "resource", "n": i})
	}
	if _, err := st.DB.Collection("resources").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return st
}

// Replicas that wake for the same slot back up once: the slot's claim
// decides, and the archive is one that restore accepts.
func TestScheduledBackupRunsOnceAcrossReplicas(t *testing.T) {
	st := seeded(t)
	dir := t.TempDir()
	slot := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	var ran atomic.Int32
	storetest.Together(3, func(int) {
		s := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir, Keep: 3, Version: "test"})
		_, ok, err := s.Scheduled(context.Background(), slot)
		if err != nil {
			t.Error(err)
		}
		if ok {
			ran.Add(1)
		}
	})
	if ran.Load() != 1 {
		t.Fatalf("the slot ran %d times", ran.Load())
	}
	runs, err := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir}).Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Result != backup.ResultOK || !runs[0].Slot.Equal(slot) || runs[0].Bytes == 0 || runs[0].SHA256 == "" {
		t.Fatalf("runs: %+v", runs)
	}
	m, _, err := backup.Verify(filepath.Join(dir, runs[0].File), "test")
	if err != nil {
		t.Fatal(err)
	}
	if m.Documents() < 50 {
		t.Errorf("the archive holds %d documents", m.Documents())
	}
	// A later slot runs again.
	if _, ok, err := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir}).Scheduled(context.Background(), slot.Add(24*time.Hour)); err != nil || !ok {
		t.Fatalf("next slot: %v %v", ok, err)
	}
}

// A second backup does not start beside a running one, on this replica or
// another; once the first ends, it may.
func TestBackupStartsOnceWhileRunning(t *testing.T) {
	st := seeded(t)
	dir := t.TempDir()
	a := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir})
	b := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir})
	ctx := context.Background()
	r, err := a.Start(ctx, "manual", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Start(ctx, "manual", time.Time{}); !errors.Is(err, backup.ErrRunning) {
		t.Fatalf("second start: %v", err)
	}
	runs, _ := a.Runs(ctx, 0)
	if len(runs) != 1 || !runs[0].Running(time.Now()) {
		t.Fatalf("the running run is not shown as running: %+v", runs)
	}
	// A slot that falls while it runs is recorded as skipped.
	sr, ok, err := b.Scheduled(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !ok || sr.Result != backup.ResultFailed || sr.Error == "" {
		t.Fatalf("slot during a run: %+v %v %v", sr, ok, err)
	}
	a.Execute(ctx, r)
	if r.Result != backup.ResultOK {
		t.Fatalf("run: %+v", r)
	}
	r2, err := b.Start(ctx, "manual", time.Time{})
	if err != nil {
		t.Fatalf("start after the first ended: %v", err)
	}
	b.Execute(ctx, r2)
}

// Retention keeps the newest archives, deletes the older ones the portal
// wrote and nothing else in the directory.
func TestBackupRetention(t *testing.T) {
	st := seeded(t)
	dir := t.TempDir()
	foreign := filepath.Join(dir, "portal-backup-by-hand.zip")
	if err := os.WriteFile(foreign, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := backup.NewScheduler(st, backup.SchedulerOptions{Dir: dir, Keep: 2})
	ctx := context.Background()
	var files []string
	for range 3 {
		r, err := s.Start(ctx, "manual", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		s.Execute(ctx, r)
		if r.Result != backup.ResultOK {
			t.Fatalf("run: %+v", r)
		}
		files = append(files, r.File)
		time.Sleep(10 * time.Millisecond) // distinct start times order the runs
	}
	if _, err := os.Stat(filepath.Join(dir, files[0])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the oldest archive is still there: %v", err)
	}
	for _, f := range append(files[1:], filepath.Base(foreign)) {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	runs, _ := s.Runs(ctx, 0)
	if len(runs) != 3 || !runs[2].Pruned || runs[2].Downloadable() || runs[0].Pruned {
		t.Fatalf("runs: %+v", runs)
	}
	if _, _, err := s.Archive(ctx, runs[2].ID); !errors.Is(err, backup.ErrNotFound) {
		t.Errorf("a pruned archive opens: %v", err)
	}
	f, _, err := s.Archive(ctx, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// A backup directory that cannot be created fails the run with a message
// that names it.
func TestBackupFailureIsRecorded(t *testing.T) {
	st := seeded(t)
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := backup.NewScheduler(st, backup.SchedulerOptions{Dir: filepath.Join(parent, "backups")})
	r, err := s.Start(context.Background(), "manual", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s.Execute(context.Background(), r)
	runs, _ := s.Runs(context.Background(), 0)
	if len(runs) != 1 || runs[0].Result != backup.ResultFailed || runs[0].Error == "" || runs[0].Finished.IsZero() {
		t.Fatalf("runs: %+v", runs)
	}
	t.Log(runs[0].Error)
}
