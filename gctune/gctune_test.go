package gctune

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{20 << 20, 400},  // a small heap: four times its size in garbage
		{64 << 20, 400},  // 256 MiB of headroom exactly
		{100 << 20, 250}, // 256 MiB of headroom, rounded down to a step
		{256 << 20, 100}, // Go's default from here on
		{2 << 30, 100},   // never below it
		{(256 << 20) / 3, 300},
	} {
		if got := gcPercentFor(c.live, gcHeadroom); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// In a container, garbage may take at most a quarter of its memory.
func TestGCHeadroomWithinAContainer(t *testing.T) {
	if h := headroomWithin(0); h != gcHeadroom {
		t.Errorf("no limit: headroom %d MiB", h>>20)
	}
	if h := headroomWithin(8 << 30); h != gcHeadroom {
		t.Errorf("8 GiB: headroom %d MiB", h>>20)
	}
	h := headroomWithin(512 << 20)
	if h != 128<<20 {
		t.Errorf("512 MiB: headroom %d MiB, want 128", h>>20)
	}
	// A 32 MiB live heap in 512 MiB: 400 % would be 128 MiB of garbage.
	if p := gcPercentFor(32<<20, h); p != 400 {
		t.Errorf("32 MiB live in 512 MiB: %d", p)
	}
	if p := gcPercentFor(64<<20, h); p != 200 {
		t.Errorf("64 MiB live in 512 MiB: %d", p)
	}
}

func TestForEmbeddedLeavesTheOperatorsSetting(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "GOMEMLIMIT" {
			return "1GiB", true
		}
		return "", false
	}
	if stop, _ := ForEmbedded(env, true); stop != nil {
		t.Error("ForEmbedded changed the collector with GOMEMLIMIT set")
	}
	if stop, _ := ForEmbedded(func(string) (string, bool) { return "", false }, false); stop != nil {
		t.Error("ForEmbedded changed the collector without the embedded database")
	}
}

func TestForEmbeddedPutsTheSettingBack(t *testing.T) {
	orig := debug.SetGCPercent(150)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	stop, headroom := ForEmbedded(func(string) (string, bool) { return "", false }, true)
	if stop == nil || headroom == 0 || headroom > gcHeadroom {
		t.Fatal("ForEmbedded did nothing with the embedded database and no GOGC or GOMEMLIMIT")
	}
	if p := debug.SetGCPercent(-1); p < gcPercentMin || p > gcPercentMax {
		t.Errorf("GC percent %d while tuned", p)
	}
	stop()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("GC percent %d after stop, want the one found (150)", p)
	}
}
