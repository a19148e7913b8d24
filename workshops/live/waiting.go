package live

import "time"

// The waiting room: when a workshop has one (RoomInfo.WaitingRoom), a
// participant who comes before the schedule lets them in is not turned
// away: they wait in the room. They are in the presence list, marked
// waiting (so everyone sees who waits), they get the presence changes and,
// if the facilitator allows it (RoomInfo.WaitingChat), the main room's
// chat, and they may chat; nothing else of the room reaches them, and
// they may send nothing else. When the room opens, by a facilitator's
// room.open or by the schedule (checked every tick), every waiting client
// is let in: it gets "admitted", then the whole room as a snapshot.
// A room a facilitator closed, or one that is over, has no waiting room.

// mayWait reports whether a participant who may not enter now may wait.
func (r *room) mayWait(now time.Time) bool {
	return r.st.info.WaitingRoom && r.st.notYetOpen(now)
}

// waitingMay reports whether a waiting client may send a frame of typ.
func waitingMay(typ string, chat bool) bool {
	switch typ {
	case "people":
		return true
	case "chat", "chat.history":
		return chat
	}
	return false
}

// wait registers c in the waiting room and tells it so: when the room
// opens, whether it may chat and, if so, the chat so far.
func (r *room) wait(c *client) {
	c.waiting = true
	c.person.Waiting = true
	r.waiting++
	r.clients[c] = struct{}{}
	c.follow, c.autoFollow = !r.large, !r.large
	if r.byMember[c.person.ID] == nil {
		r.byMember[c.person.ID] = map[*client]struct{}{}
	}
	r.byMember[c.person.ID][c] = struct{}{}
	r.dirty, r.busDirty = true, true
	out := map[string]any{"type": "waiting", "opens_at": r.st.info.StartsAt.Add(-r.st.info.EarlyEntry).UTC().Format(time.RFC3339),
		"chat": r.st.info.WaitingChat}
	if r.st.info.WaitingChat {
		out["messages"], out["more"] = r.st.chatBefore(c.person, r.st.seq+1)
	}
	r.deliver(c, r.welcome(c, "none"))
	r.deliver(c, mustJSON(out))
}

// letIn opens the door: every waiting client gets the room.
func (r *room) letIn() {
	if r.waiting == 0 {
		return
	}
	now := r.e.o.Now()
	for c := range r.clients {
		if !c.waiting {
			continue
		}
		c.waiting = false
		c.person.Waiting = false
		r.deliver(c, []byte(`{"type":"admitted"}`))
		r.deliver(c, r.st.snapshot(c.person, now))
	}
	r.waiting = 0
	// Everyone's list marks them waiting: it is sent again, whole, to
	// those who follow it.
	r.shown = map[string]Person{}
	r.sorted, r.firstJSON = nil, nil
	r.dirty, r.busDirty = true, true
}
