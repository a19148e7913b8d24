package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
)

// TestSetupLink: a portal started on an empty database offers a set-up link;
// signing in through it with the test OpenID provider makes the first
// administrator, once. The link dies on use, on expiry, when an
// administrator is made on the command line, and a session alone (a pending
// member's) never claims it.
func TestSetupLink(t *testing.T) {
	ti := newTestIssuer(t, "portal", "portal-secret")
	ln := listenLoopback(t)
	p := startPortalWith(t, ln, opts{empty: true}, config.Providers{OIDC: &config.OIDCProvider{
		OAuthClient: config.OAuthClient{ClientID: "portal", ClientSecret: "portal-secret"}, Issuer: ti.srv.URL,
	}})
	ctx := context.Background()
	link, err := p.s.OfferSetup(ctx)
	if err != nil || !strings.HasPrefix(link, p.base+"/setup/") {
		t.Fatalf("set-up link %q, %v", link, err)
	}
	secret := strings.TrimPrefix(link, p.base+"/setup/")

	t.Run("unknown link", func(t *testing.T) {
		b := newBrowser(t, "en")
		if res, body := b.get(p.base + "/setup/" + strings.Repeat("x", 43)); res.StatusCode != 404 || !strings.Contains(body, "not valid") {
			t.Fatalf("%d %.300s", res.StatusCode, body)
		}
	})

	t.Run("a pending member's session does not claim it", func(t *testing.T) {
		m := newMember(t, p.s, "Setup Pending", auth.StatusPending, auth.RoleMember)
		b := newBrowser(t, "fr")
		sid := auth.NewSessionSecret()
		if err := p.s.auth.CreateSession(ctx, sid, m.ID, time.Hour, time.Hour, ""); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(p.base)
		b.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: sid, Path: "/"}})
		res, page := b.get(link)
		if res.StatusCode != 200 || !strings.Contains(page, `href="/auth/oidc?setup=`+secret+`"`) || !strings.Contains(page, "Configurer ce portail") {
			t.Fatalf("set-up page: %d %.1500s", res.StatusCode, page)
		}
		if res, _ := b.get(p.base + "/admin/audit"); res.StatusCode != 403 {
			t.Fatalf("audit as the pending member after opening the link: %d", res.StatusCode)
		}
		after, _ := p.s.auth.Member(ctx, m.ID)
		if after.Role != auth.RoleMember || after.Status != auth.StatusPending {
			t.Fatalf("member changed: %+v", after)
		}
	})

	t.Run("expired link", func(t *testing.T) {
		old, err := p.s.OfferSetup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		oldSecret := strings.TrimPrefix(old, p.base+"/setup/")
		if _, err := p.s.store.DB.Collection("setup_links").UpdateOne(ctx, bson.M{"_id": digest(oldSecret)[:24]},
			bson.M{"$set": bson.M{"expires_at": time.Now().Add(-time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, "en")
		if res, body := b.get(old); res.StatusCode != 400 || !strings.Contains(body, "expired") {
			t.Fatalf("expired link: %d %.300s", res.StatusCode, body)
		}
		if res, _ := b.get(p.base + "/auth/oidc?setup=" + oldSecret); res.StatusCode != 400 {
			t.Fatalf("sign-in with an expired link: %d", res.StatusCode)
		}
	})

	// Two browsers start signing in through a link (two replicas may
	// each have printed one); the first to come back wins.
	second, err := p.s.OfferSetup(ctx)
	if err != nil || second == "" {
		t.Fatalf("second link %q %v", second, err)
	}
	first := newBrowser(t, "en")
	cb1 := first.follow(p.base+"/auth/oidc?setup="+secret, p.isCallback)
	late := newBrowser(t, "en")
	cb2 := late.follow(p.base+"/auth/oidc?setup="+strings.TrimPrefix(second, p.base+"/setup/"), p.isCallback)

	res, _ := first.get(cb1.String())
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Fatalf("claim: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	admin, err := p.s.auth.MemberByIdentity(ctx, "oidc", "user-1")
	if err != nil || admin.Role != auth.RoleAdmin || admin.Status != auth.StatusApproved {
		t.Fatalf("first administrator: %+v %v", admin, err)
	}
	if res, _ := first.get(p.base + "/admin/audit"); res.StatusCode != 200 {
		t.Fatalf("audit as the new administrator: %d", res.StatusCode)
	}
	es, _ := p.s.auth.AuditLog(ctx, admin.ID, 0, 10)
	if len(es) == 0 || es[0].Action != auth.AuditSetupClaimed || es[0].Actor != admin.ID {
		t.Fatalf("audit: %+v", es)
	}

	ti.set(func(ti *testIssuer) { ti.edit = func(c map[string]any) { c["sub"] = "user-2" } })
	res, body := late.get(cb2.String())
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already has an administrator") {
		t.Fatalf("late claim: %d %.300s", res.StatusCode, body)
	}
	if m, err := p.s.auth.MemberByIdentity(ctx, "oidc", "user-2"); err != nil || m.Role == auth.RoleAdmin {
		t.Fatalf("late claimant: %+v %v", m, err)
	}
	ti.set(nil)

	// Single use: the link, and any link, is refused from now on.
	if res, _ := newBrowser(t, "en").get(link); res.StatusCode != http.StatusConflict {
		t.Fatalf("used link: %d", res.StatusCode)
	}
	if res, _ := newBrowser(t, "en").get(p.base + "/auth/oidc?setup=" + secret); res.StatusCode != http.StatusConflict {
		t.Fatalf("sign-in with a used link: %d", res.StatusCode)
	}
	if again, err := p.s.OfferSetup(ctx); again != "" || err != nil {
		t.Fatalf("a link offered although an administrator exists: %q %v", again, err)
	}
}

// TestSetupClaimAtomic: of many members claiming links at once, exactly one
// becomes administrator; and an administrator made on the command line
// kills a link that was offered before.
func TestSetupClaimAtomic(t *testing.T) {
	s, _ := newTestServer(t, opts{empty: true, mode: config.ModeServe})
	ctx := context.Background()
	var ids, links []string
	for i := 0; i < 6; i++ {
		ids = append(ids, newMember(t, s, "Claimant "+string(rune('A'+i)), auth.StatusPending, auth.RoleMember).ID)
		_, l, err := s.auth.CreateSetupLink(ctx)
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, l.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i := range ids {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = s.auth.ClaimSetup(ctx, links[i], ids[i]) }(i)
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		m, _ := s.auth.Member(ctx, ids[i])
		if err == nil {
			won++
			if m.Role != auth.RoleAdmin {
				t.Errorf("winner %d is %s", i, m.Role)
			}
		} else if m.Role == auth.RoleAdmin {
			t.Errorf("claimant %d lost (%v) but is an administrator", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won: %v", won, errs)
	}

	s2, _ := newTestServer(t, opts{empty: true, mode: config.ModeServe})
	link, err := s2.OfferSetup(ctx)
	if err != nil || link == "" {
		t.Fatalf("link %q %v", link, err)
	}
	if err := s2.auth.MarkAdministratorMade(ctx, "cli-admin"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s2)
	if res, _ := c.get(strings.TrimPrefix(link, s2.cfg.BaseURL)); res.StatusCode != http.StatusConflict {
		t.Fatalf("link after the command line made an administrator: %d", res.StatusCode)
	}
}
