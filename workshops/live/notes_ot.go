package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf16"
)

// textOp is one edit of a plain-text document, in UTF-16 code units (the
// unit of a browser's strings, so positions mean the same on both ends).
// It walks the whole document: retains and deletes add up to the length
// the op was made against. On the wire a component is a JSON number n > 0
// (retain n), n < 0 (delete -n) or a string (insert it).
type textOp []opPart

type opPart struct {
	n   int      // > 0 retain, < 0 delete; 0 with ins set: insert
	ins []uint16 // the inserted text
}

var errOpShape = errors.New("live: op does not fit the document")

func (p opPart) isInsert() bool { return p.n == 0 }

// baseLen is the length of the document the op applies to; targetLen the
// length after it.
func (o textOp) baseLen() int {
	n := 0
	for _, p := range o {
		if p.n > 0 {
			n += p.n
		} else if p.n < 0 {
			n -= p.n
		}
	}
	return n
}

func (o textOp) targetLen() int {
	n := 0
	for _, p := range o {
		if p.n > 0 {
			n += p.n
		} else if p.n == 0 {
			n += len(p.ins)
		}
	}
	return n
}

// inserted is how many units the op inserts.
func (o textOp) inserted() int {
	n := 0
	for _, p := range o {
		if p.n == 0 {
			n += len(p.ins)
		}
	}
	return n
}

// push appends a part, merging it with the last one of the same kind, so
// ops stay short and two equal edits encode the same way.
func (o textOp) push(p opPart) textOp {
	if p.n == 0 && len(p.ins) == 0 {
		return o
	}
	if len(o) > 0 {
		l := &o[len(o)-1]
		switch {
		case p.n > 0 && l.n > 0, p.n < 0 && l.n < 0:
			l.n += p.n
			return o
		case p.n == 0 && l.n == 0:
			l.ins = append(append([]uint16(nil), l.ins...), p.ins...)
			return o
		case p.n == 0 && l.n < 0:
			// An insert next to a delete goes first: delete+insert and
			// insert+delete do the same, one spelling keeps ops comparable.
			if len(o) > 1 && o[len(o)-2].n == 0 {
				o[len(o)-2].ins = append(append([]uint16(nil), o[len(o)-2].ins...), p.ins...)
				return o
			}
			d := *l
			*l = p
			return append(o, d)
		}
	}
	return append(o, p)
}

// apply returns doc changed by the op; the op must be made for doc's length.
func (o textOp) apply(doc []uint16) ([]uint16, error) { return o.applyTo(nil, doc) }

// applyTo is apply writing the result into dst's array when it is large
// enough, so that a document edited op after op alternates between two
// arrays instead of allocating its whole text again for every keystroke.
// dst must not share memory with doc.
func (o textOp) applyTo(dst, doc []uint16) ([]uint16, error) {
	if o.baseLen() != len(doc) {
		return nil, errOpShape
	}
	out := dst[:0]
	if n := o.targetLen(); cap(out) < n {
		// Room to grow, so the next few ops fit too.
		out = make([]uint16, 0, n+n/4+64)
	}
	i := 0
	for _, p := range o {
		switch {
		case p.n > 0:
			out = append(out, doc[i:i+p.n]...)
			i += p.n
		case p.n < 0:
			i -= p.n
		default:
			out = append(out, p.ins...)
		}
	}
	return out, nil
}

// transform takes two ops made against the same document and returns a2
// and b2 such that a then b2 and b then a2 give the same text. Where both
// insert at the same place, a's text comes first: the server passes the
// op it applied earlier (the lower seq) as a, so every replica breaks the
// tie the same way.
func transform(a, b textOp) (textOp, textOp, error) {
	if a.baseLen() != b.baseLen() {
		return nil, nil, errOpShape
	}
	var a2, b2 textOp
	i, j := 0, 0
	var x, y opPart // the parts being consumed; n == 0 && ins == nil: take the next
	take := func(ops textOp, k *int) opPart {
		if *k < len(ops) {
			p := ops[*k]
			*k++
			return p
		}
		return opPart{}
	}
	x, y = take(a, &i), take(b, &j)
	none := func(p opPart) bool { return p.n == 0 && p.ins == nil }
	for !none(x) || !none(y) {
		switch {
		case !none(x) && x.isInsert():
			a2 = a2.push(x)
			b2 = b2.push(opPart{n: len(x.ins)})
			x = take(a, &i)
			continue
		case !none(y) && y.isInsert():
			a2 = a2.push(opPart{n: len(y.ins)})
			b2 = b2.push(y)
			y = take(b, &j)
			continue
		case none(x) || none(y):
			return nil, nil, errOpShape
		}
		m := min(abs(x.n), abs(y.n))
		switch {
		case x.n > 0 && y.n > 0:
			a2 = a2.push(opPart{n: m})
			b2 = b2.push(opPart{n: m})
		case x.n < 0 && y.n > 0:
			a2 = a2.push(opPart{n: -m})
		case x.n > 0 && y.n < 0:
			b2 = b2.push(opPart{n: -m})
		}
		// Both deleting the same text: it is gone once, neither op
		// deletes it again.
		x, y = shrink(x, m), shrink(y, m)
		if none(x) {
			x = take(a, &i)
		}
		if none(y) {
			y = take(b, &j)
		}
	}
	return a2, b2, nil
}

// shrink consumes m units of a retain or delete; a used-up part becomes
// the empty part.
func shrink(p opPart, m int) opPart {
	switch {
	case p.n > 0:
		p.n -= m
	case p.n < 0:
		p.n += m
	}
	if p.n == 0 {
		return opPart{}
	}
	return p
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// MarshalJSON writes the wire form: numbers and strings.
func (o textOp) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for k, p := range o {
		if k > 0 {
			b.WriteByte(',')
		}
		if p.n != 0 {
			b.WriteString(itoa(p.n))
			continue
		}
		s, _ := json.Marshal(string(utf16.Decode(p.ins)))
		b.Write(s)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the wire form. Zero counts, empty inserts and
// anything else are refused, so a stored op is always well formed.
func (o *textOp) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var out textOp
	for _, r := range raw {
		if len(r) > 0 && r[0] == '"' {
			var s string
			if err := json.Unmarshal(r, &s); err != nil || s == "" {
				return errOpShape
			}
			out = append(out, opPart{ins: utf16.Encode([]rune(s))})
			continue
		}
		var n int
		if err := json.Unmarshal(r, &n); err != nil || n == 0 {
			return errOpShape
		}
		out = append(out, opPart{n: n})
	}
	*o = out
	return nil
}
