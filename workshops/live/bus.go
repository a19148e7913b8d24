package live

// busMsg is what travels on the bus.
type busMsg struct {
	Kind     string   `json:"k"`           // event, hole, presence, query, react
	From     string   `json:"f"`           // instance ID
	Event    *Event   `json:"e,omitempty"` // kind event
	Seq      int64    `json:"s,omitempty"` // kind hole
	People   []Person `json:"p,omitempty"` // kind presence: everyone connected to From
	Reaction []byte   `json:"r,omitempty"` // kind react: the frame to pass on
}
