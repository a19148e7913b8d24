package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/store"
)

// portalBin is the portal binary the replicas run, built once by TestMain
// ("" when the cluster's tools are missing; skipReason says why).
var portalBin, skipReason string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var missing []string
	if _, err := exec.LookPath("nats-server"); err != nil {
		missing = append(missing, "nats-server")
	}
	if nginxPath() == "" {
		missing = append(missing, "nginx")
	}
	if len(missing) > 0 {
		skipReason = "the cluster tests need " + strings.Join(missing, " and ") + ": apt-get install nats-server nginx"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "portal-cluster-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	portalBin = filepath.Join(dir, "portal")
	build := exec.Command("go", "build", "-o", portalBin, ".")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// nginxPath finds Debian's nginx, which lives in /usr/sbin (often not on a
// user's PATH).
func nginxPath() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

// cluster is one running topology (scripts/cluster.sh up) with the test's
// own OpenID Connect provider, and a connection of its own to the shared
// database (the store's URI path, as each replica's).
type cluster struct {
	t      *testing.T
	dir    string
	env    []string
	state  map[string]string
	proxy  string
	issuer *issuer
	store  *store.Store
	auth   *auth.Store
}

// newCluster starts the topology for one test and stops it when the test
// ends. env adds settings both replicas get (PORTAL_SMTP_*, for example).
func newCluster(t *testing.T, env map[string]string) *cluster {
	t.Helper()
	if portalBin == "" {
		if os.Getenv("PORTAL_REQUIRE_CLUSTER") == "1" {
			t.Fatal(skipReason + " (PORTAL_REQUIRE_CLUSTER=1 makes this a failure)")
		}
		t.Skip(skipReason)
	}
	c := &cluster{t: t, dir: t.TempDir(), issuer: newIssuer(t)}
	replicas := portalBin
	if bin := os.Getenv("PORTAL_CLUSTER_BIN"); bin != "" {
		// Another build for the replicas, e.g. an older commit's, to see a
		// test fail on the code it guards; the database server stays ours.
		replicas = bin
	}
	c.env = append(os.Environ(), "CLUSTER_DIR="+c.dir, "PORTAL_BIN="+replicas, "PORTAL_DB_BIN="+portalBin,
		"PATH="+os.Getenv("PATH")+":/usr/sbin",
		"PORTAL_OIDC_ISSUER="+c.issuer.srv.URL, "PORTAL_OIDC_CLIENT_ID="+issuerClient,
		"PORTAL_OIDC_CLIENT_SECRET="+issuerSecret, "PORTAL_OIDC_NAME=Test ID")
	if _, ok := env["PORTAL_RATE_LIMIT"]; !ok {
		// All test traffic comes from 127.0.0.1.
		c.env = append(c.env, "PORTAL_RATE_LIMIT=1000000")
	}
	for k, v := range env {
		c.env = append(c.env, k+"="+v)
	}
	start := time.Now()
	// Registered before up, so a start that fails half-way stops what it
	// started.
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{"portal-a", "portal-b", "db", "nats", "nginx"} {
				t.Logf("%s log, last lines:\n%s", name, tail(c.log(name), 15))
			}
		}
		down := time.Now()
		c.script("down")
		t.Logf("cluster down in %s", time.Since(down).Round(time.Millisecond))
	})
	out := c.script("up")
	c.proxy = strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	c.readState()
	t.Logf("cluster up in %s, proxy %s", time.Since(start).Round(time.Millisecond), c.proxy)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URI: c.state["db_uri"]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	c.store, c.auth = st, auth.NewStore(st.DB)
	return c
}

// script runs scripts/cluster.sh with this cluster's directory.
func (c *cluster) script(args ...string) string {
	c.t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot(), "scripts", "cluster.sh")}, args...)...)
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("cluster.sh %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func (c *cluster) readState() {
	c.state = map[string]string{}
	for _, line := range strings.Split(c.script("status"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			c.state[k] = v
		}
	}
}

// kill ends replica r ("a" or "b") with SIGKILL, stop with SIGTERM (a
// graceful shutdown), start starts it again on its port and waits until it
// is ready.
func (c *cluster) kill(r string)  { c.script("kill", r) }
func (c *cluster) stop(r string)  { c.script("stop", r) }
func (c *cluster) start(r string) { c.script("start", r) }

// restartBoth stops both replicas, then starts them together, so that
// they come up (and run their start-up jobs) at the same moment.
func (c *cluster) restartBoth() {
	for _, r := range []string{"a", "b"} {
		c.stop(r)
	}
	var wg sync.WaitGroup
	for _, r := range []string{"a", "b"} {
		wg.Add(1)
		go func() { defer wg.Done(); c.start(r) }()
	}
	wg.Wait()
}

// log is what a process of the cluster wrote (portal-a, portal-b, db, nats,
// nginx).
func (c *cluster) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "logs", name+".log"))
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// member makes an approved member whose identity at the test provider is
// subject; signIn then signs in as them through the proxy.
func (c *cluster) member(name string, role auth.Role) *auth.Member {
	c.t.Helper()
	subject := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	m, err := c.auth.UpsertByIdentity(context.Background(), auth.Identity{Provider: "oidc", Subject: subject},
		auth.Member{Name: name, Email: subject + "@example.org", Role: role, Status: auth.StatusApproved})
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// client is one browser: a cookie jar, the last CSRF token, and which
// replicas answered it (X-Portal-Instance).
type client struct {
	c      *cluster
	http   *http.Client
	csrf   string
	mu     sync.Mutex
	served map[string]int
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *cluster) newClient() *client {
	jar, _ := cookiejar.New(nil)
	cl := &client{c: c, served: map[string]int{}}
	cl.http = &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return cl
}

// signIn signs in through the proxy with the test provider, as the member
// whose subject is the member's provider subject: the start, the
// provider's redirect back and the callback may each reach either replica.
func (c *cluster) signIn(m *auth.Member) *client {
	c.t.Helper()
	cl := c.newClient()
	cl.page("/signin")
	res := cl.do("GET", "/auth/oidc", nil, nil)
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		c.t.Fatalf("sign-in start: %d", res.StatusCode)
	}
	authz := res.Header.Get("Location")
	// The provider signs in whoever the test names.
	back, err := c.issuer.authorize(authz, m.Identities[0].Subject)
	if err != nil {
		c.t.Fatal(err)
	}
	res = cl.do("GET", back, nil, nil)
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		c.t.Fatalf("sign-in callback: %d", res.StatusCode)
	}
	cl.page("/")
	return cl
}

// do sends a request through the proxy (path may be a full URL) and reads
// the whole answer.
func (cl *client) do(method, path string, body io.Reader, hdr http.Header) *response {
	cl.c.t.Helper()
	res, err := cl.try(method, path, body, hdr)
	if err != nil {
		cl.c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

type response struct {
	*http.Response
	body     []byte
	instance string
}

func (cl *client) try(method, path string, body io.Reader, hdr http.Header) (*response, error) {
	u := path
	if !strings.HasPrefix(path, "http") {
		u = cl.c.proxy + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if req.Header.Get("Origin") == "" && method != "GET" {
		req.Header.Set("Origin", cl.c.proxy)
	}
	res, err := cl.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	in := res.Header.Get("X-Portal-Instance")
	cl.mu.Lock()
	cl.served[in]++
	cl.mu.Unlock()
	return &response{Response: res, body: b, instance: in}, nil
}

// page GETs a page and keeps its CSRF token.
func (cl *client) page(path string) *response {
	cl.c.t.Helper()
	res := cl.do("GET", path, nil, nil)
	if m := csrfRe.FindSubmatch(res.body); m != nil {
		cl.csrf = string(m[1])
	}
	return res
}

// postForm sends a form as the page would, with its CSRF token.
func (cl *client) postForm(path string, v url.Values) (*response, error) {
	v = cloneValues(v)
	v.Set("_csrf", cl.csrf)
	return cl.try("POST", path, strings.NewReader(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// json sends a JSON request with the CSRF header and decodes the answer
// into out (when not nil).
func (cl *client) json(method, path string, in, out any) (*response, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	res, err := cl.try(method, path, body, http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}, "X-CSRF-Token": {cl.csrf}})
	if err != nil {
		return nil, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(res.body, out); err != nil {
			return res, fmt.Errorf("%s %s: %v: %s", method, path, err, res.body)
		}
	}
	return res, nil
}

// upload posts a file to the library API as the upload page's script does.
func (cl *client) upload(title, filename string, data []byte, key string) (*response, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range [][2]string{{"title", title}, {"summary", "A summary for peers."}, {"type", "criteria_set"},
		{"languages", "en"}, {"licence", "cc_by"}, {"visibility", "members"}} {
		_ = w.WriteField(f[0], f[1])
	}
	fw, _ := w.CreateFormFile("file", filename)
	_, _ = fw.Write(data)
	_ = w.Close()
	hdr := http.Header{"Content-Type": {w.FormDataContentType()}, "Accept": {"application/json"}, "X-CSRF-Token": {cl.csrf}}
	if key != "" {
		hdr.Set("Idempotency-Key", key)
	}
	return cl.try("POST", "/api/v1/resources", &buf, hdr)
}

// servedBy is which replicas answered this client so far.
func (cl *client) servedBy() map[string]int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	out := map[string]int{}
	for k, v := range cl.served {
		out[k] = v
	}
	return out
}

// requireBoth fails unless both replicas answered: a test whose requests
// all went to one replica proved nothing about two.
func requireBoth(t *testing.T, served map[string]int) {
	t.Helper()
	if served["portal-a"] == 0 || served["portal-b"] == 0 {
		t.Fatalf("requests were not spread over both replicas: %v", served)
	}
}

// issuer is a minimal OpenID Connect provider on loopback: discovery, keys,
// an authorization endpoint that signs in the subject the test names, and
// a token endpoint that issues a signed ID token for the code.
type issuer struct {
	t     *testing.T
	srv   *httptest.Server
	key   *rsa.PrivateKey
	mu    sync.Mutex
	codes map[string]url.Values
}

const issuerClient, issuerSecret = "portal", "cluster-secret"

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{t: t, key: key, codes: map[string]url.Values{}}
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u := is.srv.URL
		answer(w, 200, map[string]any{
			"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		answer(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		is.mu.Lock()
		az, found := is.codes[r.PostForm.Get("code")]
		delete(is.codes, r.PostForm.Get("code"))
		is.mu.Unlock()
		if id != issuerClient || secret != issuerSecret || !found {
			answer(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{
			"iss": is.srv.URL, "sub": az.Get("sub"), "aud": issuerClient, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"nonce": az.Get("nonce"), "name": az.Get("sub"), "email": az.Get("sub") + "@example.org", "email_verified": true,
		})
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: "RS256"}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			answer(w, 500, map[string]string{"error": "server_error"})
			return
		}
		jws, err := signer.Sign(claims)
		if err != nil {
			answer(w, 500, map[string]string{"error": "server_error"})
			return
		}
		idt, _ := jws.CompactSerialize()
		answer(w, 200, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idt})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// authorize plays the provider's sign-in page: it accepts the portal's
// authorization request for subject and returns the redirect back.
func (is *issuer) authorize(authURL, subject string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, is.srv.URL+"/authorize") {
		return "", fmt.Errorf("the portal sent the browser to %q, not to the provider", authURL)
	}
	q := u.Query()
	if q.Get("client_id") != issuerClient {
		return "", fmt.Errorf("authorization request for client %q", q.Get("client_id"))
	}
	q.Set("sub", subject)
	code := rand.Text()
	is.mu.Lock()
	is.codes[code] = q
	is.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		return "", err
	}
	back.RawQuery = url.Values{"state": {q.Get("state")}, "code": {code}}.Encode()
	return back.String(), nil
}
