package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/bench/internal/metrics"
	"github.com/circularfairict/portal/store"
)

// child is a server process the tool started.
type child struct {
	cmd  *exec.Cmd
	stop func()
	base string // http://host:port
}

func (c *child) close() {
	c.stop()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// rss is the child's resident memory in bytes, from /proc.
func (c *child) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// repoRoot walks up from the working directory to the portal's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/circularfairict/portal\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the tool from inside the portal repository (or pass -portal-bin)")
		}
		dir = parent
	}
}

// buildPortal builds the portal binary into dir.
func buildPortal(dir string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "portal")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %v", err)
	}
	return bin, nil
}

// startPortal runs `portal demo` on a free loopback port with a fresh data
// directory (the embedded database), its rate limit lifted for the tool's
// thousands of requests from one address, and waits until it is healthy.
// With pprofAddr set it serves Go's profiler there.
func startPortal(bin, dataDir, pprofAddr string) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "demo", "--addr", addr, "--data", dataDir)
	cmd.Env = append(os.Environ(), "PORTAL_RATE_LIMIT=100000000", "PORTAL_LOG_LEVEL=warn", "PORTAL_PPROF_ADDR="+pprofAddr)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dataDir, "..", "portal.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr, stop: func() { _ = cmd.Process.Signal(syscall.SIGTERM) }}
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(c.base + "/healthz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			c.close()
			return nil, fmt.Errorf("the portal did not become healthy; see %s", logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// people are the members the run uses, with their API tokens.
type people struct {
	facilitator string   // token; also the chat sender
	members     []string // tokens of the participants
}

// makePeople creates a facilitator and n approved participants with API
// tokens, through the auth store on the portal's embedded database (the
// portal owns it; the tool borrows it as `portal user add` does).
// Participants are inserted in batches: a lookup by identity on the
// embedded database scans the collection, which is slow for thousands.
func makePeople(ctx context.Context, dataDir string, n int) (*people, error) {
	st, err := store.Open(ctx, store.Options{DataDir: dataDir, Owner: false, Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	defer st.Close(context.Background())
	a := auth.NewStore(st.DB)
	fac, err := a.UpsertByIdentity(ctx, auth.Identity{Provider: "cli", Subject: "facilitator@liveload.invalid", Email: "facilitator@liveload.invalid"},
		auth.Member{Name: "Load facilitator", Email: "facilitator@liveload.invalid", Role: auth.RoleFacilitator, Status: auth.StatusApproved})
	if err != nil {
		return nil, err
	}
	p := &people{}
	if p.facilitator, _, err = a.CreateToken(ctx, fac.ID, "liveload", nil); err != nil {
		return nil, err
	}
	ids := make([]string, n)
	now := time.Now().UTC()
	for from := 0; from < n; from += 1000 {
		var docs []any
		for i := from; i < min(n, from+1000); i++ {
			ids[i] = store.NewID()
			email := fmt.Sprintf("p%05d@liveload.invalid", i)
			docs = append(docs, auth.Member{ID: ids[i], Name: fmt.Sprintf("Participant %05d", i), Email: email,
				Identities: []auth.Identity{{Provider: "cli", Subject: email, Email: email, LinkedAt: now}},
				// as auth keys identities: provider NUL subject
				IdentityKeys: []string{"cli\x00" + email}, Role: auth.RoleMember, Status: auth.StatusApproved,
				Organisation: "Load test", CreatedAt: now, UpdatedAt: now})
		}
		if _, err := st.DB.Collection("members").InsertMany(ctx, docs); err != nil {
			return nil, fmt.Errorf("insert members: %w", err)
		}
	}
	p.members = make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				tok, _, err := a.CreateToken(ctx, ids[i], "liveload", nil)
				if err != nil {
					errs <- err
					return
				}
				p.members[i] = tok
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return p, nil
}

// apiPost posts JSON with a bearer token and decodes the answer into out.
func apiPost(base, token, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, rb)
	}
	if out != nil {
		return json.Unmarshal(rb, out)
	}
	return nil
}

// makeWorkshop creates a workshop that runs now, through the JSON API, and
// opens its room.
func makeWorkshop(base, facToken string) (string, error) {
	now := time.Now().UTC()
	var w struct {
		ID string `json:"id"`
	}
	err := apiPost(base, facToken, "/api/v1/workshops", map[string]any{"title": "Load test", "starts_at": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(6 * time.Hour).Format(time.RFC3339), "capacity": 0}, &w)
	if err != nil {
		return "", err
	}
	if w.ID == "" {
		return "", errors.New("POST /api/v1/workshops returned no id")
	}
	return w.ID, apiPost(base, facToken, "/api/v1/workshops/"+w.ID+"/open", map[string]any{}, nil)
}

// goMem reads the Go runtime's heap and stack in use from the portal's
// Prometheus metrics.
func goMem(base string) (heap, stack, goroutines int64) {
	g := metrics.Gauges(base, "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines")
	return int64(g["go_memstats_heap_inuse_bytes"]), int64(g["go_memstats_stack_inuse_bytes"]), int64(g["go_goroutines"])
}

// groupCommit reads how the portal's live rooms have stored commands so
// far: database writes, commands in them, and the most in one write.
func groupCommit(base string) (writes, stored, largest int64) {
	g := metrics.Gauges(base, "portal_live_event_writes_total", "portal_live_events_stored_total", "portal_live_event_batch_largest")
	return int64(g["portal_live_event_writes_total"]), int64(g["portal_live_events_stored_total"]), int64(g["portal_live_event_batch_largest"])
}

// gcCycles is how many collections the portal's Go runtime has completed,
// so a phase's count shows what a GC setting changes.
func gcCycles(base string) int64 {
	return int64(metrics.Gauges(base, "go_gc_duration_seconds_count")["go_gc_duration_seconds_count"])
}
