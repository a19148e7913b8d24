package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
)

// ---- a browser that follows redirects by hand ----

type browser struct {
	t    *testing.T
	http *http.Client
	lang string // Accept-Language
}

func newBrowser(t *testing.T, lang string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, lang: lang, http: &http.Client{
		Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow requests u and the redirects after it until the next URL satisfies
// stop; it returns that URL without requesting it.
func (b *browser) follow(u string, stop func(*url.URL) bool) *url.URL {
	b.t.Helper()
	cur, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	for hop := 0; hop < 12; hop++ {
		if stop(cur) {
			return cur
		}
		res, body := b.get(cur.String())
		loc := res.Header.Get("Location")
		if res.StatusCode < 300 || res.StatusCode > 399 || loc == "" {
			b.t.Fatalf("GET %s: %d without the expected redirect: %.400s", cur, res.StatusCode, body)
		}
		if cur, err = cur.Parse(loc); err != nil {
			b.t.Fatal(err)
		}
	}
	b.t.Fatalf("too many redirects from %s", u)
	return nil
}

// cookie returns the browser's cookie called name for u.
func (b *browser) cookie(u, name string) string {
	pu, _ := url.Parse(u)
	for _, c := range b.http.Jar.Cookies(pu) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// ---- the portal, served on loopback with its real base URL ----

type testPortal struct {
	s    *Server
	base string
	host string
}

// startPortal serves a portal on ln (its base URL is ln's address, so the
// providers' callback URLs are real) with the given providers, plus extra
// registry entries that tests build directly.
func startPortal(t *testing.T, ln net.Listener, providers config.Providers, extra ...*providerEntry) *testPortal {
	t.Helper()
	return startPortalWith(t, ln, opts{}, providers, extra...)
}

// startPortalWith is startPortal with harness options (an empty database).
func startPortalWith(t *testing.T, ln net.Listener, o opts, providers config.Providers, extra ...*providerEntry) *testPortal {
	t.Helper()
	base := "http://" + ln.Addr().String()
	o.mode, o.baseURL = config.ModeServe, base
	s, _ := newTestServer(t, o)
	s.cfg.Providers = providers
	s.providers = newProviderSet(s.cfg)
	s.providers.list = append(s.providers.list, extra...)
	go func() { _ = s.Listen(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(5 * time.Second) })
	return &testPortal{s: s, base: base, host: ln.Addr().String()}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func (p *testPortal) isCallback(u *url.URL) bool {
	return u.Host == p.host && strings.HasPrefix(u.Path, "/auth/") && strings.HasSuffix(u.Path, "/callback")
}

func (p *testPortal) sessions(t *testing.T) int64 {
	t.Helper()
	n, err := p.s.store.DB.Collection("sessions").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lastFailure returns the reason of the newest signin_failed audit entry.
func (p *testPortal) lastFailure(t *testing.T) string {
	t.Helper()
	es, err := p.s.auth.AuditLog(context.Background(), "", 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == auth.AuditSignInFailed {
			return e.Details["reason"]
		}
	}
	return ""
}

// oidcEntry registers a test OpenID provider under key.
func oidcEntry(key, issuer, clientID, secret, base string) *providerEntry {
	return &providerEntry{Key: key, Label: strings.ToUpper(key[:1]) + key[1:], impl: &oidcProvider{
		discovery: issuer, clientID: clientID, clientSecret: secret, redirectURL: base + "/auth/" + key + "/callback",
		pkce: true, requireNonce: true, client: &http.Client{Timeout: 5 * time.Second},
	}}
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// ---- a hand-written OpenID provider for the token cases ----

// testIssuer is a minimal OpenID provider on loopback written for these
// tests, so that every claim of the ID token is under the test's control:
// a discovery document, a JWKS, an authorization endpoint that signs the
// user in at once (or refuses), and a token endpoint that checks the client,
// the code and PKCE, then returns an ID token signed with go-jose.
type testIssuer struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	otherKey *rsa.PrivateKey // signs "forged" tokens under the same key ID
	clientID string
	secret   string
	// docIssuer replaces the issuer in the discovery document (Entra's
	// multi-tenant documents say ".../{tenantid}/v2.0").
	docIssuer string

	mu         sync.Mutex
	edit       func(claims map[string]any) // changes the next ID tokens
	forge      bool                        // sign with otherKey
	deny       bool                        // the authorization endpoint answers access_denied
	tokenError string                      // the token endpoint answers this error
	codes      map[string]url.Values       // code -> its authorization request
	authorize  url.Values                  // the last authorization request
	token      url.Values                  // the last token request
}

func newTestIssuer(t *testing.T, clientID, secret string) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{t: t, key: key, otherKey: other, clientID: clientID, secret: secret, codes: map[string]url.Values{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u, iss := ti.srv.URL, ti.srv.URL
		if ti.docIssuer != "" {
			iss = ti.docIssuer
		}
		answerJSON(w, 200, map[string]any{
			"issuer": iss, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		answerJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &ti.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", ti.handleAuthorize)
	mux.HandleFunc("POST /token", ti.handleToken)
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func (ti *testIssuer) set(f func(ti *testIssuer)) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.edit, ti.forge, ti.deny, ti.tokenError = nil, false, false, ""
	if f != nil {
		f(ti)
	}
}

func (ti *testIssuer) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.authorize = q
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != ti.clientID {
		http.Error(w, "bad request", 400)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	if ti.deny {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user said no (provider text that must not be shown)")
	} else {
		code := rand.Text()
		ti.codes[code] = q
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (ti *testIssuer) handleToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.token = r.PostForm
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ti.clientID || secret != ti.secret {
		answerJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	az, found := ti.codes[r.PostForm.Get("code")]
	delete(ti.codes, r.PostForm.Get("code"))
	switch {
	case ti.tokenError != "":
		answerJSON(w, 400, map[string]string{"error": ti.tokenError, "error_description": "provider detail that must not be shown"})
		return
	case !found || az.Get("redirect_uri") != r.PostForm.Get("redirect_uri"):
		answerJSON(w, 400, map[string]string{"error": "invalid_grant"})
		return
	case az.Get("code_challenge") != "" && s256(r.PostForm.Get("code_verifier")) != az.Get("code_challenge"):
		answerJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "PKCE verification failed"})
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": ti.srv.URL, "sub": "user-1", "aud": ti.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": az.Get("nonce"), "name": "Ines Ibáñez", "email": "ines@example.org", "email_verified": true,
	}
	if ti.edit != nil {
		ti.edit(claims)
	}
	key := ti.key
	if ti.forge {
		key = ti.otherKey
	}
	answerJSON(w, 200, map[string]any{"access_token": "at-" + rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": ti.sign(key, claims)})
}

func (ti *testIssuer) sign(key *rsa.PrivateKey, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: "RS256"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		ti.t.Error(err)
		return ""
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		ti.t.Error(err)
		return ""
	}
	s, _ := jws.CompactSerialize()
	return s
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---- end to end against a real OpenID provider (zitadel/oidc) ----

// recorder keeps the OP's authorization and token requests for the PKCE checks.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	auth url.Values
	tok  url.Values
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/auth":
		rec.mu.Lock()
		rec.auth = r.URL.Query()
		rec.mu.Unlock()
	case r.URL.Path == "/oauth/token":
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		v, _ := url.ParseQuery(string(b))
		rec.mu.Lock()
		rec.tok = v
		rec.mu.Unlock()
	}
	rec.next.ServeHTTP(w, r)
}

// TestProviderSignInEndToEnd signs a new member in through zitadel's OpenID
// provider (its op package and example in-memory storage) on loopback, then
// approval, access to the member directory and sign-out.
func TestProviderSignInEndToEnd(t *testing.T) {
	portalLn, opLn := listenLoopback(t), listenLoopback(t)
	issuer := "http://" + opLn.Addr().String()
	portalBase := "http://" + portalLn.Addr().String()

	clients := map[string]*storage.Client{"portal": storage.WebClient("portal", "portal-secret", portalBase+"/auth/oidc/callback")}
	opStore := storage.NewStorageWithClients(storage.NewUserStore(issuer), clients)
	rec := &recorder{next: exampleop.SetupServer(issuer, opStore, nil, false)}
	opSrv := &http.Server{Handler: rec, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = opSrv.Serve(opLn) }()
	t.Cleanup(func() { _ = opSrv.Close() })

	p := startPortal(t, portalLn, config.Providers{OIDC: &config.OIDCProvider{
		OAuthClient: config.OAuthClient{ClientID: "portal", ClientSecret: "portal-secret"}, Issuer: issuer, Name: "Test ID",
	}})
	ctx := context.Background()
	b := newBrowser(t, "en")

	// The sign-in page offers the provider with its configured label.
	res, page := b.get(p.base + "/signin?next=/members")
	if res.StatusCode != 200 || !strings.Contains(page, `href="/auth/oidc?next=%2fmembers"`) || !strings.Contains(page, "Sign in with Test ID") {
		t.Fatalf("sign-in page: %d %.2000s", res.StatusCode, page)
	}

	// The OP's login step is a form posted with the example user's password.
	login := b.follow(p.base+"/auth/oidc?next=/members", func(u *url.URL) bool { return u.Path == "/login/username" })
	res, form := b.get(login.String())
	if res.StatusCode != 200 || !strings.Contains(form, `name="password"`) {
		t.Fatalf("OP login form: %d %.500s", res.StatusCode, form)
	}
	res, _ = b.post(issuer+"/login/username", url.Values{
		"id": {login.Query().Get("authRequestID")}, "username": {"test-user@127.0.0.1"}, "password": {"verysecure"},
	})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("OP login: %d", res.StatusCode)
	}
	next, _ := url.Parse(res.Header.Get("Location"))
	callback := b.follow(next.String(), p.isCallback)
	if callback.Path != "/auth/oidc/callback" || callback.Query().Get("code") == "" {
		t.Fatalf("callback: %s", callback)
	}

	// PKCE: S256 challenge on the way out, the matching verifier at the token endpoint.
	res, body := b.get(callback.String())
	rec.mu.Lock()
	authReq, tokReq := rec.auth, rec.tok
	rec.mu.Unlock()
	if authReq.Get("code_challenge_method") != "S256" || authReq.Get("code_challenge") == "" || authReq.Get("nonce") == "" {
		t.Fatalf("authorization request without PKCE S256 or nonce: %v", authReq)
	}
	if v := tokReq.Get("code_verifier"); v == "" || s256(v) != authReq.Get("code_challenge") {
		t.Fatalf("token request verifier %q does not match challenge %q", v, authReq.Get("code_challenge"))
	}

	// A new member: pending, sent to their profile.
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile" {
		t.Fatalf("callback: %d %q %.500s", res.StatusCode, res.Header.Get("Location"), body)
	}
	m, err := p.s.auth.MemberByIdentity(ctx, "oidc", "id1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != auth.StatusPending || m.Name != "Test User" || m.Email != "test-user@zitadel.ch" {
		t.Fatalf("new member: %+v", m)
	}
	if res, _ := b.get(p.base + "/profile"); res.StatusCode != 200 {
		t.Fatalf("profile of a pending member: %d", res.StatusCode)
	}
	if res, _ := b.get(p.base + "/members"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("members as pending: %d, want 403", res.StatusCode)
	}

	// An administrator approves: the directory opens.
	if err := p.s.auth.SetStatus(ctx, m.ID, auth.StatusApproved); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get(p.base + "/members"); res.StatusCode != 200 {
		t.Fatalf("members once approved: %d", res.StatusCode)
	}
	es, _ := p.s.auth.AuditLog(ctx, m.ID, 0, 10)
	if len(es) == 0 || es[len(es)-1].Action != auth.AuditSignIn || es[len(es)-1].Details["provider"] != "oidc" {
		t.Fatalf("audit: %+v", es)
	}

	// Sign-out with the page's CSRF token ends the session for good.
	old := b.cookie(p.base, "portal_session")
	_, page = b.get(p.base + "/profile")
	tok := csrfRe.FindStringSubmatch(page)
	if tok == nil || old == "" {
		t.Fatalf("no CSRF token or session cookie (%q)", old)
	}
	if res, _ := b.post(p.base+"/auth/logout", url.Values{"_csrf": {tok[1]}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if n := p.sessions(t); n != 0 {
		t.Fatalf("%d sessions after sign-out", n)
	}
	stale := newBrowser(t, "en")
	u, _ := url.Parse(p.base)
	stale.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: old, Path: "/"}})
	if res, _ := stale.get(p.base + "/members"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
		t.Fatalf("old session cookie after sign-out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// ---- refusals ----

// TestProviderSignInRefusals drives the flow against the hand-written issuer
// and checks that every tampered, replayed, misdirected, forged or refused
// sign-in ends on a page in the member's language that offers to try again,
// with no session created and no signed-in access.
func TestProviderSignInRefusals(t *testing.T) {
	ti := newTestIssuer(t, "portal", "portal-secret")
	portalLn := listenLoopback(t)
	base := "http://" + portalLn.Addr().String()

	// A provider that cannot be reached: a port nobody listens on.
	gone := listenLoopback(t)
	goneURL := "http://" + gone.Addr().String()
	gone.Close()
	// A provider that answers discovery, then disappears before the code exchange.
	ti2 := newTestIssuer(t, "portal", "portal-secret")

	p := startPortal(t, portalLn, config.Providers{OIDC: &config.OIDCProvider{
		OAuthClient: config.OAuthClient{ClientID: "portal", ClientSecret: "portal-secret"}, Issuer: ti.srv.URL,
	}}, oidcEntry("offline", goneURL, "portal", "portal-secret", base), oidcEntry("vanishing", ti2.srv.URL, "portal", "portal-secret", base))
	ctx := context.Background()

	toCallback := func(b *browser, provider string) *url.URL {
		t.Helper()
		return b.follow(p.base+"/auth/"+provider, p.isCallback)
	}
	// refused checks one refusal page and that nobody got signed in.
	refused := func(t *testing.T, b *browser, res *http.Response, body string, sessionsBefore int64, status int, text string) {
		t.Helper()
		if res.StatusCode != status || !strings.Contains(body, text) {
			t.Fatalf("got %d, want %d with %q: %.3000s", res.StatusCode, status, text, body)
		}
		if !strings.Contains(body, `href="/signin?next=%2fsignin"`) {
			t.Errorf("no way to try again on the page: %.3000s", body)
		}
		for _, leak := range []string{"oidc:", "oauth2", "invalid_grant", "provider text", "provider detail", "go-jose", "mongo"} {
			if strings.Contains(body, leak) {
				t.Errorf("page shows internal text %q", leak)
			}
		}
		if n := p.sessions(t); n != sessionsBefore {
			t.Errorf("sessions: %d, was %d", n, sessionsBefore)
		}
		if res, _ := b.get(p.base + "/profile"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("signed-in access after a refused sign-in: %d", res.StatusCode)
		}
	}

	tests := []struct {
		name   string
		lang   string
		issuer func(ti *testIssuer)
		// run performs the sign-in and returns the portal's final answer.
		run          func(t *testing.T, b *browser) (*http.Response, string)
		status       int
		text         string
		auditReason  string
		sessionDelta int64 // sessions created before the refusal (the replay's first use)
	}{
		{
			name: "tampered state", lang: "fr",
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				cb := toCallback(b, "oidc")
				q := cb.Query()
				st := []byte(q.Get("state"))
				st[0] ^= 1
				q.Set("state", string(st))
				cb.RawQuery = q.Encode()
				return b.get(cb.String())
			},
			status: 400, text: "Cette connexion ne peut pas aboutir",
		},
		{
			name: "missing state", lang: "fr",
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				cb := toCallback(b, "oidc")
				q := cb.Query()
				q.Del("state")
				cb.RawQuery = q.Encode()
				return b.get(cb.String())
			},
			status: 400, text: "Cette connexion ne peut pas aboutir",
		},
		{
			name: "replayed state", lang: "nl", sessionDelta: 1,
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				cb := toCallback(b, "oidc")
				if res, body := b.get(cb.String()); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("first use: %d %.500s", res.StatusCode, body)
				}
				// The first use signed this browser in; start afresh with
				// its pre-login state so the check below means something.
				b2 := newBrowser(t, b.lang)
				*b = *b2
				return b.get(cb.String())
			},
			status: 400, text: "Deze inlogpoging kan niet worden afgerond",
		},
		{
			name: "state from another browser", lang: "de", auditReason: "state_session_mismatch",
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				attacker := newBrowser(t, "en")
				cb := toCallback(attacker, "oidc")
				return b.get(cb.String()) // the victim's browser opens the attacker's callback
			},
			status: 400, text: "Diese Anmeldung kann nicht abgeschlossen werden",
		},
		{
			name: "expired attempt", lang: "fr",
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				cb := toCallback(b, "oidc")
				_, err := p.s.store.DB.Collection("signin_attempts").UpdateMany(ctx, bson.M{}, bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Minute)}})
				if err != nil {
					t.Fatal(err)
				}
				return b.get(cb.String())
			},
			status: 400, text: "a pris trop de temps",
		},
		{
			name: "wrong signature", lang: "fr", auditReason: "invalid_id_token",
			issuer: func(ti *testIssuer) { ti.forge = true },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "pu être vérifiée",
		},
		{
			name: "wrong audience", lang: "fr", auditReason: "invalid_id_token",
			issuer: func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["aud"] = "someone-else" } },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "pu être vérifiée",
		},
		{
			name: "wrong issuer", lang: "fr", auditReason: "invalid_id_token",
			issuer: func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["iss"] = "https://evil.example" } },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "pu être vérifiée",
		},
		{
			name: "expired token", lang: "de", auditReason: "expired",
			issuer: func(ti *testIssuer) {
				ti.edit = func(c map[string]any) {
					c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
				}
			},
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "Die Antwort des Anmeldedienstes konnte nicht überprüft werden",
		},
		{
			name: "missing nonce", lang: "fr", auditReason: "nonce",
			issuer: func(ti *testIssuer) { ti.edit = func(c map[string]any) { delete(c, "nonce") } },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "pu être vérifiée",
		},
		{
			name: "wrong nonce", lang: "fr", auditReason: "nonce",
			issuer: func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["nonce"] = "not-the-one-we-sent" } },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "pu être vérifiée",
		},
		{
			name: "access denied at the provider", lang: "fr",
			issuer: func(ti *testIssuer) { ti.deny = true },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 403, text: "La connexion a été annulée",
		},
		{
			name: "code refused by the provider", lang: "fr",
			issuer: func(ti *testIssuer) { ti.tokenError = "invalid_grant" },
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(toCallback(b, "oidc").String()) },
			status: 400, text: "pas accepté cette connexion",
		},
		{
			name: "provider unreachable", lang: "fr",
			run:    func(t *testing.T, b *browser) (*http.Response, string) { return b.get(p.base + "/auth/offline") },
			status: 503, text: "est injoignable pour le moment",
		},
		{
			name: "provider gone before the code exchange", lang: "fr",
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				cb := toCallback(b, "vanishing")
				ti2.srv.Close()
				return b.get(cb.String())
			},
			status: 503, text: "est injoignable pour le moment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti.set(tt.issuer)
			defer ti.set(nil)
			before := p.sessions(t)
			b := newBrowser(t, tt.lang)
			res, body := tt.run(t, b)
			refused(t, b, res, body, before+tt.sessionDelta, tt.status, tt.text)
			if tt.auditReason != "" {
				if got := p.lastFailure(t); got != tt.auditReason {
					t.Errorf("audit reason %q, want %q", got, tt.auditReason)
				}
			}
		})
	}
}

// TestProviderSignInFlow covers the rest of the flow against the hand-written
// issuer: the portal's own state, PKCE, unknown providers, "next", returning
// members, refused members, linking a second provider and a GitHub sign-in.
func TestProviderSignInFlow(t *testing.T) {
	ti := newTestIssuer(t, "portal", "portal-secret")
	partner := newTestIssuer(t, "portal-p", "partner-secret")
	gh := newFakeGitHub(t)
	portalLn := listenLoopback(t)
	base := "http://" + portalLn.Addr().String()
	ghEntry := &providerEntry{Key: "github", Label: "GitHub", impl: newGitHubProvider("gh-id", "gh-secret", base+"/auth/github/callback",
		githubEndpoints{AuthURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token", ProfileURL: gh.URL + "/user", EmailURL: gh.URL + "/user/emails"},
		&http.Client{Timeout: 5 * time.Second})}
	p := startPortal(t, portalLn, config.Providers{OIDC: &config.OIDCProvider{
		OAuthClient: config.OAuthClient{ClientID: "portal", ClientSecret: "portal-secret"}, Issuer: ti.srv.URL,
	}}, oidcEntry("partner", partner.srv.URL, "portal-p", "partner-secret", base), ghEntry)
	ctx := context.Background()

	t.Run("state is the portal's and PKCE is S256", func(t *testing.T) {
		b := newBrowser(t, "en")
		res, _ := b.get(p.base + "/auth/oidc?state=chosen-by-attacker&next=/members")
		loc, _ := url.Parse(res.Header.Get("Location"))
		q := loc.Query()
		if res.StatusCode != http.StatusSeeOther || q.Get("state") == "" || q.Get("state") == "chosen-by-attacker" {
			t.Fatalf("start: %d state %q", res.StatusCode, q.Get("state"))
		}
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" ||
			q.Get("redirect_uri") != p.base+"/auth/oidc/callback" || !strings.Contains(q.Get("scope"), "openid") {
			t.Fatalf("authorization request: %v", q)
		}
		// The attempt is stored under the hash of the state, never the state itself.
		var a signinAttempt
		if err := p.s.store.DB.Collection("signin_attempts").FindOne(ctx, bson.M{"_id": digest(q.Get("state"))}).Decode(&a); err != nil {
			t.Fatal(err)
		}
		if a.Next != "/members" || a.Provider != "oidc" || a.SessionHash != digest(b.cookie(p.base, "portal_session")) || a.Nonce != q.Get("nonce") {
			t.Fatalf("attempt: %+v", a)
		}
		cb := b.follow(loc.String(), p.isCallback)
		res, _ = b.get(cb.String())
		ti.mu.Lock()
		verifier := ti.token.Get("code_verifier")
		ti.mu.Unlock()
		if verifier != a.Verifier || s256(verifier) != q.Get("code_challenge") {
			t.Fatalf("token request verifier %q, challenge %q", verifier, q.Get("code_challenge"))
		}
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile" {
			t.Fatalf("first sign-in: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		m, err := p.s.auth.MemberByIdentity(ctx, "oidc", "user-1")
		if err != nil || m.Name != "Ines Ibáñez" || m.Email != "ines@example.org" || m.Status != auth.StatusPending {
			t.Fatalf("member: %+v %v", m, err)
		}
	})

	t.Run("returning member goes to next", func(t *testing.T) {
		b := newBrowser(t, "en")
		cb := b.follow(p.base+"/auth/oidc?next=/library", p.isCallback)
		res, _ := b.get(cb.String())
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/library" {
			t.Fatalf("returning member: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		_, page := b.get(p.base + "/library")
		if !strings.Contains(page, "You are signed in.") {
			t.Fatalf("no flash: %.1500s", page)
		}
		// Signing in again replaces the session: the old one is deleted.
		old, before := b.cookie(p.base, "portal_session"), p.sessions(t)
		if res, _ := b.get(b.follow(p.base+"/auth/oidc", p.isCallback).String()); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("second sign-in: %d", res.StatusCode)
		}
		if now := b.cookie(p.base, "portal_session"); now == old || p.sessions(t) != before {
			t.Fatalf("session not replaced: cookie changed %v, sessions %d→%d", now != old, before, p.sessions(t))
		}
	})

	t.Run("next stays on the portal", func(t *testing.T) {
		for next, want := range map[string]string{"//evil.example/x": "/", "https://evil.example": "/", "/auth/oidc/callback": "/", "/signin": "/", "/members?x=1": "/members?x=1",
			"/\t/evil.example": "/", "/%09/evil.example": "/", "/\\evil.example": "/", "/%2F%2Fevil.example": "/"} {
			b := newBrowser(t, "en")
			res, _ := b.get(p.base + "/auth/oidc?next=" + url.QueryEscape(next))
			loc, _ := url.Parse(res.Header.Get("Location"))
			var a signinAttempt
			if err := p.s.store.DB.Collection("signin_attempts").FindOne(ctx, bson.M{"_id": digest(loc.Query().Get("state"))}).Decode(&a); err != nil {
				t.Fatal(err)
			}
			if a.Next != want {
				t.Errorf("next %q stored as %q, want %q", next, a.Next, want)
			}
		}
	})

	t.Run("unknown provider", func(t *testing.T) {
		b := newBrowser(t, "en")
		for _, path := range []string{"/auth/nope", "/auth/nope/callback?state=x&code=y", "/auth/gothic", "/auth/demo"} {
			if res, _ := b.get(p.base + path); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			}
		}
	})

	t.Run("deactivated member is refused", func(t *testing.T) {
		ti.set(func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["sub"] = "user-off" } })
		defer ti.set(nil)
		b := newBrowser(t, "en")
		res, _ := b.get(b.follow(p.base+"/auth/oidc", p.isCallback).String())
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first sign-in: %d", res.StatusCode)
		}
		m, err := p.s.auth.MemberByIdentity(ctx, "oidc", "user-off")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.s.auth.SetStatus(ctx, m.ID, auth.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		before := p.sessions(t)
		b2 := newBrowser(t, "en")
		res, body := b2.get(b2.follow(p.base+"/auth/oidc", p.isCallback).String())
		if res.StatusCode != http.StatusForbidden || p.sessions(t) != before {
			t.Fatalf("deactivated member: %d, sessions %d→%d: %.500s", res.StatusCode, before, p.sessions(t), body)
		}
		if got := p.lastFailure(t); got != "member_deactivated" {
			t.Errorf("audit reason %q", got)
		}
	})

	t.Run("linking a second provider", func(t *testing.T) {
		// Signed out, linking is refused before anything is stored.
		anon := newBrowser(t, "en")
		if res, _ := anon.get(p.base + "/auth/partner?link=1"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
			t.Fatalf("link while signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		b := newBrowser(t, "en")
		b.get(b.follow(p.base+"/auth/oidc", p.isCallback).String()) // Ines, user-1
		partner.set(func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["sub"] = "ines-at-partner" } })
		res, body := b.get(b.follow(p.base+"/auth/partner?link=1", p.isCallback).String())
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile" {
			t.Fatalf("link: %d %q %.500s", res.StatusCode, res.Header.Get("Location"), body)
		}
		m, err := p.s.auth.MemberByIdentity(ctx, "partner", "ines-at-partner")
		if err != nil || len(m.Identities) != 2 {
			t.Fatalf("linked member: %+v %v", m, err)
		}
		if es, _ := p.s.auth.AuditLog(ctx, m.ID, 0, 1); len(es) != 1 || es[0].Action != auth.AuditLink {
			t.Fatalf("audit: %+v", es)
		}
		// The partner identity now signs Ines in.
		b2 := newBrowser(t, "en")
		res, _ = b2.get(b2.follow(p.base+"/auth/partner", p.isCallback).String())
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("sign-in with the linked identity: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		// Someone else cannot take it over.
		ti.set(func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["sub"] = "someone-else" } })
		defer ti.set(nil)
		other := newBrowser(t, "en")
		other.get(other.follow(p.base+"/auth/oidc", p.isCallback).String())
		res, body = other.get(other.follow(p.base+"/auth/partner?link=1", p.isCallback).String())
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already belongs to another member") {
			t.Fatalf("taking another member's identity: %d %.500s", res.StatusCode, body)
		}
	})

	t.Run("github through goth with PKCE", func(t *testing.T) {
		b := newBrowser(t, "en")
		res, body := b.get(b.follow(p.base+"/auth/github", p.isCallback).String())
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile" {
			t.Fatalf("github sign-in: %d %q %.500s", res.StatusCode, res.Header.Get("Location"), body)
		}
		m, err := p.s.auth.MemberByIdentity(ctx, "github", "4242")
		if err != nil || m.Name != "Octo Cat" || m.Email != "octo@example.org" {
			t.Fatalf("github member: %+v %v", m, err)
		}
		gh.mu.Lock()
		defer gh.mu.Unlock()
		if gh.challenge == "" || gh.method != "S256" || s256(gh.verifier) != gh.challenge {
			t.Fatalf("github PKCE: challenge %q method %q verifier %q", gh.challenge, gh.method, gh.verifier)
		}
	})

	t.Run("entra multi-tenant issuer", func(t *testing.T) {
		const tid = "3f8a2c1e-0b7d-4e55-9a61-2c4d8e9f0a1b"
		ms := newTestIssuer(t, "portal-e", "entra-secret")
		ms.docIssuer = ms.srv.URL + "/{tenantid}/v2.0"
		entry := oidcEntry("entra", ms.srv.URL, "portal-e", "entra-secret", base)
		entry.impl.(*oidcProvider).entra = true
		p.s.providers.list = append(p.s.providers.list, entry)
		defer func() { p.s.providers.list = p.s.providers.list[:len(p.s.providers.list)-1] }()

		ms.set(func(ti *testIssuer) {
			ti.edit = func(c map[string]any) { c["iss"], c["tid"], c["sub"] = ti.srv.URL+"/"+tid+"/v2.0", tid, "entra-user" }
		})
		b := newBrowser(t, "en")
		if res, body := b.get(b.follow(p.base+"/auth/entra", p.isCallback).String()); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("entra sign-in: %d %.500s", res.StatusCode, body)
		}
		// A token whose issuer is not its own tenant's is refused.
		ms.set(func(ti *testIssuer) {
			ti.edit = func(c map[string]any) {
				c["iss"], c["tid"] = ti.srv.URL+"/"+tid+"/v2.0", "00000000-0000-0000-0000-000000000000"
			}
		})
		b2 := newBrowser(t, "en")
		if res, _ := b2.get(b2.follow(p.base+"/auth/entra", p.isCallback).String()); res.StatusCode != http.StatusForbidden || p.lastFailure(t) != "issuer" {
			t.Fatalf("entra token of another tenant: %d, audit %q", res.StatusCode, p.lastFailure(t))
		}
	})

	t.Run("sweep removes abandoned attempts", func(t *testing.T) {
		b := newBrowser(t, "en")
		b.get(p.base + "/auth/oidc")
		if _, err := p.s.store.DB.Collection("signin_attempts").UpdateMany(ctx, bson.M{}, bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.s.auth.SweepSigninAttempts(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := p.s.store.DB.Collection("signin_attempts").CountDocuments(ctx, bson.M{}); n != 0 {
			t.Fatalf("%d attempts left after the sweep", n)
		}
	})
}

// fakeGitHub answers GitHub's OAuth and user endpoints for one user.
type fakeGitHub struct {
	*httptest.Server
	mu                          sync.Mutex
	challenge, method, verifier string
	codes                       map[string]string // code -> challenge
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		f.challenge, f.method = q.Get("code_challenge"), q.Get("code_challenge_method")
		code := rand.Text()
		f.codes[code] = f.challenge
		f.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.verifier = r.PostForm.Get("code_verifier")
		ch, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		if !ok || r.PostForm.Get("client_secret") != "gh-secret" || s256(f.verifier) != ch {
			answerJSON(w, 200, map[string]string{"error": "bad_verification_code"}) // GitHub answers errors with 200
			return
		}
		answerJSON(w, 200, map[string]string{"access_token": "gho_test", "token_type": "bearer", "scope": "read:user,user:email"})
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_test" {
			answerJSON(w, 401, map[string]string{"message": "Bad credentials"})
			return
		}
		answerJSON(w, 200, map[string]any{"id": 4242, "login": "octocat", "name": "Octo Cat"})
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		answerJSON(w, 200, []map[string]any{{"email": "octo@example.org", "primary": true, "verified": true}})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func TestProviderRegistry(t *testing.T) {
	cfg := &config.Config{BaseURL: "https://portal.example.org", Providers: config.Providers{
		OIDC:     &config.OIDCProvider{OAuthClient: config.OAuthClient{ClientID: "a", ClientSecret: "b"}, Issuer: "https://id.example.org"},
		Entra:    &config.EntraProvider{OAuthClient: config.OAuthClient{ClientID: "a", ClientSecret: "b"}, Tenant: "organizations"},
		Google:   &config.OAuthClient{ClientID: "a", ClientSecret: "b"},
		GitHub:   &config.OAuthClient{ClientID: "gh", ClientSecret: "b"},
		LinkedIn: &config.OAuthClient{ClientID: "a", ClientSecret: "b"},
	}}
	ps := newProviderSet(cfg)
	var keys []string
	for _, p := range ps.buttons() {
		keys = append(keys, p.Key+"="+p.Label)
	}
	if got := strings.Join(keys, " "); got != "oidc= entra=Microsoft google=Google linkedin=LinkedIn github=GitHub" {
		t.Fatalf("providers: %s", got)
	}
	for key, want := range map[string]struct{ pkce, nonce bool }{"oidc": {true, true}, "entra": {true, true}, "google": {true, true}, "linkedin": {false, false}} {
		o := ps.get(key).impl.(*oidcProvider)
		if o.pkce != want.pkce || o.requireNonce != want.nonce || o.redirectURL != "https://portal.example.org/auth/"+key+"/callback" {
			t.Errorf("%s: pkce %v nonce %v redirect %q", key, o.pkce, o.requireNonce, o.redirectURL)
		}
	}
	if o := ps.get("entra").impl.(*oidcProvider); o.discovery != "https://login.microsoftonline.com/organizations/v2.0" || !o.entra {
		t.Errorf("entra: %+v", o)
	}
	if o := ps.get("linkedin").impl.(*oidcProvider); o.issuer != "https://www.linkedin.com/oauth" {
		t.Errorf("linkedin issuer %q", o.issuer)
	}
	u, _ := ps.get("github").impl.authURL(context.Background(), &signinAttempt{Verifier: "v"}, "st")
	q, _ := url.Parse(u)
	if q.Host != "github.com" || q.Query().Get("code_challenge") != s256("v") || q.Query().Get("code_challenge_method") != "S256" ||
		q.Query().Get("redirect_uri") != "https://portal.example.org/auth/github/callback" || q.Query().Get("state") != "st" {
		t.Errorf("github authorization URL: %s", u)
	}
	if ps.get("gothic") != nil || newProviderSet(&config.Config{BaseURL: "https://p.example.org"}).buttons() != nil {
		t.Error("providers without configuration")
	}
}

func TestEntraIssuer(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		template, tid, want string
		ok                  bool
	}{
		{"https://login.microsoftonline.com/" + tid + "/v2.0", "", "https://login.microsoftonline.com/" + tid + "/v2.0", true},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", tid, "https://login.microsoftonline.com/" + tid + "/v2.0", true},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", "", "", false},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", "evil.example/x", "", false},
	}
	for _, tt := range tests {
		got, ok := entraIssuer(tt.template, tt.tid)
		if got != tt.want || ok != tt.ok {
			t.Errorf("entraIssuer(%q, %q) = %q %v, want %q %v", tt.template, tt.tid, got, ok, tt.want, tt.ok)
		}
	}
}
