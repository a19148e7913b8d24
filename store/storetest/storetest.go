// Package storetest gives each test a fresh database. By default all tests of
// one test binary share an embedded FerretDB started on first use;
// PORTAL_TEST_MONGODB_URI points them at a real MongoDB instead.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/circularfairict/portal/store"
)

var (
	once   sync.Once
	shared *store.Store
	dir    string
	errOne error
)

// Main wraps testing.M.Run so the shared embedded database and its directory
// are removed when the test binary ends. Use it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		_ = shared.Close(context.Background())
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	return code
}

func server(t testing.TB) *store.Store {
	once.Do(func() {
		opts := store.Options{URI: os.Getenv("PORTAL_TEST_MONGODB_URI")}
		if opts.URI == "" {
			// A short path keeps the unix socket under the sun_path limit.
			dir, errOne = os.MkdirTemp(memoryDir(), "ptest")
			if errOne != nil {
				return
			}
			opts.DataDir = dir
		}
		shared, errOne = store.Open(context.Background(), opts)
	})
	if errOne != nil {
		t.Fatalf("storetest: %v", errOne)
	}
	return shared
}

// memoryDir is where the shared embedded database goes: a memory file system
// when one with room is mounted, else the usual temporary directory. Tests
// never need a write to survive a crash, and on a disk the fsync of each
// commit is most of the time a small write takes (the crash and backup
// tests that do rely on the disk open databases of their own).
func memoryDir() string {
	var fs syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &fs) == nil && fs.Bavail*uint64(fs.Bsize) >= 2<<30 {
		return "/dev/shm"
	}
	return ""
}

// New returns a Store on a database of its own, dropped when the test ends.
// The returned Store shares the client: do not Close it.
func New(t testing.TB) *store.Store {
	t.Helper()
	s := server(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	st := s.WithDatabase(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.DB.Drop(ctx)
	})
	return st
}

// Client exposes the shared client for tests that open their own store on
// the same server (for example a server under test given the URI).
func Client(t testing.TB) *mongo.Client { return server(t).Client }

// Together calls f(0), ..., f(n-1) from n goroutines released at the same
// moment and returns when all have returned: how tests make two stores (or
// two servers on one database) race for the same claim.
func Together(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}
