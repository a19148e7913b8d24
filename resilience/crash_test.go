package resilience

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// portal runs the real binary in demo mode on one data directory.
type portal struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
	log  *os.File
}

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func buildPortal(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "portal")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (p *portal) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "demo", "--data", p.dir)
	// The writers all come from one address; the rate limit is not what
	// this test is about.
	p.cmd.Env = append(os.Environ(), "PORTAL_ADDR="+p.addr, "PORTAL_LOG_LEVEL=error", "PORTAL_RATE_LIMIT=1000000")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatal("portal did not become ready after a restart")
}

// kill ends the process the hard way: no shutdown, no flush.
func (p *portal) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

type member struct {
	base string
	c    *http.Client
	csrf string
}

func (m *member) page(path string) (int, string, error) {
	res, err := m.c.Get(m.base + path)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if mm := csrfRe.FindSubmatch(b); mm != nil {
		m.csrf = string(mm[1])
	}
	return res.StatusCode, string(b), nil
}

func (m *member) post(path string, form url.Values) (int, error) {
	form.Set("_csrf", m.csrf)
	res, err := m.c.PostForm(m.base+path, form)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

func signIn(t *testing.T, base, persona string) *member {
	jar, _ := cookiejar.New(nil)
	m := &member{base: base, c: &http.Client{Jar: jar, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if _, _, err := m.page("/signin"); err != nil {
		t.Fatal(err)
	}
	if st, err := m.post("/auth/demo", url.Values{"persona": {persona}}); err != nil || st != 303 {
		t.Fatalf("sign in: %d %v", st, err)
	}
	if _, _, err := m.page("/"); err != nil {
		t.Fatal(err)
	}
	return m
}

// Writes acknowledged before a SIGKILL survive it exactly once; writes that
// got no answer are there at most once. Sessions survive restarts too. Five
// writers run at once: API tokens, discussion threads and replies, library
// uploads (resent with their Idempotency-Key when unanswered), and live-room
// chat over the websocket (resent with the same key after a reconnect).
// Afterwards no half-written thread or upload is visible: every listed
// thread has its opening post, every listed upload its whole file.
func TestCrashRestartKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	dir, err := os.MkdirTemp("", "pcrash") // short: the database socket lives here
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	logf, _ := os.Create(filepath.Join(t.TempDir(), "portal.log"))
	p := &portal{t: t, bin: buildPortal(t), dir: dir, addr: freeAddr(t), log: logf}
	p.start()
	t.Cleanup(func() { p.kill() })
	base := "http://" + p.addr
	writer := signIn(t, base, "buyer")

	const kills = 6
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		tried []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	threads, replies, uploads, chat := newLedger(), newLedger(), newLedger(), newLedger()
	forumWriter, uploader, chatter := signIn(t, base, "buyer"), signIn(t, base, "buyer"), signIn(t, base, "buyer")
	wg.Add(4)
	go func() { defer wg.Done(); writeThreads(forumWriter, threads, replies, stop) }()
	go func() { defer wg.Done(); writeUploads(uploader, uploads, stop) }()
	go func() { defer wg.Done(); writeChat(chatter, chat, stop) }()
	go func() { // the client writes as fast as it can, whatever happens to the server
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := "tok-" + strconv.Itoa(i)
			mu.Lock()
			tried = append(tried, name)
			mu.Unlock()
			st, err := writer.post("/profile/tokens", url.Values{"name": {name}, "expires_in": {"30"}})
			if err == nil && st == 201 {
				mu.Lock()
				acked[name] = true
				mu.Unlock()
			} else if err != nil {
				time.Sleep(5 * time.Millisecond) // the server is down: try the next write soon
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		p.kill()
		p.start()
	}
	// On a busy machine a writer may get nothing through between kills;
	// the last run lasts until each has had one success (or a minute), so
	// every kind of write is proven, not only attempted.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		tokens := len(acked)
		mu.Unlock()
		if tokens > 0 && threads.ackedCount() > 0 && replies.ackedCount() > 0 && uploads.ackedCount() > 0 && chat.ackedCount() > 0 {
			break
		}
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	p.kill()
	p.start()

	checkThreads(t, forumWriter, threads, replies)
	checkUploads(t, uploader, uploads)
	counts := roomChat(t, chatter)
	chat.check(t, "room chat", func(text string) int { return counts[text] })

	// Read back through a fresh client on the same session cookie jar.
	st, list, err := writer.page("/profile/tokens")
	if err != nil || st != 200 {
		t.Fatalf("token list after restart: %d %v (the session must survive restarts)", st, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged: the test proves nothing")
	}
	lost, dup := 0, 0
	for _, name := range tried {
		n := strings.Count(list, "<td>"+name+"</td>")
		switch {
		case acked[name] && n != 1:
			lost++
			t.Errorf("acknowledged %s is there %d times", name, n)
		case n > 1:
			dup++
			t.Errorf("unacknowledged %s is there %d times", name, n)
		}
	}
	t.Logf("tokens: %d kills, %d writes tried, %d acknowledged, %d lost, %d duplicated", kills, len(tried), len(acked), lost, dup)
}
