package live

// breakoutState is the room's breakout groups.
type breakoutState struct{}

func (b *breakoutState) outcome(o *Outcome) {}
