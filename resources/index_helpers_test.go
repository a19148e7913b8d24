package resources_test

import (
	"context"
	"testing"

	"github.com/circularfairict/portal/bus"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/search"
)

// openIndex gives s a search index in dir, level with the database, closed
// at the end of the test.
func openIndex(t *testing.T, s *resources.Service, dir string, b bus.Bus) *search.Index {
	t.Helper()
	ix, err := s.OpenIndex(context.Background(), dir, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}
