// Package gctune sets the Go collector's target for a portal on the
// embedded database (docs/configuration.md, "Garbage collection with the
// embedded database"): the server and the page benchmark run under the same
// policy.
package gctune

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/circularfairict/portal/config"
)

// gcHeadroom is how much memory beyond the live heap the collector may let
// garbage take before it runs, when the portal chooses (see ForEmbedded).
const gcHeadroom = 256 << 20

// The bounds of the GC percent ForEmbedded sets: 100 is Go's own default, 400
// the setting the live-room benchmark measured (docs/benchmarks.md).
const (
	gcPercentMin = 100
	gcPercentMax = 400
)

// ForEmbedded sets the collector's target while the portal runs with the
// embedded database, unless the operator set GOGC or GOMEMLIMIT (then Go
// follows them and the portal does nothing). The embedded database runs in
// the portal's process and produces most of its garbage, so with Go's
// default (a collection each time the heap doubles) a small heap is
// collected dozens of times a minute under live traffic, on the same cores
// as the rooms. The portal lets garbage grow to four times the live heap
// while that stays within gcHeadroom, and never to less than Go's default:
// the percent follows the live heap, re-read every few seconds. stop ends
// that and puts back the setting found (nil when it did nothing);
// headroom is the bound it keeps to (headroomWithin).
func ForEmbedded(env config.Env, embedded bool) (stop func(), headroom uint64) {
	if !embedded {
		return nil, 0
	}
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := env(k); set {
			return nil, 0
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
	headroom = headroomWithin(containerMemory())
	cur := gcPercentFor(live(), headroom)
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
			if p := gcPercentFor(live(), headroom); p != cur {
				debug.SetGCPercent(p)
				cur = p
			}
		}
	}()
	return func() {
		cancel()
		<-done
		debug.SetGCPercent(was)
	}, headroom
}

// gcPercentFor is the GC percent that lets garbage take headroom bytes
// beyond a live heap of live bytes, within [gcPercentMin, gcPercentMax],
// in steps of 50 so that a heap moving a little does not change it every
// time.
func gcPercentFor(live, headroom uint64) int {
	if live == 0 {
		return gcPercentMax
	}
	p := int(min(headroom*100/live, gcPercentMax))
	p -= p % 50
	return max(p, gcPercentMin)
}

// headroomWithin is gcHeadroom, or a quarter of a container's memory limit
// when that is less: a portal given 512 MiB must not let garbage take half
// of it (the database's page cache and the index live there too). limit 0
// means none is known.
func headroomWithin(limit uint64) uint64 {
	if limit > 0 {
		return min(gcHeadroom, limit/4)
	}
	return gcHeadroom
}

// containerMemory is the memory limit of the portal's cgroup (v2, then v1),
// 0 when there is none or it cannot be read.
func containerMemory() uint64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return 0
		}
		n, err := strconv.ParseUint(v, 10, 64)
		// cgroup v1 says "no limit" with a number near the largest.
		if err != nil || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}
