package workshops

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func input() Input {
	start := time.Now().Add(24 * time.Hour).Truncate(time.Minute)
	return Input{Title: "Case clinic", StartsAt: start, EndsAt: start.Add(90 * time.Minute), TimeZone: "Europe/Brussels", Capacity: 2,
		Agenda: []AgendaItem{{"Welcome", 10}, {"Cases", 60}}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"ok", func(*Input) {}, ""},
		{"no title", func(in *Input) { in.Title = " " }, "title"},
		{"ends before start", func(in *Input) { in.EndsAt = in.StartsAt.Add(-time.Minute) }, "ends_at"},
		{"unknown zone", func(in *Input) { in.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"javascript video link", func(in *Input) { in.VideoURL = "javascript:alert(1)" }, "video_url"},
		{"bad format", func(in *Input) { in.Format = "party" }, "format"},
		{"negative capacity", func(in *Input) { in.Capacity = -1 }, "capacity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input()
			tt.edit(&in)
			err := in.Validate()
			fe, _ := fault.As(err)
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.field != "" && (fe == nil || fe.Field != tt.field || fe.Kind != fault.Invalid):
				t.Fatalf("error %v, want invalid %s", err, tt.field)
			}
		})
	}
}

func TestWaitingListMovesUp(t *testing.T) {
	ctx := context.Background()
	s := NewStore(storetest.New(t).DB)
	w, err := s.Create(ctx, "fac", input())
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]RegistrationStatus{}
	for _, m := range []string{"a", "b", "c", "d"} {
		r, err := s.Register(ctx, w, m)
		if err != nil {
			t.Fatal(err)
		}
		status[m] = r.Status
		time.Sleep(2 * time.Millisecond) // distinct registration times
	}
	if status["a"] != Registered || status["b"] != Registered || status["c"] != Waitlisted || status["d"] != Waitlisted {
		t.Fatalf("statuses %v", status)
	}
	promoted, err := s.Cancel(ctx, w, "a")
	if err != nil || len(promoted) != 1 || promoted[0] != "c" {
		t.Fatalf("promoted %v, %v", promoted, err)
	}
	if r, _ := s.Registration(ctx, w.ID, "d"); r.Status != Waitlisted {
		t.Fatalf("d = %s", r.Status)
	}
	// Registering twice changes nothing.
	if r, _ := s.Register(ctx, w, "b"); r.Status != Registered {
		t.Fatalf("b again = %s", r.Status)
	}
}

func TestICS(t *testing.T) {
	in := input()
	in.Title = "Due diligence, clauses; and a very long title that needs folding because it is longer than seventy-five octets — é"
	w := &Workshop{ID: "w1", Title: in.Title, StartsAt: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)}
	out := string(ICS("Workshops", "https://portal.example.org", "Europe/Brussels", []*Workshop{w}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "DTSTART:20260304T090000Z\r\n", "DTEND:20260304T103000Z\r\n", "UID:w1@portal.example.org\r\n", `SUMMARY:Due diligence\, clauses\; and`} {
		if !strings.Contains(out, want) {
			t.Errorf("ics lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line longer than 75 octets: %q", l)
		}
	}
}
