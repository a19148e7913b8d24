package server

// Sign-in with external providers, part one: the providers enabled by the
// configuration and the start of the flow; the pending sign-in attempts are
// kept by the auth store (auth/signin.go). The return from the provider is in auth_provider_callback.go.
//
// Security notes (see the design brief's known pitfalls):
//   - The state is generated here, never taken from the caller, bound to the
//     browser's pre-login session (the hash of its session secret is stored
//     with the attempt), single use (the attempt is deleted as it is read) and
//     compared in constant time. goth's gothic helper is not used: it accepts
//     a caller-supplied state.
//   - OpenID Connect ID tokens are verified with go-oidc (go-jose underneath):
//     signature against the issuer's JWKS, issuer, audience, expiry, and the
//     nonce stored with the attempt. goth's openidConnect provider checks
//     neither the signature nor the nonce, so it is not used.
//   - PKCE (S256) is sent to every provider that accepts it.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/fault"
)

// providerTimeout bounds every call to a provider (discovery, token
// exchange, keys, user info) made while a member waits.
const providerTimeout = 15 * time.Second

// startProviderSignin sends the browser to the provider's sign-in page.
// GET /auth/:provider[?next=/path][&link=1 | &setup=secret]. With link=1 a
// signed-in member adds this provider to their account; with setup, whoever
// signs in becomes the first administrator (setup_show.go); nothing changes before the provider
// answers with the state bound to this session, so a GET is acceptable.
func (s *Server) startProviderSignin(c *fiber.Ctx) error {
	p := s.providers.get(c.Params("provider"))
	if p == nil {
		return fault.New(fault.NotFound, "error.404")
	}
	sid, _ := c.Locals(localSession).(string)
	if sid == "" || c.Locals(localAPI) == true {
		return fault.New(fault.Invalid, "error.400") // API clients have no browser session to bind to
	}
	a := &signinAttempt{
		Provider:    p.Key,
		SessionHash: digest(sid),
		Nonce:       rand.Text(),
		Verifier:    oauth2.GenerateVerifier(),
		Next:        signinNext(c.Query("next")),
	}
	if secret := c.Query("setup"); secret != "" {
		// Signing in through a set-up link: the link is checked now and
		// claimed when the provider has vouched for whoever signs in.
		l, err := s.auth.SetupLinkBySecret(c.UserContext(), secret)
		if err != nil {
			return setupFault(err)
		}
		a.SetupLink, a.Next = l.ID, "/admin"
	} else if c.Query("link") == "1" {
		m := currentMember(c)
		if m == nil {
			return fault.New(fault.Unauthenticated, "error.401")
		}
		a.MemberID, a.Next = m.ID, "/profile"
	}
	// The caller's own "state" parameter, if any, is never read.
	state := rand.Text()
	ctx, cancel := context.WithTimeout(c.UserContext(), providerTimeout)
	defer cancel()
	to, err := p.impl.authURL(ctx, a, state)
	if err != nil {
		return err
	}
	if err := s.auth.SaveSigninAttempt(c.UserContext(), state, a); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusSeeOther)
}

// signinNext keeps "next" on the portal, and never sends a member back into
// the sign-in machinery itself (an error page's "try again" link carries it).
func signinNext(next string) string {
	next = localPath(next)
	if strings.HasPrefix(next, "/auth/") || next == "/signin" || strings.HasPrefix(next, "/signin?") {
		return "/"
	}
	return next
}

// signinAttempt is the pending sign-in the auth store keeps for a state.
type signinAttempt = auth.SigninAttempt

// digest is the hex SHA-256 of a secret, for storage and lookups.
func digest(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ---- the providers ----

// providerUser is who the provider says signed in, after verification.
type providerUser struct {
	Subject string
	Name    string
	Email   string
}

// signinProvider is one way of signing in.
type signinProvider interface {
	// authURL returns the provider's authorization URL for this attempt.
	authURL(ctx context.Context, a *signinAttempt, state string) (string, error)
	// complete exchanges the code and returns the verified user. Errors are
	// faults (provider unreachable, code refused) or *verifyFailure.
	complete(ctx context.Context, a *signinAttempt, code string) (*providerUser, error)
}

// providerEntry is an enabled provider: its key is the URL segment and the
// identity's provider name; its label names it on the button.
type providerEntry struct {
	Key   string
	Label string // empty: the generic "your organisation's account"
	impl  signinProvider
}

// providerSet holds the enabled providers in the order of their buttons.
type providerSet struct {
	list []*providerEntry
}

func (ps *providerSet) get(key string) *providerEntry {
	for _, p := range ps.list {
		if p.Key == key {
			return p
		}
	}
	return nil
}

// buttons lists the enabled providers for the sign-in page.
func (ps *providerSet) buttons() []*providerEntry { return ps.list }

// newProviderSet builds the enabled providers. Nothing is fetched here:
// discovery happens at the first sign-in and is retried until it succeeds,
// so a provider that is down does not stop the portal.
func newProviderSet(cfg *config.Config) *providerSet {
	client := &http.Client{Timeout: providerTimeout}
	callback := func(key string) string { return cfg.BaseURL + "/auth/" + key + "/callback" }
	ps := &providerSet{}
	pc := cfg.Providers
	if o := pc.OIDC; o != nil {
		ps.list = append(ps.list, &providerEntry{Key: "oidc", Label: o.Name, impl: &oidcProvider{
			discovery: o.Issuer, clientID: o.ClientID, clientSecret: o.ClientSecret, redirectURL: callback("oidc"),
			pkce: true, requireNonce: true, client: client,
		}})
	}
	if e := pc.Entra; e != nil {
		ps.list = append(ps.list, &providerEntry{Key: "entra", Label: "Microsoft", impl: &oidcProvider{
			discovery: "https://login.microsoftonline.com/" + e.Tenant + "/v2.0", entra: true,
			clientID: e.ClientID, clientSecret: e.ClientSecret, redirectURL: callback("entra"),
			pkce: true, requireNonce: true, client: client,
		}})
	}
	if g := pc.Google; g != nil {
		ps.list = append(ps.list, &providerEntry{Key: "google", Label: "Google", impl: &oidcProvider{
			discovery: "https://accounts.google.com", clientID: g.ClientID, clientSecret: g.ClientSecret,
			redirectURL: callback("google"), pkce: true, requireNonce: true, client: client,
		}})
	}
	if l := pc.LinkedIn; l != nil {
		// LinkedIn's "Sign In with LinkedIn using OpenID Connect": its ID
		// token is verified like any other, but LinkedIn refuses PKCE from
		// web apps and does not echo the nonce, and its discovery document
		// has not always named the issuer its tokens carry; the issuer is
		// therefore fixed here, and a nonce is checked only when present.
		ps.list = append(ps.list, &providerEntry{Key: "linkedin", Label: "LinkedIn", impl: &oidcProvider{
			discovery: "https://www.linkedin.com/oauth", issuer: "https://www.linkedin.com/oauth",
			clientID: l.ClientID, clientSecret: l.ClientSecret, redirectURL: callback("linkedin"),
			authStyle: oauth2.AuthStyleInParams, client: client,
		}})
	}
	if g := pc.GitHub; g != nil {
		ps.list = append(ps.list, &providerEntry{Key: "github", Label: "GitHub",
			impl: newGitHubProvider(g.ClientID, g.ClientSecret, callback("github"), githubEndpoints{}, client)})
	}
	return ps
}

// oidcProvider signs in through OpenID Connect: authorization code flow with
// PKCE and a nonce, and an ID token verified against the issuer's keys.
type oidcProvider struct {
	// discovery is the URL whose /.well-known/openid-configuration is read.
	discovery string
	// issuer, when set, is the "iss" tokens must carry, whatever the
	// discovery document says; empty means the document's issuer, which
	// must then equal discovery exactly.
	issuer string
	// entra: the issuer is per tenant. Tokens must carry the discovery
	// document's issuer, with {tenantid} replaced by their own tid claim
	// for the multi-tenant values (common, organizations, consumers).
	entra bool

	clientID, clientSecret, redirectURL string
	pkce, requireNonce                  bool
	authStyle                           oauth2.AuthStyle
	client                              *http.Client

	mu    sync.Mutex
	ready *oidcEndpoints // cached after the first successful discovery
}

type oidcEndpoints struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
	// entraIssuer is the discovery document's issuer, which Entra tokens
	// must carry (with {tenantid} filled in for multi-tenant apps); the
	// other providers' issuer is checked by the verifier.
	entraIssuer string
}

// endpoints discovers the provider once; failures are not cached.
func (p *oidcProvider) endpoints(ctx context.Context) (*oidcEndpoints, error) {
	p.mu.Lock()
	r := p.ready
	p.mu.Unlock()
	if r != nil {
		return r, nil
	}
	dctx := oidc.ClientContext(ctx, p.client)
	switch {
	case p.issuer != "":
		dctx = oidc.InsecureIssuerURLContext(dctx, p.issuer)
	case p.entra:
		// The document's issuer differs from the discovery URL for a domain
		// or a multi-tenant value; it is read below and checked per token.
		dctx = oidc.InsecureIssuerURLContext(dctx, p.discovery)
	}
	prov, err := oidc.NewProvider(dctx, p.discovery)
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("discovery at %s: %w", p.discovery, err), "signin.error.unreachable")
	}
	r = &oidcEndpoints{provider: prov}
	if p.entra {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		if err := prov.Claims(&doc); err != nil || !strings.Contains(doc.Issuer, "://") {
			return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("discovery at %s: no usable issuer %q (%v)", p.discovery, doc.Issuer, err), "signin.error.unreachable")
		}
		r.entraIssuer = doc.Issuer
	}
	r.verifier = prov.Verifier(&oidc.Config{ClientID: p.clientID, SkipIssuerCheck: p.entra})
	ep := prov.Endpoint()
	if p.authStyle != oauth2.AuthStyleAutoDetect {
		ep.AuthStyle = p.authStyle
	}
	r.oauth = &oauth2.Config{
		ClientID: p.clientID, ClientSecret: p.clientSecret, RedirectURL: p.redirectURL,
		Endpoint: ep, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
	p.mu.Lock()
	if p.ready == nil {
		p.ready = r
	}
	r = p.ready
	p.mu.Unlock()
	return r, nil
}

func (p *oidcProvider) authURL(ctx context.Context, a *signinAttempt, state string) (string, error) {
	r, err := p.endpoints(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(a.Nonce)}
	if p.pkce {
		opts = append(opts, oauth2.S256ChallengeOption(a.Verifier))
	}
	return r.oauth.AuthCodeURL(state, opts...), nil
}

// githubEndpoints overrides GitHub's URLs (tests); empty fields keep goth's.
type githubEndpoints struct {
	AuthURL, TokenURL, ProfileURL, EmailURL string
}

// githubProvider signs in with GitHub, which is OAuth 2.0 without ID tokens:
// the code is exchanged here (with the PKCE verifier, which goth's session
// cannot send), then goth's provider reads the profile and the verified
// primary e-mail address with the access token. The subject is GitHub's
// numeric user ID, which survives a change of login name.
type githubProvider struct {
	oauth *oauth2.Config
	goth  *github.Provider
	http  *http.Client
}

func newGitHubProvider(clientID, secret, callback string, ep githubEndpoints, client *http.Client) *githubProvider {
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	ep.AuthURL, ep.TokenURL = or(ep.AuthURL, github.AuthURL), or(ep.TokenURL, github.TokenURL)
	ep.ProfileURL, ep.EmailURL = or(ep.ProfileURL, github.ProfileURL), or(ep.EmailURL, github.EmailURL)
	scopes := []string{"read:user", "user:email"}
	g := github.NewCustomisedURL(clientID, secret, callback, ep.AuthURL, ep.TokenURL, ep.ProfileURL, ep.EmailURL, scopes...)
	g.HTTPClient = client
	return &githubProvider{
		oauth: &oauth2.Config{
			ClientID: clientID, ClientSecret: secret, RedirectURL: callback, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		goth: g,
		http: client,
	}
}

func (p *githubProvider) authURL(_ context.Context, a *signinAttempt, state string) (string, error) {
	return p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(a.Verifier)), nil
}

// errProviderAnswer marks an unusable answer from a provider.
var errProviderAnswer = errors.New("server: unusable answer from the sign-in provider")
