package resources_test

import (
	"context"
	"testing"
)

// The system page's stored-files line: the count and the bytes of every
// stored file (the embedded database's $sum of the lengths gave 0).
func TestStoredFiles(t *testing.T) {
	s, _ := newService(t)
	a := []byte("# One\n\nA short clause about spare parts.\n")
	b := []byte("# Two\n\nA longer clause about repair information and the price of spare parts.\n")
	create(t, s, "owner", meta("One", "first", "criteria_set", "en"), "one.md", a)
	create(t, s, "owner", meta("Two", "second", "criteria_set", "en"), "two.md", b)
	files, bytes, err := s.StoredFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if files != 2 || bytes != int64(len(a)+len(b)) {
		t.Fatalf("stored files: %d files, %d bytes; want 2 and %d", files, bytes, len(a)+len(b))
	}
}
