package live

// notesState is the room's shared notes documents (the room's own and one
// per breakout group).
type notesState struct{}

func (n *notesState) outcome(o *Outcome) {}
