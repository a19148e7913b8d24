package live

// qaState is the room's questions and answers.
type qaState struct{}

func (q *qaState) outcome(o *Outcome) {}
