package live

import "testing"

// The stage follows the room for everyone: the facilitator puts a tool
// there, opening a poll or a board, moving the agenda and breakouts put
// theirs; a member who enters (or reloads) gets the stage with the room's
// state; participants may not move it; an unknown tool is refused.
func TestStageFollowsTheRoom(t *testing.T) {
	e := newEnv(t, nil, Options{RatePerSec: 1000, RateBurst: 1000})
	stageOf := func(who string) string {
		t.Helper()
		p, st := e.entryState(who)
		p.ws.Close()
		return str(st["stage"])
	}
	if got := stageOf("anna"); got != StageAgenda {
		t.Fatalf("stage of a new room = %q, want agenda", got)
	}
	f := e.enter("fac")
	a := e.enter("anna")

	f.sendJSON(map[string]any{"type": "stage", "tool": "qa", "key": "s1"})
	if m := a.expect("stage", nil); str(m["tool"]) != StageQA {
		t.Fatalf("stage frame %v", m)
	}
	if got := stageOf("jonas"); got != StageQA {
		t.Fatalf("stage on entry after the facilitator chose Q&A = %q", got)
	}
	// Opening a prepared poll puts it on the stage, with no second frame.
	f.sendJSON(map[string]any{"type": "poll.open", "poll": "prep1", "key": "p1"})
	a.expect("poll", func(m map[string]any) bool { return str(m["change"]) == "poll.open" })
	if got := stageOf("jonas"); got != StagePoll {
		t.Fatalf("stage after poll.open = %q", got)
	}
	f.sendJSON(map[string]any{"type": "agenda", "item": 1, "key": "a1"})
	a.expect("agenda", nil)
	if got := stageOf("jonas"); got != StageAgenda {
		t.Fatalf("stage after an agenda move = %q", got)
	}

	// Participants cannot move the stage; a tool that does not exist is
	// refused; neither changes it.
	a.sendJSON(map[string]any{"type": "stage", "tool": "notes", "key": "s2"})
	if m := a.expect("error", nil); str(m["code"]) != string(ErrForbidden) || str(m["ref"]) != "s2" {
		t.Fatalf("a participant moving the stage: %v", m)
	}
	f.sendJSON(map[string]any{"type": "stage", "tool": "video", "key": "s3"})
	if m := f.expect("error", nil); str(m["code"]) != string(ErrInvalid) {
		t.Fatalf("an unknown stage tool: %v", m)
	}
	if got := stageOf("jonas"); got != StageAgenda {
		t.Fatalf("stage after refused commands = %q", got)
	}
}
