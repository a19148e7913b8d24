package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedCheck is a connection check whose answers the test hands out one
// at a time, so that it can hold a check under way.
type gatedCheck struct {
	started atomic.Int32
	answers chan bool
}

func newGatedCheck() *gatedCheck { return &gatedCheck{answers: make(chan bool)} }

func (g *gatedCheck) check(ctx context.Context, _ bool) (bool, time.Time) {
	g.started.Add(1)
	select {
	case ok := <-g.answers:
		return ok, time.Time{}
	case <-ctx.Done():
		return false, time.Time{}
	}
}

func (g *gatedCheck) waitStarted(t *testing.T, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.started.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d checks started, want %d", g.started.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// setAge makes the connection's last check age old.
func setAge(lc *liveConn, age time.Duration) {
	lc.mu.Lock()
	lc.checkedAt = time.Now().Add(-age)
	lc.mu.Unlock()
}

// A check past half its reuse is renewed in the background: frames go on
// at once with the current answer (it is still within the bound), only one
// check runs however many frames come, and its pass renews the answer.
func TestCheckRefreshedAheadOffTheFramePath(t *testing.T) {
	cs := newConnections()
	g := newGatedCheck()
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, g.check, func() {})
	defer lc.remove()
	setAge(lc, recheckEvery*6/10)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !lc.acting() {
				t.Error("a frame within the bound was refused")
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done: // none waited for the check held below
	case <-time.After(5 * time.Second):
		t.Fatal("frames waited for a check ahead of time")
	}
	g.waitStarted(t, 1)
	time.Sleep(20 * time.Millisecond)
	if n := g.started.Load(); n != 1 {
		t.Fatalf("20 frames started %d checks, want one at a time", n)
	}
	before := time.Now()
	g.answers <- true
	deadline := time.Now().Add(5 * time.Second)
	for {
		lc.mu.Lock()
		at, running := lc.checkedAt, lc.checking != nil
		lc.mu.Unlock()
		if !running && !at.Before(before.Add(-time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check ahead did not renew the answer (checked at %v)", at)
		}
		time.Sleep(time.Millisecond)
	}
	if !lc.acting() || g.started.Load() != 1 {
		t.Fatalf("a renewed answer was checked again (%d checks)", g.started.Load())
	}
}

// Past the bound no frame is acted on with the old answer: it waits for
// the fresh check (the one under way, if any) and follows it.
func TestCheckPastTheBoundWaits(t *testing.T) {
	cs := newConnections()
	g := newGatedCheck()
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, g.check, func() {})
	defer lc.remove()
	// A check ahead is under way when the answer runs out.
	setAge(lc, recheckEvery*6/10)
	if !lc.acting() {
		t.Fatal("refused within the bound")
	}
	g.waitStarted(t, 1)
	setAge(lc, recheckEvery+time.Millisecond)
	answer := make(chan bool, 2)
	for range 2 {
		go func() { answer <- lc.acting() }()
	}
	select {
	case ok := <-answer:
		t.Fatalf("a frame past the bound was answered (%v) before the check ended", ok)
	case <-time.After(100 * time.Millisecond):
	}
	g.answers <- false
	for range 2 {
		select {
		case ok := <-answer:
			if ok {
				t.Fatal("a frame past the bound was allowed although the fresh check refused")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the frames did not follow the check under way")
		}
	}
	if n := g.started.Load(); n != 1 {
		t.Fatalf("%d checks ran, want the one under way only", n)
	}
	if lc.acting() {
		t.Fatal("a refused connection was allowed again")
	}
}

// A check ahead that finds the rights gone ends the connection at once,
// without waiting for another frame.
func TestCheckAheadEndsTheConnection(t *testing.T) {
	cs := newConnections()
	g := newGatedCheck()
	closed := make(chan struct{})
	var once sync.Once
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, g.check, func() { once.Do(func() { close(closed) }) })
	defer lc.remove()
	setAge(lc, recheckEvery*6/10)
	if !lc.acting() {
		t.Fatal("refused within the bound")
	}
	g.waitStarted(t, 1)
	g.answers <- false
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection stayed open after its check ahead failed")
	}
	if lc.acting() || lc.deliverable() {
		t.Fatal("an ended connection was allowed")
	}
}

// A recheck call made while a check ahead runs does not take that
// check's pass: it may have read the state before the change. The
// recheck's own check decides.
func TestRecheckCallOutranksACheckUnderWay(t *testing.T) {
	cs := newConnections()
	g := newGatedCheck()
	closed := make(chan struct{})
	var once sync.Once
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, g.check, func() { once.Do(func() { close(closed) }) })
	defer lc.remove()
	setAge(lc, recheckEvery*6/10)
	if !lc.acting() {
		t.Fatal("refused within the bound")
	}
	g.waitStarted(t, 1)
	cs.recheckLocal(connSelector{Member: "m1"})
	g.answers <- true // the check that began before the call
	g.waitStarted(t, 2)
	lc.mu.Lock()
	at := lc.checkedAt
	lc.mu.Unlock()
	if !at.IsZero() {
		t.Fatalf("the pass of a check from before the recheck call counted (%v)", at)
	}
	g.answers <- false // the recheck's own
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the recheck did not end the connection")
	}
}

// Checks ahead take turns on the server, so that many sockets falling due
// together do not run their lookups side by side with the room's work; a
// frame past the bound that has no check under way does not queue behind
// them.
func TestChecksAheadTakeTurns(t *testing.T) {
	cs := newConnections()
	g := newGatedCheck()
	var conns []*liveConn
	for _, m := range []string{"m1", "m2", "m3"} {
		lc := cs.add(connInfo{Member: m, Kind: connRoom, Workshop: "w1"}, g.check, func() {})
		defer lc.remove()
		setAge(lc, recheckEvery*6/10)
		conns = append(conns, lc)
	}
	for _, lc := range conns {
		if !lc.acting() {
			t.Fatal("a frame within the bound was refused")
		}
	}
	g.waitStarted(t, 1)
	time.Sleep(20 * time.Millisecond)
	if n := g.started.Load(); n != 1 {
		t.Fatalf("%d checks ahead ran at once, want one", n)
	}
	// A frame past the bound checks at once, beside the check ahead.
	late := cs.add(connInfo{Member: "m4", Kind: connRoom, Workshop: "w1"}, g.check, func() {})
	defer late.remove()
	setAge(late, recheckEvery+time.Millisecond)
	lateOK := make(chan bool, 1)
	go func() { lateOK <- late.acting() }()
	g.waitStarted(t, 2)
	for range 4 { // the late frame's check and the three ahead, in any order
		g.answers <- true
	}
	if !<-lateOK {
		t.Fatal("the late frame was refused")
	}
	g.waitStarted(t, 4)
	for _, lc := range conns {
		deadline := time.Now().Add(5 * time.Second)
		for {
			lc.mu.Lock()
			running := lc.checking != nil
			lc.mu.Unlock()
			if !running {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a check ahead never got its turn")
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// A member who sends steadily has the answer renewed shortly before it
// runs out, not on each frame past half the bound: fewer checks, and none
// on a frame's path.
func TestSteadySenderRenewedBeforeTheBound(t *testing.T) {
	cs := newConnections()
	cs.actEvery = 600 * time.Millisecond
	var checks atomic.Int32
	lc := cs.add(connInfo{Member: "m1", Kind: connRoom, Workshop: "w1"}, func(context.Context, bool) (bool, time.Time) {
		checks.Add(1)
		return true, time.Time{}
	}, func() {})
	defer lc.remove()
	// Frames every 100 ms for 3 s: renewing on the first frame past half
	// the bound would check every 300 ms (10 checks), ahead of the bound
	// every 500 ms (6).
	for range 30 {
		if !lc.acting() {
			t.Fatal("a steady sender was refused")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := checks.Load(); n < 3 || n > 8 {
		t.Fatalf("%d checks in 3 s for a steady sender, want about 6", n)
	}
}
