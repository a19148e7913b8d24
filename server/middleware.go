package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// Keys of per-request values in c.Locals.
const (
	localRequestID = "rid"
	localMember    = "member"
	localSession   = "sid"
	localAPI       = "api" // authenticated by bearer token: no cookies, no CSRF
	// localTokenScope is the auth.TokenScope of that token (see guard).
	localTokenScope = "token_scope"
	localLang       = "lang"
	// localCSRFPending marks an upload whose CSRF token is still to be read
	// from its first form field.
	localCSRFPending = "csrf_pending"
)

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(localRequestID).(string); ok {
		return v
	}
	id := newRequestID()
	c.Locals(localRequestID, id)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func currentMember(c *fiber.Ctx) *auth.Member {
	m, _ := c.Locals(localMember).(*auth.Member)
	return m
}

// contentSecurityPolicy allows only the portal's own scripts and styles:
// no inline script or style, no plugins, no framing, no <base> rewriting.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// setSecurityHeaders runs for every response, including those produced by
// the error handler for requests that never reached the middleware chain.
func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if s.cfg.Secure() {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	h.Set("X-Request-ID", requestID(c))
}

// requestContext is the outermost middleware: it assigns the request ID,
// sets security headers, renders errors itself (so the log and the metrics
// see the final status) and writes one structured access-log line.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	s.setSecurityHeaders(c)
	if s.cfg.Instance != "" {
		c.Set("X-Portal-Instance", s.cfg.Instance)
	}
	err := c.Next()
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			s.log.Error("error handler failed", "err", herr, "request_id", requestID(c))
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if status == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
		route = "(unmatched)" // keep metric labels bounded
	}
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), route, status, elapsed)
	attrs := []any{
		"request_id", requestID(c), "method", c.Method(), "path", c.Path(), "route", route,
		"status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000, "ip", s.clientIP(c),
		"bytes", responseSize(c),
	}
	if m := currentMember(c); m != nil {
		attrs = append(attrs, "member", m.ID)
	}
	s.log.Info("request", attrs...)
	return nil
}

// clientIP is the address of the client: the peer address, unless the peer
// is a trusted proxy; then the rightmost X-Forwarded-For entry that is not a
// trusted proxy. Entries left of it were written by the client and prove
// nothing, so rotating them does not change the result.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			break
		}
		if !s.trusted(ip) {
			return ip.String()
		}
	}
	return peer.String()
}

func (s *Server) trusted(ip net.IP) bool {
	for _, n := range s.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// rateLimit counts requests per client address (see clientIP) in fixed
// one-minute windows, in the database, so every replica spends one budget
// (store.WindowCounter). If the database cannot count, the request goes on
// and the failure is logged: the session and the handler need the database
// too, so an outage is not a way round the limit that lasts.
func (s *Server) rateLimit() fiber.Handler {
	counter := store.NewWindowCounter(s.store.DB, time.Minute, s.cfg.RateLimit)
	limit := strconv.Itoa(s.cfg.RateLimit)
	return func(c *fiber.Ctx) error {
		now := time.Now()
		// The address is stored hashed: the windows live in the database
		// for minutes, and need no address, only one key per client.
		n, end, err := counter.Hit(c.UserContext(), "ip:"+digest(s.clientIP(c))[:32], now)
		if err != nil {
			s.log.Warn("rate limit: not counted", "err", err)
			return c.Next()
		}
		reset := strconv.Itoa(int(end.Sub(now).Round(time.Second) / time.Second))
		if n > s.cfg.RateLimit {
			c.Set(fiber.HeaderRetryAfter, reset)
			return fault.New(fault.RateLimited, "error.429")
		}
		err = c.Next()
		c.Set("X-RateLimit-Limit", limit)
		c.Set("X-RateLimit-Remaining", strconv.Itoa(s.cfg.RateLimit-n))
		c.Set("X-RateLimit-Reset", reset)
		return err
	}
}

// session identifies the caller: a bearer token (API clients) or the session
// cookie (browsers). Every browser gets a random session secret on its first
// visit, even anonymous, because CSRF tokens are derived from it; only
// signed-in sessions are stored in the database.
func (s *Server) session(c *fiber.Ctx) error {
	if authz := c.Get(fiber.HeaderAuthorization); authz != "" {
		tok, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok {
			return fault.New(fault.Unauthenticated, "error.401")
		}
		t, err := s.auth.Token(c.UserContext(), strings.TrimSpace(tok))
		var m *auth.Member
		if err == nil {
			m, err = s.auth.Member(c.UserContext(), t.MemberID)
		}
		if err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return fault.New(fault.Unauthenticated, "error.401")
			}
			return err
		}
		if !m.CanSignIn() {
			return fault.New(fault.Unauthenticated, "error.401")
		}
		c.Locals(localMember, m)
		c.Locals(localAPI, true)
		c.Locals(localTokenScope, t.EffectiveScope()) // what guard lets this token do
		return c.Next()
	}
	sid := c.Cookies(s.sessionCookieName())
	if !validSecret(sid) {
		sid = auth.NewSessionSecret()
		s.setSessionCookie(c, sid, 0)
	} else {
		m, err := s.auth.SessionMember(c.UserContext(), sid)
		switch {
		case err == nil:
			if !m.CanSignIn() {
				_ = s.auth.DeleteSession(c.UserContext(), sid)
			} else {
				c.Locals(localMember, m)
			}
		case errors.Is(err, auth.ErrNotFound):
		default:
			return err
		}
	}
	c.Locals(localSession, sid)
	return c.Next()
}

// validSecret accepts only strings shaped like our own secrets, so a forged
// cookie never reaches a database query.
func validSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) sessionCookieName() string {
	if s.cfg.Secure() {
		return "__Host-portal_session" // __Host- pins the cookie to this origin, path / and Secure
	}
	return "portal_session"
}

// setSessionCookie writes the session cookie; maxAge 0 makes it a browser
// session cookie, a negative maxAge deletes it.
func (s *Server) setSessionCookie(c *fiber.Ctx, sid string, maxAge time.Duration) {
	ck := &fiber.Cookie{
		Name:     s.sessionCookieName(),
		Value:    sid,
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.cfg.Secure(),
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	switch {
	case maxAge > 0:
		ck.MaxAge = int(maxAge.Seconds())
	case maxAge < 0:
		ck.MaxAge = -1
		ck.Expires = time.Unix(0, 0)
	}
	c.Cookie(ck)
}

// setPrefCookie stores a small, non-secret preference (language, flash).
func (s *Server) setPrefCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, Secure: s.cfg.Secure(), SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	} else if maxAge < 0 {
		ck.MaxAge = -1
		ck.Expires = time.Unix(0, 0)
	}
	c.Cookie(ck)
}

func itoa(n int) string { return strconv.Itoa(n) }

// responseSize is the body size for the access log. A streamed body (file
// downloads) is not read for it: Body() would load the whole stream.
func responseSize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return c.Response().Header.ContentLength()
	}
	return len(c.Response().Body())
}

// demoHost answers, in demo mode, only requests addressed to a loopback
// name. The demo signs anyone in as its administrator persona and its CSRF
// check accepts an Origin equal to the Host the browser used (csrf.go), so
// without this a DNS-rebinding page (evil.example re-resolved to 127.0.0.1)
// could drive a local demo from the visitor's own browser. A rebinding page
// needs a name its author controls; loopback IP literals, "localhost" and
// the operator's own PORTAL_BASE_URL host are none.
func (s *Server) demoHost(c *fiber.Ctx) error {
	host := string(c.Request().Host())
	if b, err := url.Parse(s.cfg.BaseURL); err == nil && b.Host != "" && strings.EqualFold(host, b.Host) {
		return c.Next()
	}
	if loopbackHost(host) {
		return c.Next()
	}
	return fault.New(fault.Invalid, "error.host")
}

// loopbackHost reports whether a Host header names this machine: localhost
// or a loopback IP literal ([::1] in brackets), with or without a port.
func loopbackHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		name = host[1 : len(host)-1]
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
