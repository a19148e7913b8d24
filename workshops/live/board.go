package live

// boardState is the room's boards of sticky notes with dot voting.
type boardState struct{}

func (b *boardState) outcome(o *Outcome) {}
