package app

import (
	"context"
	"testing"
	"time"

	"github.com/circularfairict/portal/mail"
)

// Stop ends every job the application started (the outbox worker, the
// sweeper) and returns once they have returned; a second Stop is a no-op,
// and a stopped sweeper runs no further pass.
func TestStartSweepStop(t *testing.T) {
	a, logs := newTestApp(t, mail.Discard{})
	a.Sweep(5 * time.Millisecond)
	a.Sweep(time.Hour) // started once: the second call changes nothing
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		a.Stop()
		a.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return")
	}
	if a.root.Err() == nil || a.sweepCtx.Err() == nil {
		t.Fatal("the root context is still live after Stop")
	}
	after := logs.String()
	time.Sleep(30 * time.Millisecond)
	if logs.String() != after {
		t.Fatalf("work logged after Stop:\n%s", logs.String()[len(after):])
	}
}

// The context given to Start ends the work too (a CLI command that runs
// the jobs under its signal context); Stop still waits for it.
func TestStartContextEndsWork(t *testing.T) {
	a, _ := newTestApp(t, mail.Discard{})
	cfg := *a.cfg
	cfg.DataDir = t.TempDir() // its own search index: the first holds the lock on its directory
	b, err := New(context.Background(), Deps{Config: &cfg, Store: a.store, Logger: a.log})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	cancel()
	select {
	case <-b.root.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the root context outlived Start's context")
	}
}
