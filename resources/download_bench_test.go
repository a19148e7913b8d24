package resources_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/store/storetest"
)

// BenchmarkDownloadAmong500 opens and reads one 100 KiB file of a library
// of 500 such files, as a download does, and reports the database
// commands each download sends and the documents they return.
//
//	go test -run '^$' -bench DownloadAmong500 -benchtime 20x ./resources/
func BenchmarkDownloadAmong500(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	if err := st.EnsureIndexes(ctx, resources.Indexes()); err != nil {
		b.Fatal(err)
	}
	var cmds atomic.Int64
	mon := &event.CommandMonitor{Started: func(context.Context, *event.CommandStartedEvent) { cmds.Add(1) }}
	client, err := store.Connect(ctx, st.URI, 30*time.Second, func(o *options.ClientOptions) { o.SetMonitor(mon) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Disconnect(ctx) })
	s, err := resources.New(client.Database(st.DB.Name()), resources.Options{TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	const files, size = 500, 100 << 10
	var vs []resources.Version
	for i := 0; i < files; i++ {
		data := make([]byte, size)
		copy(data, fmt.Sprintf("file %d of the library\n", i))
		v, err := s.StoreFileForTest(ctx, data)
		if err != nil {
			b.Fatal(err)
		}
		vs = append(vs, v)
	}
	cmds.Store(0)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := s.OpenVersion(ctx, vs[(i*7919)%files])
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, f)
		f.Close()
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cmds.Load())/float64(b.N), "cmds/op")
}
