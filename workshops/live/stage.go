package live

import "encoding/json"

// Stage tools: what the room's stage shows large, for everyone. The
// facilitator puts a tool there with a "stage" command; opening a poll or
// a board, moving the agenda and starting or ending breakouts put theirs
// there on their own, so a run-sheet step is one command, not two.
const (
	StageAgenda   = "agenda"
	StagePoll     = "poll"
	StageBoard    = "board"
	StageQA       = "qa"
	StageNotes    = "notes"
	StageBreakout = "breakout"
)

// StageOrder lists the stage tools in the room page's order.
var StageOrder = []string{StageAgenda, StagePoll, StageBreakout, StageBoard, StageQA, StageNotes}

var stageTools = map[string]bool{StageAgenda: true, StagePoll: true, StageBoard: true, StageQA: true, StageNotes: true, StageBreakout: true}

// stageAfter is the stage an applied event of typ leaves the room on; ""
// keeps the current one. Clients follow the same rule for the frames they
// get (docs/live-protocol.md), so the stage is never a second broadcast.
func stageAfter(typ string) string {
	switch typ {
	case "agenda", "breakout.end":
		return StageAgenda
	case "poll.open":
		return StagePoll
	case "board.open":
		return StageBoard
	case "breakout.start":
		return StageBreakout
	}
	return ""
}

type stageData struct {
	Tool string `json:"tool"`
}

func init() {
	register("stage", &tool{facilitator: true,
		parse: func(raw []byte) (any, ErrorCode) {
			var d stageData
			if json.Unmarshal(raw, &d) != nil || !stageTools[d.Tool] {
				return nil, ErrInvalid
			}
			return d, ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[stageData](ev)
			if !ok || !stageTools[d.Tool] {
				return false
			}
			s.stage = d.Tool
			return true
		},
		render: func(s *state, ev *Event) frames {
			b := mustJSON(map[string]any{"type": "stage", "seq": ev.Seq, "tool": s.stage})
			return frames{seq: ev.Seq, all: b, fac: b}
		},
	})
	snapshotParts = append(snapshotParts, func(s *state, _ Person, out map[string]any) {
		out["stage"] = s.stageNow()
	})
}

// stageNow is the stage, agenda before anything was put there.
func (s *state) stageNow() string {
	if s.stage == "" {
		return StageAgenda
	}
	return s.stage
}
