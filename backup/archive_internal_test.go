package backup

import (
	"math/big"
	"testing"
)

// TestDigestIsAnOrderFreeSum: the digest of a set does not depend on the
// order documents are added in, and carries across all 256 bits.
func TestDigestIsAnOrderFreeSum(t *testing.T) {
	docs := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	var fwd, back Digest
	want := new(big.Int)
	for i := range docs {
		fwd.Add(docs[i])
		back.Add(docs[len(docs)-1-i])
		var one Digest
		one.Add(docs[i])
		want.Add(want, new(big.Int).SetBytes(one[:]))
	}
	want.Mod(want, new(big.Int).Lsh(big.NewInt(1), 256))
	if fwd != back {
		t.Fatalf("order changes the digest: %s %s", fwd, back)
	}
	got := new(big.Int).SetBytes(fwd[:])
	if got.Cmp(want) != 0 {
		t.Fatalf("digest %x, want the sum %x", got, want)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		cmp  int
		ok   bool
	}{
		{"v1.2.3", "v1.2.3", 0, true},
		{"v1.10.0", "v1.9.9", 1, true},
		{"1.2.3", "v2.0.0", -1, true},
		{"v1.2.3-rc1", "v1.2.3", -1, true},
		{"v1.2.3", "v1.2.3-rc1", 1, true},
		{"v1.2.3+build", "v1.2.3", 0, true},
		{"dev", "v1.2.3", 0, false},
		{"v1.2.3", "3f2a9c1d0e4b-dirty", 0, false},
	}
	for _, tt := range tests {
		cmp, ok := compareVersions(tt.a, tt.b)
		if cmp != tt.cmp || ok != tt.ok {
			t.Errorf("compareVersions(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, cmp, ok, tt.cmp, tt.ok)
		}
	}
}
