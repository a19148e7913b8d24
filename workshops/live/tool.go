package live

import "encoding/json"

// tool is one facilitation tool's share of the protocol (Q&A, boards,
// breakouts, shared notes). Each tool lives in its own file and registers
// its commands from init, so the room, the persistence, the replay and
// the bus stay one mechanism for every kind of event.
type tool struct {
	// facilitator: only facilitators may send the command.
	facilitator bool
	// parse validates the frame's shape and limits (raw is the whole
	// client frame) and returns the payload to store.
	parse func(raw []byte) (data any, code ErrorCode)
	// check validates the payload against the room as it is now, before
	// anything is stored; a refusal reaches the sender as an error frame.
	// Nil means no check. apply must still cope with a command that an
	// earlier event made void (it reports false then).
	check func(s *state, p Person, data any) ErrorCode
	// apply changes the state by one stored event, deterministically.
	apply func(s *state, ev *Event) bool
	// render turns the applied event into frames for its audiences.
	render func(s *state, ev *Event) frames
}

// tools by command type.
var tools = map[string]*tool{}

func register(typ string, t *tool) {
	if tools[typ] != nil || durableTypes[typ] {
		panic("live: command registered twice: " + typ)
	}
	tools[typ] = t
}

// snapshotParts add each tool's part to a person's snapshot state.
var snapshotParts []func(s *state, p Person, out map[string]any)

// decodeTool unmarshals a tool's payload; a stored payload that does not
// decode applies as nothing.
func decodeTool[T any](ev *Event) (T, bool) {
	var d T
	err := json.Unmarshal(ev.Data, &d)
	return d, err == nil
}
