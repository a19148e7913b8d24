package live

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func qOf(m map[string]any) map[string]any { return m["question"].(map[string]any) }

// stateOf reads a peer's snapshot (sent right after welcome when the
// peer connected without last_seq).
func stateOf(p *peer) map[string]any {
	p.t.Helper()
	return p.expect("snapshot", nil)["state"].(map[string]any)
}

func listOf(st map[string]any, key string) []map[string]any {
	var out []map[string]any
	for _, x := range st[key].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// leaks reports the first frame of the given types a peer received that
// contains any of the words.
func leaks(p *peer, types []string, words ...string) string {
	for len(p.raw) > 0 {
		b := <-p.raw
		var m struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(b, &m)
		if !slices.Contains(types, m.Type) {
			continue
		}
		for _, w := range words {
			if strings.Contains(string(b), w) {
				return string(b)
			}
		}
	}
	return ""
}

// An anonymous question names its asker to nobody but the asker: not to
// another member, not to a facilitator, not in a snapshot, not in the
// outcome. The stored event keeps the actor, as the database's audit.
func TestQuestionAnonymity(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")

	a.sendJSON(map[string]any{"type": "question.ask", "text": "  Did anyone get a supplier's factory list?  ", "anonymous": true, "key": "q1"})
	askFrame := a.expect("question", nil)
	own := qOf(askFrame)
	if own["mine"] != true || own["author"] == nil || str(own["author"].(map[string]any)["id"]) != "m-anna" || own["anonymous"] != true {
		t.Fatalf("the asker's own frame: %v", own)
	}
	if str(own["text"]) != "Did anyone get a supplier's factory list?" {
		t.Fatalf("text not trimmed: %q", own["text"])
	}
	qid := str(own["id"])
	for _, p := range []*peer{f, j} {
		q := qOf(p.expect("question", nil))
		if _, has := q["author"]; has || q["mine"] != nil || str(q["id"]) != qid || q["anonymous"] != true {
			t.Fatalf("%s sees the anonymous question as %v", p.name, q)
		}
	}
	// A named question shows its author to everyone.
	j.sendJSON(map[string]any{"type": "question.ask", "text": "How did you verify the label?", "key": "q2"})
	named := qOf(a.expect("question", func(m map[string]any) bool { return str(qOf(m)["id"]) != qid }))
	if named["author"] == nil || str(named["author"].(map[string]any)["id"]) != "m-jonas" || named["mine"] != nil {
		t.Fatalf("a named question as another member sees it: %v", named)
	}
	// Upvotes and moderation do not bring the author back.
	j.sendJSON(map[string]any{"type": "question.upvote", "question": qid, "on": true, "key": "u1"})
	j.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.upvote" })
	f.sendJSON(map[string]any{"type": "question.answer", "question": qid, "answered": true, "text": "Two of us did; see the library.", "key": "an"})
	f.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.answer" })
	j.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.answer" })

	// Fresh snapshots: the same rule.
	for _, who := range []string{"fac", "jonas"} {
		p := e.dial(who, "r1", nil)
		p.welcome()
		for _, q := range listOf(stateOf(p), "questions") {
			if str(q["id"]) == qid {
				if _, has := q["author"]; has || q["mine"] != nil {
					t.Fatalf("%s's snapshot names the asker: %v", who, q)
				}
				if num(q["votes"]) != 1 || q["answered"] != true || str(q["answer"]) != "Two of us did; see the library." {
					t.Fatalf("%s's snapshot of the question: %v", who, q)
				}
			}
		}
	}
	a2 := e.enter("anna")
	found := false
	for _, q := range listOf(stateOf(a2), "questions") {
		if str(q["id"]) == qid {
			found = true
			if q["mine"] != true || q["author"] == nil {
				t.Fatalf("the asker's snapshot does not mark her question: %v", q)
			}
		}
	}
	if !found {
		t.Fatal("the asker's snapshot lacks her question")
	}
	for _, p := range []*peer{f, j} {
		if b := leaks(p, []string{"question", "snapshot"}, "m-anna", "Anna de Vries"); b != "" {
			t.Fatalf("%s received a frame naming the anonymous asker: %s", p.name, b)
		}
	}

	// The database's audit keeps who asked.
	evs, err := e.events.Range(context.Background(), "r1", num(askFrame["seq"]), num(askFrame["seq"]))
	if err != nil || len(evs) == 0 || evs[0].Type != "question.ask" || evs[0].Actor.ID != "m-anna" {
		t.Fatalf("stored event: %v, %v", evs, err)
	}

	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Questions) != 2 || out.Questions[0].ID != qid || out.Questions[0].Author != nil || out.Questions[0].Votes != 1 ||
		out.Questions[1].Author == nil || out.Questions[1].Author.ID != "m-jonas" {
		t.Fatalf("outcome questions: %+v", out.Questions)
	}
}

// One upvote per member, never on one's own question; upvotes toggle;
// the list ranks pinned, then votes, then age.
func TestQuestionUpvoteOnceAndRanking(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")
	ask := func(p *peer, text string) string {
		p.sendJSON(map[string]any{"type": "question.ask", "text": text, "key": "ask-" + text})
		return str(qOf(p.expect("question", func(m map[string]any) bool { return str(qOf(m)["text"]) == text }))["id"])
	}
	q1 := ask(a, "first")
	q2 := ask(a, "second")
	q3 := ask(j, "third")

	// Her own question: refused.
	a.sendJSON(map[string]any{"type": "question.upvote", "question": q1, "on": true, "key": "own"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrInvalid) || str(m["ref"]) != "own" {
		t.Fatalf("upvote of one's own question: %v", m)
	}
	// Once: the second upvote is refused and counts nothing.
	j.sendJSON(map[string]any{"type": "question.upvote", "question": q2, "on": true, "key": "u1"})
	if q := qOf(j.expect("question", nil)); num(q["votes"]) != 1 || q["voted"] != true {
		t.Fatalf("after an upvote the voter sees %v", q)
	}
	if q := qOf(a.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.upvote" })); num(q["votes"]) != 1 || q["voted"] != nil {
		t.Fatalf("after an upvote another member sees %v", q)
	}
	j.sendJSON(map[string]any{"type": "question.upvote", "question": q2, "on": true, "key": "u2"})
	if m := j.expect("error", nil); str(m["code"]) != string(ErrInvalid) || str(m["ref"]) != "u2" {
		t.Fatalf("a second upvote: %v", m)
	}
	f.sendJSON(map[string]any{"type": "question.upvote", "question": q2, "on": true, "key": "u3"})
	if q := qOf(f.expect("question", func(m map[string]any) bool { return num(qOf(m)["votes"]) == 2 })); q["voted"] != true {
		t.Fatalf("facilitator's upvote: %v", q)
	}
	// Toggle off and on again.
	j.sendJSON(map[string]any{"type": "question.upvote", "question": q2, "on": false, "key": "u4"})
	if q := qOf(j.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.upvote" && qOf(m)["voted"] == false })); num(q["votes"]) != 1 || q["voted"] != false {
		t.Fatalf("after taking the upvote back: %v", q)
	}
	j.sendJSON(map[string]any{"type": "question.upvote", "question": q2, "on": true, "key": "u5"})
	j.expect("question", func(m map[string]any) bool { return num(qOf(m)["votes"]) == 2 })

	// q2 has two votes; q1 and q3 none: q2, q1, q3. Pinning q3 puts it first.
	snapIDs := func(who string) []string {
		p := e.dial(who, "r1", nil)
		p.welcome()
		var ids []string
		for _, q := range listOf(stateOf(p), "questions") {
			ids = append(ids, str(q["id"]))
		}
		return ids
	}
	if got := snapIDs("anna"); !slices.Equal(got, []string{q2, q1, q3}) {
		t.Fatalf("ranked by votes then age: %v", got)
	}
	f.sendJSON(map[string]any{"type": "question.pin", "question": q3, "pinned": true, "key": "pin"})
	f.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.pin" })
	if got := snapIDs("jonas"); !slices.Equal(got, []string{q3, q2, q1}) {
		t.Fatalf("pinned first: %v", got)
	}
	out, err := e.eng.Outcome(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, q := range out.Questions {
		ids = append(ids, q.ID)
	}
	if !slices.Equal(ids, []string{q3, q2, q1}) || !out.Questions[0].Pinned || out.Questions[1].Votes != 2 {
		t.Fatalf("outcome order %v: %+v", ids, out.Questions)
	}
}

// Moderation is the facilitators': participants are refused; a hidden
// question leaves the participants' lists and stays, marked, in the
// facilitators'; it cannot be upvoted and is not in the outcome.
func TestQuestionModeration(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	f := e.enter("fac")
	a := e.enter("anna")
	j := e.enter("jonas")
	a.sendJSON(map[string]any{"type": "question.ask", "text": "Off topic: lunch?", "key": "q"})
	qid := str(qOf(a.expect("question", nil))["id"])
	j.expect("question", nil)

	for _, typ := range []string{"question.answer", "question.pin", "question.hide"} {
		j.sendJSON(map[string]any{"type": typ, "question": qid, "answered": true, "pinned": true, "hidden": true, "key": "x-" + typ})
		if m := j.expect("error", nil); str(m["code"]) != string(ErrForbidden) || str(m["ref"]) != "x-"+typ {
			t.Fatalf("%s by a participant: %v", typ, m)
		}
	}
	// Limits and unknown questions.
	a.sendJSON(map[string]any{"type": "question.ask", "text": strings.Repeat("x", MaxQuestion+1), "key": "long"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("a question over the limit: %v", m)
	}
	a.sendJSON(map[string]any{"type": "question.ask", "text": "   ", "key": "empty"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("an empty question: %v", m)
	}
	f.sendJSON(map[string]any{"type": "question.pin", "question": "q999", "pinned": true, "key": "nope"})
	if m := f.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("pin of an unknown question: %v", m)
	}
	f.sendJSON(map[string]any{"type": "question.answer", "question": qid, "answered": true, "text": strings.Repeat("y", MaxAnswer+1), "key": "longans"})
	if m := f.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("an answer over the limit: %v", m)
	}

	f.sendJSON(map[string]any{"type": "question.hide", "question": qid, "hidden": true, "key": "hide"})
	if q := qOf(j.expect("question", nil)); str(q["id"]) != qid || q["hidden"] != true || q["text"] != nil {
		t.Fatalf("a participant told of the hiding: %v", q)
	}
	if q := qOf(f.expect("question", nil)); q["hidden"] != true || str(q["text"]) != "Off topic: lunch?" {
		t.Fatalf("the facilitator's frame of a hidden question: %v", q)
	}
	j.sendJSON(map[string]any{"type": "question.upvote", "question": qid, "on": true, "key": "uh"})
	if m := j.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("upvote of a hidden question: %v", m)
	}
	// Later changes to it reach participants as a noop.
	f.sendJSON(map[string]any{"type": "question.answer", "question": qid, "answered": true, "key": "ah"})
	ans := f.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.answer" })
	j.expect("noop", func(m map[string]any) bool { return num(m["seq"]) == num(ans["seq"]) })

	pj := e.enter("jonas")
	if qs := listOf(stateOf(pj), "questions"); len(qs) != 0 {
		t.Fatalf("a participant's snapshot has a hidden question: %v", qs)
	}
	pf := e.enter("fac")
	if qs := listOf(stateOf(pf), "questions"); len(qs) != 1 || qs[0]["hidden"] != true {
		t.Fatalf("the facilitator's snapshot: %v", qs)
	}
	out, _ := e.eng.Outcome(context.Background(), "r1")
	if len(out.Questions) != 0 {
		t.Fatalf("a hidden question in the outcome: %+v", out.Questions)
	}
	// Shown again, it comes back for everyone.
	f.sendJSON(map[string]any{"type": "question.hide", "question": qid, "hidden": false, "key": "show"})
	if q := qOf(j.expect("question", func(m map[string]any) bool { return str(m["change"]) == "question.hide" })); q["hidden"] != false || str(q["text"]) == "" {
		t.Fatalf("shown again: %v", q)
	}
}
