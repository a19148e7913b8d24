package live

import (
	"github.com/circularfairict/portal/bus"

	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/circularfairict/portal/bus/natstest"
)

func natsBus(t *testing.T, url string) *bus.NATSBus {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return bus.NewNATSBus(nc, "test.live")
}

// Two portal instances share one database and one NATS: a member on A and
// a member on B see each other, and every chat arrives once, in the same
// order (the database's), on both.
func TestTwoInstancesShareARoomThroughNATS(t *testing.T) {
	url := natstest.Start(t)
	a := newEnv(t, nil, Options{Bus: natsBus(t, url), Instance: "A", Tick: 20 * time.Millisecond, RatePerSec: 1000, RateBurst: 1000})
	b := newEnv(t, a.st, Options{Bus: natsBus(t, url), Instance: "B", Tick: 20 * time.Millisecond, RatePerSec: 1000, RateBurst: 1000})

	onA := a.dial("anna", "shared", nil)
	onA.welcome()
	onB := b.dial("jonas", "shared", nil)
	onB.welcome()
	for _, p := range []*peer{onA, onB} {
		p.expect("presence", func(m map[string]any) bool { return num(m["count"]) == 2 })
	}

	const n = 15
	for i := 0; i < n; i++ { // both send at once: the order is decided by the database
		onA.sendJSON(map[string]any{"type": "chat", "text": fmt.Sprint("A", i), "key": fmt.Sprint("a", i)})
		onB.sendJSON(map[string]any{"type": "chat", "text": fmt.Sprint("B", i), "key": fmt.Sprint("b", i)})
	}
	got := func(p *peer) (texts []string, seqs []int64) {
		for len(texts) < 2*n {
			m := p.expect("chat", nil)
			texts = append(texts, str(m["text"]))
			seqs = append(seqs, num(m["seq"]))
		}
		return
	}
	ta, sa := got(onA)
	tb, sb := got(onB)
	if !slices.Equal(ta, tb) || !slices.Equal(sa, sb) {
		t.Fatalf("orders differ:\nA %v %v\nB %v %v", ta, sa, tb, sb)
	}
	for i := range sa {
		if sa[i] != int64(i+1) {
			t.Fatalf("seqs %v are not 1..%d without gaps or duplicates", sa, 2*n)
		}
	}
	// A third member on A sees both in the welcome list.
	j := a.dial("fac", "shared", nil)
	ids := peopleIDs(j.welcome()["people"])
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"m-anna", "m-fac", "m-jonas"}) {
		t.Fatalf("people on A = %v", ids)
	}
	// B's member leaves: A's members see it.
	onB.ws.Close()
	onA.expect("presence", func(m map[string]any) bool { return slices.Contains(stringsOf(m["left"]), "m-jonas") })
}

func stringsOf(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, str(x))
	}
	return out
}
