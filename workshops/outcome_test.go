package workshops

import (
	"slices"
	"strings"
	"testing"

	"github.com/circularfairict/portal/workshops/live"
)

func TestActionItems(t *testing.T) {
	o := live.Outcome{Notes: "Intro\n- [ ] Open one\n  * [X] Done one\r\n- [] not a task\n-[ ] not a task either\n+ [ ]   Spaced  ",
		Breakouts: []live.BreakoutView{{ID: "g2", Notes: "1. [ ] numbered lists are not tasks\n- [ ] From group two"}}}
	groupN := Labels{T: func(key string, args ...any) string { return "Group " + args[0].(string) }}
	got := ActionItems(o, groupN)
	want := []ActionItem{{Text: "Open one"}, {Text: "Done one", Done: true}, {Text: "Spaced"}, {Text: "From group two", Group: "Group 2"}}
	if !slices.Equal(got, want) {
		t.Errorf("task lines: got %+v, want %+v", got, want)
	}
	// Lines that start with an action word, in the four languages.
	o.Breakouts = append(o.Breakouts, live.BreakoutView{ID: "g3", Name: "Nederlandstaligen", Notes: strings.Join([]string{
		"Action: ask suppliers for factory lists", "TODO : share the clause", "Action : relancer le fournisseur",
		"- Actie: clausule delen", "Aufgabe: Liste anfordern", "Maßnahme:  Audit planen", "todo: lower case counts",
		"Actions taken so far: none", "Action:", "The action: is not at the start", "Reaction: not an action word",
	}, "\n")})
	got = ActionItems(o, groupN)
	for _, text := range []string{"ask suppliers for factory lists", "share the clause", "relancer le fournisseur", "clausule delen",
		"Liste anfordern", "Audit planen", "lower case counts"} {
		want = append(want, ActionItem{Text: text, Group: "Nederlandstaligen"})
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// Breakout groups are named in the document's language: the facilitator's
// name first; by country, the country; by language, its speakers; a value
// not given, in words; else the group's number. Never a code.
func TestGroupNames(t *testing.T) {
	l := Labels{
		T: func(key string, args ...any) string {
			switch key {
			case "breakout.lang_group":
				return args[0].(string) + " speakers"
			case "breakout.group_n":
				return "Group " + args[0].(string)
			}
			return key
		},
		Country:  func(code string) string { return map[string]string{"NL": "Netherlands"}[code] },
		Language: func(code string) string { return map[string]string{"fr": "French"}[code] },
	}
	for _, c := range []struct {
		b    live.BreakoutView
		want string
	}{
		{live.BreakoutView{ID: "g1", Attr: "country", Key: "NL"}, "Netherlands"},
		{live.BreakoutView{ID: "g2", Attr: "language", Key: "fr"}, "French speakers"},
		{live.BreakoutView{ID: "g3", Attr: "language"}, "breakout.lang_none"},
		{live.BreakoutView{ID: "g4", Attr: "country"}, "breakout.country_none"},
		{live.BreakoutView{ID: "g5", Attr: "country", Key: "NL", Name: "Dutch buyers"}, "Dutch buyers"},
		{live.BreakoutView{ID: "g6"}, "Group 6"},
	} {
		if got := GroupName(c.b, l); got != c.want {
			t.Errorf("GroupName(%+v) = %q, want %q", c.b, got, c.want)
		}
	}
}

// Member text cannot change the document's structure.
func TestInlineEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"# not a heading":     `\# not a heading`,
		"- not a list":        `\- not a list`,
		"12. not a list":      `12\. not a list`,
		"a | b":               `a \| b`,
		"<script>x</script>":  `\<script\>x\</script\>`,
		"[link](javascript:)": `\[link\](javascript:)`,
		"two\nlines":          "two lines",
		"2026 budget":         "2026 budget",
	} {
		if got := inline(in); got != want {
			t.Errorf("inline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderOutcomeEmptyParts(t *testing.T) {
	w := &Workshop{Title: "Empty room", Format: FormatWebinar}
	l := Labels{T: func(k string, a ...any) string { return k }, Country: func(c string) string { return c },
		OrgType: func(c string) string { return c }, Format: func(f Format) string { return string(f) }}
	md := RenderOutcome(w, OutcomeData{}, l)
	for _, never := range []string{"outcome.md.polls", "outcome.md.boards", "outcome.md.questions", "outcome.md.notes", "outcome.md.breakouts", "outcome.md.agenda"} {
		if strings.Contains(md, never) {
			t.Errorf("an empty part is rendered: %s", never)
		}
	}
	if !strings.Contains(md, "outcome.md.no_action_items") {
		t.Error("no word that there are no action items")
	}
}

func TestValidateRunSheet(t *testing.T) {
	w := &Workshop{Agenda: []AgendaItem{{Title: "A"}, {Title: "B"}}, Polls: []Poll{{Question: "Q", Options: []string{"x", "y"}}}}
	for _, tc := range []struct {
		name string
		step Step
		key  string
	}{
		{"poll", Step{Kind: StepPoll, Poll: 1}, ""},
		{"unknown poll", Step{Kind: StepPoll, Poll: 2}, "runsheet.error.poll"},
		{"agenda out of range", Step{Kind: StepTimer, Agenda: 2, Minutes: 5}, "runsheet.error.agenda"},
		{"board", Step{Kind: StepBoard, Agenda: 1, Prompt: " Barriers ", Votes: 3, Minutes: 10}, ""},
		{"board without prompt", Step{Kind: StepBoard, Prompt: " "}, "runsheet.error.prompt"},
		{"too many dots", Step{Kind: StepBoard, Prompt: "p", Votes: 21}, "runsheet.error.votes"},
		{"random breakout", Step{Kind: StepBreakout, Mode: "random", Size: 4, Minutes: 15}, ""},
		{"random of one", Step{Kind: StepBreakout, Mode: "random", Size: 1}, "runsheet.error.size"},
		{"by attribute", Step{Kind: StepBreakout, Mode: "attribute", Attribute: "language"}, ""},
		{"by shoe size", Step{Kind: StepBreakout, Mode: "attribute", Attribute: "shoe"}, "runsheet.error.attribute"},
		{"choice", Step{Kind: StepBreakout, Mode: "choice", Count: 5}, ""},
		{"choice of one", Step{Kind: StepBreakout, Mode: "choice", Count: 1}, "runsheet.error.count"},
		{"manual is not prepared", Step{Kind: StepBreakout, Mode: "manual"}, "runsheet.error.mode"},
		{"timer of zero", Step{Kind: StepTimer}, "runsheet.error.minutes"},
		{"announce", Step{Kind: StepAnnounce, Text: "Back in 5"}, ""},
		{"empty announcement", Step{Kind: StepAnnounce}, "runsheet.error.text"},
		{"unknown kind", Step{Kind: "dance"}, "runsheet.error.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ValidateRunSheet(w, []Step{{Kind: StepTimer, Minutes: 1}, tc.step})
			if tc.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out[1].Prompt != strings.TrimSpace(tc.step.Prompt) {
					t.Errorf("prompt not trimmed: %q", out[1].Prompt)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("err = %v, want %s", err, tc.key)
			}
		})
	}
	// Fields another kind uses are cleared.
	out, err := ValidateRunSheet(w, []Step{{Kind: StepTimer, Minutes: 3, Prompt: "left over", Size: 9}})
	if err != nil || out[0].Prompt != "" || out[0].Size != 0 {
		t.Fatalf("%+v %v", out, err)
	}
	// Without an agenda no step moves it.
	out, _ = ValidateRunSheet(&Workshop{}, []Step{{Kind: StepTimer, Minutes: 3, Agenda: 4}})
	if out[0].Agenda != -1 {
		t.Fatalf("agenda = %d", out[0].Agenda)
	}
}
