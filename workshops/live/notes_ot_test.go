package live

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf16"
)

func u16(s string) []uint16 { return utf16.Encode([]rune(s)) }

func mustOp(t testing.TB, js string) textOp {
	t.Helper()
	var o textOp
	if err := json.Unmarshal([]byte(js), &o); err != nil {
		t.Fatalf("op %s: %v", js, err)
	}
	return o
}

// randomOp makes a valid op for a document of length n.
func randomOp(r *rand.Rand, n int) textOp {
	var o textOp
	left := n
	for left > 0 || r.IntN(3) == 0 {
		switch k := r.IntN(4); {
		case k == 0:
			o = o.push(opPart{ins: u16([]string{"a", "bc", "é", "😀", "xyz\n"}[r.IntN(5)])})
		case left == 0:
			return o
		case k == 1:
			m := 1 + r.IntN(left)
			o = o.push(opPart{n: -m})
			left -= m
		default:
			m := 1 + r.IntN(left)
			o = o.push(opPart{n: m})
			left -= m
		}
	}
	return o
}

// converge checks transform's one promise: a then b2 equals b then a2.
func converge(t testing.TB, doc []uint16, a, b textOp) string {
	t.Helper()
	a2, b2, err := transform(a, b)
	if err != nil {
		t.Fatalf("transform %v %v: %v", a, b, err)
	}
	da, err := a.apply(doc)
	if err != nil {
		t.Fatal(err)
	}
	dab, err := b2.apply(da)
	if err != nil {
		t.Fatalf("b2 on a: %v", err)
	}
	db, _ := b.apply(doc)
	dba, err := a2.apply(db)
	if err != nil {
		t.Fatalf("a2 on b: %v", err)
	}
	if string(utf16.Decode(dab)) != string(utf16.Decode(dba)) {
		t.Fatalf("diverged on %q: a=%s b=%s -> %q vs %q", string(utf16.Decode(doc)), js(a), js(b), string(utf16.Decode(dab)), string(utf16.Decode(dba)))
	}
	return string(utf16.Decode(dab))
}

func js(o textOp) string { b, _ := json.Marshal(o); return string(b) }

func TestNotesTransformConvergesOnRandomOps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		doc := u16("the quick brown fox 😀 jumps"[:r.IntN(20)])
		converge(t, doc, randomOp(r, len(doc)), randomOp(r, len(doc)))
	}
}

func TestNotesTransformEdgeCases(t *testing.T) {
	for _, c := range []struct {
		name, doc, a, b, want string
	}{
		{"inserts at the same place: a first", "ab", `[1,"X",1]`, `[1,"Y",1]`, "aXYb"},
		{"inserts on the same line, different places", "hello world", `[5,"!",6]`, `[11,"?"]`, "hello! world?"},
		{"inserts on different lines", "one\ntwo", `["1 ",7]`, `[4,"2 ",3]`, "1 one\n2 two"},
		{"same delete twice", "abcdef", `[1,-3,2]`, `[1,-3,2]`, "aef"},
		{"overlapping deletes", "abcdef", `[1,-3,2]`, `[2,-3,1]`, "af"},
		{"insert inside a deleted range survives", "abcdef", `[1,-4,1]`, `[3,"X",3]`, "aXf"},
		{"empty document", "", `["a"]`, `["b"]`, "ab"},
		{"delete all vs insert at end", "abc", `[-3]`, `[3,"Z"]`, "Z"},
		{"surrogate pair insert", "ab", `[1,"😀",1]`, `[2,"é"]`, "a😀bé"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := converge(t, u16(c.doc), mustOp(t, c.a), mustOp(t, c.b)); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	// Ops that do not fit the document are refused, not applied.
	if _, err := mustOp(t, `[5]`).apply(u16("abc")); err == nil {
		t.Fatal("op longer than the document applied")
	}
	if _, _, err := transform(mustOp(t, `[2]`), mustOp(t, `[3]`)); err == nil {
		t.Fatal("ops for different lengths transformed")
	}
	for _, bad := range []string{`[0]`, `[""]`, `[{}]`, `{}`, `[1.5]`} {
		var o textOp
		if json.Unmarshal([]byte(bad), &o) == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

// FuzzNotesTransform: any two ops made for the same document converge,
// whichever is applied first; malformed ops are refused without panics.
func FuzzNotesTransform(f *testing.F) {
	f.Add("hello", `[5,"!"]`, `["> ",5]`)
	f.Add("abcdef", `[1,-3,2]`, `[2,-3,1]`)
	f.Add("", `["x"]`, `["y"]`)
	f.Add("😀", `[2,"a"]`, `[-2]`)
	f.Fuzz(func(t *testing.T, doc, a, b string) {
		var oa, ob textOp
		if json.Unmarshal([]byte(a), &oa) != nil || json.Unmarshal([]byte(b), &ob) != nil {
			return
		}
		d := u16(doc)
		if oa.baseLen() != len(d) || ob.baseLen() != len(d) {
			if _, _, err := transform(oa, ob); err == nil && oa.baseLen() != ob.baseLen() {
				t.Fatal("mismatched ops transformed")
			}
			return
		}
		converge(t, d, oa, ob)
	})
}

// TestApplyToReusesTwoArrays: a document edited op after op through
// applyTo, swapping text and spare as the notes tool does, reads the same
// as one built by apply, and stops allocating once its arrays are large
// enough.
func TestApplyToReusesTwoArrays(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	var text, spare, want []uint16
	for i := 0; i < 2000; i++ {
		op := randomOp(r, len(want))
		var err error
		if want, err = op.apply(want); err != nil {
			t.Fatal(err)
		}
		got, err := op.applyTo(spare, text)
		if err != nil {
			t.Fatal(err)
		}
		spare, text = text, got
		if string(utf16.Decode(text)) != string(utf16.Decode(want)) {
			t.Fatalf("op %d: %q, want %q", i, string(utf16.Decode(text)), string(utf16.Decode(want)))
		}
	}
	// Typing one character at the end of a document of steady size.
	text = u16("some notes")
	spare = nil
	for i := 0; i < 3; i++ { // let both arrays grow
		out, _ := textOp{{n: len(text)}, {ins: u16("x")}, {n: -1}}.applyTo(spare, text)
		spare, text = text, out
	}
	op := textOp{{n: len(text) - 1}, {ins: u16("y")}, {n: -1}}
	if n := testing.AllocsPerRun(50, func() {
		out, _ := op.applyTo(spare, text)
		spare, text = text, out
	}); n != 0 {
		t.Errorf("applyTo allocated %.0f times per op with arrays large enough", n)
	}
}
