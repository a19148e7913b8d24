package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/circularfairict/portal/config"
)

// gcHeadroom is how much memory beyond the live heap the collector may let
// garbage take before it runs, when the portal chooses (see tuneGC).
const gcHeadroom = 256 << 20

// The bounds of the GC percent tuneGC sets: 100 is Go's own default, 400
// the setting the live-room benchmark measured (docs/benchmarks.md).
const (
	gcPercentMin = 100
	gcPercentMax = 400
)

// tuneGC sets the collector's target while the portal runs with the
// embedded database, unless the operator set GOGC or GOMEMLIMIT (then Go
// follows them and the portal does nothing). The embedded database runs in
// the portal's process and produces most of its garbage, so with Go's
// default (a collection each time the heap doubles) a small heap is
// collected dozens of times a minute under live traffic, on the same cores
// as the rooms. The portal lets garbage grow to four times the live heap
// while that stays within gcHeadroom, and never to less than Go's default:
// the percent follows the live heap, re-read every few seconds. stop ends
// that and puts back the setting found (nil when tuneGC did nothing).
func tuneGC(env config.Env, embedded bool) (stop func()) {
	if !embedded {
		return nil
	}
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := env(k); set {
			return nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	cur := gcPercentFor(live())
	was := debug.SetGCPercent(cur)
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if p := gcPercentFor(live()); p != cur {
				debug.SetGCPercent(p)
				cur = p
			}
		}
	}()
	return func() {
		cancel()
		<-done
		debug.SetGCPercent(was)
	}
}

// gcPercentFor is the GC percent that lets garbage take gcHeadroom beyond
// a live heap of live bytes, within [gcPercentMin, gcPercentMax], in steps
// of 50 so that a heap moving a little does not change it every time.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcPercentMax
	}
	p := int(min(uint64(gcHeadroom)*100/live, gcPercentMax))
	p -= p % 50
	return max(p, gcPercentMin)
}
