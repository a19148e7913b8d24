package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store/storetest"
)

// TestFirstRunJourney: from an empty database, the first administrator signs
// in through the set-up link with a real OpenID Connect provider (zitadel's
// example OP on loopback), creates the demo's three groups with a category
// and a coordinator each, writes the home introduction in French, and a
// member then sees the groups and the introduction. Every page on the way is
// checked with axe.
func TestFirstRunJourney(t *testing.T) {
	axeSource := loadAxe(t)
	portalLn, opLn := listenOn(t), listenOn(t)
	issuer := "http://" + opLn.Addr().String()
	base := "http://" + portalLn.Addr().String()
	clients := map[string]*storage.Client{"portal": storage.WebClient("portal", "portal-secret", base+"/auth/oidc/callback")}
	opSrv := &http.Server{Handler: exampleop.SetupServer(issuer, storage.NewStorageWithClients(storage.NewUserStore(issuer), clients), nil, false),
		ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = opSrv.Serve(opLn) }()
	t.Cleanup(func() { _ = opSrv.Close() })

	st := storetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cfg := &config.Config{
		Mode: config.ModeServe, Addr: portalLn.Addr().String(), BaseURL: base, SessionKey: sessionKey,
		SessionTTL: time.Hour, SessionIdle: time.Hour, BodyMaxBytes: 1 << 20, UploadMaxBytes: 100 << 20, RateLimit: 10000,
		DataDir: t.TempDir(), LogLevel: "info", ShutdownGrace: 5 * time.Second,
		Providers: config.Providers{OIDC: &config.OIDCProvider{OAuthClient: config.OAuthClient{ClientID: "portal", ClientSecret: "portal-secret"}, Issuer: issuer, Name: "Test ID"}},
	}
	logs := &lockedBuffer{}
	srv, err := server.New(ctx, server.Deps{Config: cfg, Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := srv.OfferSetup(ctx)
	if err != nil || link == "" {
		t.Fatalf("set-up link %q: %v", link, err)
	}
	p := servePortal(t, srv, portalLn, logs, st)

	// The people the administrator will name: approved members, as the
	// command line or the member review would leave them.
	a := auth.NewStore(st.DB)
	coordinators := map[string]string{"national-buyers": "nora@example.org", "ethics-working-group": "claire@example.org", "transparency-cop": "lena@example.org"}
	var reader *auth.Member
	for _, email := range append([]string{"rita@example.org"}, coordinators["national-buyers"], coordinators["ethics-working-group"], coordinators["transparency-cop"]) {
		m, err := a.UpsertByIdentity(ctx, auth.Identity{Provider: "cli", Subject: email, Email: email},
			auth.Member{Name: strings.ToUpper(email[:1]) + strings.Split(email, "@")[0][1:], Email: email, Role: auth.RoleMember, Status: auth.StatusApproved})
		if err != nil {
			t.Fatal(err)
		}
		if reader == nil {
			reader = m
		}
	}

	tb := newBrowser(t, p)
	axe := func(what string) {
		t.Helper()
		if !evalJS[bool](tb, `typeof window.axe === "object"`) {
			tb.run(chromedp.Evaluate[chromedp.Void](axeSource))
		}
		for _, v := range evalJS[[]axeViolation](tb, axeRun, chromedp.EvalAwaitPromise) {
			for _, n := range v.Nodes {
				t.Errorf("%s (%s): axe %s at %s: %s", what, tb.where(), v.ID, n.Target, v.Help)
			}
		}
	}
	path := strings.TrimPrefix(link, base)
	for _, lang := range languages {
		if st := tb.open(withLang(path, lang)); st != 200 {
			t.Fatalf("set-up page in %s: %d", lang, st)
		}
		axe("set-up page " + lang)
	}

	// Sign in at the provider through the link.
	tb.open(path)
	tb.click(`a[href^="/auth/oidc?setup="]`)
	tb.run(chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SetValue(chromedp.CSS(`#username`), "test-user@"+opLn.Addr().(*net.TCPAddr).IP.String()),
		chromedp.SetValue(chromedp.CSS(`#password`), "verysecure"))
	if st := tb.click(`button[type="submit"]`); st != 200 || tb.location().Path != "/admin" {
		t.Fatalf("after the provider: %d at %s", st, tb.where())
	}
	axe("admin area")
	admin, err := a.MemberByIdentity(ctx, "oidc", "id1")
	if err != nil || admin.Role != auth.RoleAdmin {
		t.Fatalf("first administrator: %+v %v", admin, err)
	}

	// The demo's three groups, each with its coordinator and a category.
	groups := []struct{ slug, name, visibility, join, category string }{
		{"national-buyers", "National ICT buyer group", "members", "request", "Framework agreements"},
		{"ethics-working-group", "International working group on ethics in ICT procurement", "public", "request", "Due diligence clauses"},
		{"transparency-cop", "Community of practice on transparency and due diligence", "members", "open", "Factory lists"},
	}
	for _, g := range groups {
		tb.open("/admin/groups/new")
		tb.run(chromedp.SetValue(chromedp.CSS(`#g-name`), g.name), chromedp.SetValue(chromedp.CSS(`#g-slug`), g.slug),
			chromedp.Click(chromedp.CSS(`#g-visibility-`+g.visibility)), chromedp.Click(chromedp.CSS(`#g-join-`+g.join)),
			chromedp.SetValue(chromedp.CSS(`#g-coordinator`), coordinators[g.slug]))
		if st := tb.click(`form[action="/admin/groups"] button[type=submit]`); st != 200 || tb.location().Path != "/admin/groups/"+g.slug {
			t.Fatalf("create %s: %d at %s", g.slug, st, tb.where())
		}
		axe("group " + g.slug)
		tb.open("/admin/categories")
		gid := evalJS[string](tb, `[...document.querySelectorAll("#c-group option")].find(o => o.textContent === `+jsString(g.name)+`).value`)
		tb.run(chromedp.SetValue(chromedp.CSS(`#c-name`), g.category), chromedp.SetValue(chromedp.CSS(`#c-group`), gid))
		if st := tb.click(`form[action="/admin/categories"] button[type=submit]`); st != 200 || !strings.Contains(tb.mustText("main"), g.category) {
			t.Fatalf("category for %s: %d at %s", g.slug, st, tb.where())
		}
		axe("categories")
	}

	// The home introduction, in French.
	const intro = "Bienvenue dans la communauté des acheteurs publics de TIC durables."
	tb.open("/admin/settings")
	tb.run(chromedp.SetValue(chromedp.CSS(`#s-intro_fr`), intro))
	if st := tb.click(`form[action="/admin/settings"] button[type=submit]`); st != 200 {
		t.Fatalf("settings: %d", st)
	}
	axe("settings")

	// A member sees it all.
	mt := tb.isolated("member")
	sid := auth.NewSessionSecret()
	if err := a.CreateSession(ctx, sid, reader.ID, time.Hour, time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	setSessionCookie(mt, p, sid)
	mt.open("/groups?lang=fr")
	listed := mt.mustText("main")
	for _, g := range groups {
		if !strings.Contains(listed, g.name) {
			t.Errorf("the member does not see %s", g.name)
		}
	}
	mt.open("/?lang=fr")
	if !strings.Contains(mt.mustText("main"), intro) {
		t.Error("the member does not see the French introduction")
	}
	mt.open("/discussions/c/factory-lists?lang=fr")
	if !strings.Contains(mt.mustText("h1"), "Factory lists") {
		t.Errorf("the member does not see the group's category: %s", mt.where())
	}
	tb.takeProblems()
	mt.takeProblems()
}

// setSessionCookie gives the tab the session sid.
func setSessionCookie(tb *tab, p *portal, sid string) {
	tb.t.Helper()
	sctx, cancel := tb.step()
	defer cancel()
	if _, err := chromedp.Call(sctx, network.SetCookie, network.SetCookieParams{Name: "portal_session", Value: sid, URL: p.URL + "/"}); err != nil {
		tb.t.Fatalf("%s: set the session cookie: %v", tb.name, err)
	}
}

func listenOn(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
