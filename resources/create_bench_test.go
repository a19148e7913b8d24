package resources_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// BenchmarkCreate1MiBText creates one resource with a 1 MiB CSV per
// iteration, through Receive and Create as an upload does, with the search
// index open: Create indexes before it returns, so the allocations printed
// (-benchmem) include the text's analysis into the index. Each file differs
// by its first line, so no upload is deduplicated.
//
//	go test -run '^$' -bench Create1MiB -benchmem ./resources/
func BenchmarkCreate1MiBText(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	if err := st.EnsureIndexes(ctx, resources.Indexes()); err != nil {
		b.Fatal(err)
	}
	s, err := resources.New(st.DB, resources.Options{TempDir: b.TempDir(), MaxBytes: 8 << 20})
	if err != nil {
		b.Fatal(err)
	}
	ix, err := s.OpenIndex(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Close() })
	line := []byte("supplier,factory,country,audit,finding,follow-up,2025-01-01\n")
	body := bytes.Repeat(line, (1<<20)/len(line)+1)[:1<<20]
	m := resources.Meta{Title: "Large monitoring dataset", Summary: "Generated", Type: "report", Languages: []string{"en"},
		Licence: "cc_by", Visibility: resources.VisibilityPublic}
	owner := store.NewID()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		file := append([]byte("run "+strconv.Itoa(i)+"\n"), body...)
		sp, err := s.Receive(ctx, bytes.NewReader(file), "large.csv")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Create(ctx, owner, m, sp, "", ""); err != nil {
			b.Fatal(err)
		}
		sp.Close()
	}
}
