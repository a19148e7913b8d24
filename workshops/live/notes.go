package live

import (
	"encoding/json"
	"time"
	"unicode/utf16"
)

// Shared notes: plain text edited by several people at once, merged by
// operational transformation with the room as the one sequencer. A client
// sends an op against the revision it has seen; the room transforms it
// over every op applied since (kept in a bounded history), applies it and
// broadcasts the transformed op with the new revision. The stored events
// are the notes: nothing else is saved, and a restart replays them.
const (
	MaxNotes       = 100000 // UTF-16 units in one document
	MaxNotesParts  = 400    // components of one op
	notesHistory   = 500    // ops kept per document for transforming late ops
	notesMaxBehind = 400    // older bases are refused at check time, leaving headroom for ops stored meanwhile
)

// Notes error codes.
const (
	// ErrNotesReload: the op's base revision is older than the history;
	// the client reloads the document from a snapshot and redoes its edit.
	ErrNotesReload ErrorCode = "notes_reload"
	// ErrNotesTooLong: the document would exceed MaxNotes.
	ErrNotesTooLong ErrorCode = "notes_too_long"
)

type notesDoc struct {
	text []uint16
	// spare is the array text had before the last op, written over by the
	// next one (see textOp.applyTo); nothing else refers to it.
	spare []uint16
	rev   int64
	hist  []textOp // the ops that made revisions rev-len(hist)+1 .. rev
}

// notesState is the room's shared notes documents (the room's own and one
// per breakout group).
type notesState struct {
	docs map[string]*notesDoc // "" = the room's; breakout groups: round + "/" + group id
	// last is the transformed op of the event just applied, for render.
	last    textOp
	lastRev int64
}

type notesOpData struct {
	Doc string `json:"doc"`
	Rev int64  `json:"rev"`
	Ops textOp `json:"ops"`
	// Key is the client's idempotency key, echoed in the broadcast so the
	// sender knows its own op (Event.Key does not travel on the bus).
	Key string `json:"key,omitempty"`
}

func (n *notesState) doc(key string) *notesDoc {
	if n.docs == nil {
		n.docs = map[string]*notesDoc{}
	}
	d := n.docs[key]
	if d == nil {
		d = &notesDoc{}
		n.docs[key] = d
	}
	return d
}

func (n *notesState) text(key string) string {
	if d := n.docs[key]; d != nil {
		return string(utf16.Decode(d.text))
	}
	return ""
}

// docKey is where a client's doc name lives: "" is the room's notes, a
// group id is that group's notes in the current (or last) round.
func (s *state) notesKey(doc string) (string, bool) {
	if doc == "" {
		return "", true
	}
	if s.breakouts.group(doc) == nil {
		return "", false
	}
	return s.breakouts.scope(doc), true
}

// mayEditNotes: the room's notes are everyone's; a group's notes belong
// to its members and to facilitators while the round runs, and are read
// only after it ends.
func (s *state) mayEditNotes(p Person, doc string) bool {
	if doc == "" {
		return true
	}
	b := &s.breakouts
	return b.running && b.group(doc) != nil && (p.Role == RoleFacilitator || b.of[p.ID] == doc)
}

// rebase transforms an op made at base over the ops applied since.
func (d *notesDoc) rebase(op textOp, base int64) (textOp, ErrorCode) {
	first := d.rev - int64(len(d.hist)) // the revision the history starts from
	if base < first || base > d.rev {
		return nil, ErrNotesReload
	}
	for _, h := range d.hist[base-first:] {
		_, o2, err := transform(h, op)
		if err != nil {
			return nil, ErrNotesReload
		}
		op = o2
	}
	if op.baseLen() != len(d.text) {
		return nil, ErrNotesReload
	}
	return op, ""
}

func init() {
	register("notes.op", &tool{
		parse: func(raw []byte) (any, ErrorCode) {
			var d notesOpData
			if json.Unmarshal(raw, &d) != nil || len(d.Ops) == 0 || len(d.Ops) > MaxNotesParts || d.Rev < 0 || len(d.Doc) > 16 || len(d.Key) > MaxKey {
				return nil, ErrInvalid
			}
			if d.Ops.inserted() > MaxNotes {
				return nil, ErrNotesTooLong
			}
			return &d, ""
		},
		check: func(s *state, p Person, data any) ErrorCode {
			d := data.(*notesOpData)
			if !s.mayEditNotes(p, d.Doc) {
				return ErrForbidden
			}
			key, _ := s.notesKey(d.Doc)
			doc := s.notes.doc(key)
			if doc.rev-d.Rev > notesMaxBehind {
				return ErrNotesReload
			}
			op, code := doc.rebase(d.Ops, d.Rev)
			if code != "" {
				return code
			}
			if op.targetLen() > MaxNotes && op.targetLen() > len(doc.text) {
				return ErrNotesTooLong
			}
			return ""
		},
		apply: func(s *state, ev *Event) bool {
			d, ok := decodeTool[notesOpData](ev)
			// Membership was checked before storing; here only whether the
			// document is still open, so an erased author's edits (whose
			// actor no longer names them) still apply.
			if !ok || (d.Doc != "" && (!s.breakouts.running || s.breakouts.group(d.Doc) == nil)) {
				return false
			}
			key, _ := s.notesKey(d.Doc)
			doc := s.notes.doc(key)
			op, code := doc.rebase(d.Ops, d.Rev)
			if code != "" || (op.targetLen() > MaxNotes && op.targetLen() > len(doc.text)) {
				return false
			}
			text, err := op.applyTo(doc.spare, doc.text)
			if err != nil {
				return false
			}
			doc.spare, doc.text = doc.text, text
			doc.rev++
			doc.hist = append(doc.hist, op)
			if over := len(doc.hist) - notesHistory; over > 0 {
				doc.hist = append(doc.hist[:0:0], doc.hist[over:]...)
			}
			s.notes.last, s.notes.lastRev = op, doc.rev
			return true
		},
		render: func(s *state, ev *Event) frames {
			d, _ := decodeTool[notesOpData](ev)
			b := mustJSON(map[string]any{"type": "notes.op", "seq": ev.Seq, "at": ev.At.UTC().Format(time.RFC3339Nano), "doc": d.Doc, "rev": s.notes.lastRev,
				"ops": s.notes.last, "by": ev.Actor, "key": d.Key})
			f := frames{seq: ev.Seq, all: b, fac: b}
			if d.Doc != "" {
				f.group = s.breakouts.scope(d.Doc)
			}
			return f
		},
	})
	snapshotParts = append(snapshotParts, func(s *state, p Person, out map[string]any) {
		docs := map[string]any{"": notesView(s, "")}
		b := &s.breakouts
		for _, g := range b.groups {
			if p.Role == RoleFacilitator || b.of[p.ID] == g.ID {
				docs[g.ID] = notesView(s, b.scope(g.ID))
			}
		}
		out["notes"] = docs
	})
}

func notesView(s *state, key string) map[string]any {
	rev := int64(0)
	if d := s.notes.docs[key]; d != nil {
		rev = d.rev
	}
	return map[string]any{"text": s.notes.text(key), "rev": rev}
}

func (n *notesState) outcome(o *Outcome) { o.Notes = n.text("") }
