package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/fault"
)

// csrfToken derives the form token from the session secret with an HMAC: it
// needs no storage, differs per session, and changes when the session is
// regenerated at sign-in, so a token from before sign-in stops working.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	sid, _ := c.Locals(localSession).(string)
	return s.csrfTokenFor(sid)
}

// csrfTokenFor is the form token of the session with this secret ("" for
// none).
func (s *Server) csrfTokenFor(sid string) string {
	if sid == "" {
		return ""
	}
	mac := hmac.New(sha256.New, s.cfg.SessionKey)
	mac.Write([]byte("csrf\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validCSRF compares a token with the session's in constant time.
func (s *Server) validCSRF(c *fiber.Ctx, got string) bool {
	want := s.csrfToken(c)
	return got != "" && want != "" && hmac.Equal([]byte(got), []byte(want))
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// csrf rejects every state-changing browser request whose token (form field
// _csrf or header X-CSRF-Token) does not match the session, or whose Origin,
// when sent, is not the portal's. Bearer-token requests carry no cookies and
// are exempt.
func (s *Server) csrf(c *fiber.Ctx) error {
	if isSafeMethod(c.Method()) || c.Locals(localAPI) == true {
		return c.Next()
	}
	// E-mail unsubscribe links carry a signed, member-bound token and are
	// posted by mail clients (RFC 8058 one-click) without any session: the
	// token is the proof, and all it can do is turn e-mail off.
	if c.Method() == fiber.MethodPost && strings.HasPrefix(c.Path(), "/unsubscribe/") {
		return c.Next()
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" && !s.sameOrigin(c, o) {
		return fault.New(fault.Forbidden, "error.csrf")
	}
	got := c.Get("X-CSRF-Token")
	if got == "" && s.streamsUpload(c) {
		// Reading a form field here would buffer the whole upload: the
		// upload handler checks the _csrf field, which must precede the
		// file in the multipart body (see readUpload).
		c.Locals(localCSRFPending, true)
		return c.Next()
	}
	if got == "" {
		got = formValue(c, "_csrf")
	}
	want := s.csrfToken(c)
	if got == "" || want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return fault.New(fault.Forbidden, "error.csrf")
	}
	return c.Next()
}

// sameOrigin compares an Origin header with the base URL. The loopback demo
// also accepts the Host the browser used, so localhost and 127.0.0.1 both work.
func (s *Server) sameOrigin(c *fiber.Ctx, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	b, _ := url.Parse(s.cfg.BaseURL)
	if u.Scheme == b.Scheme && u.Host == b.Host {
		return true
	}
	return s.cfg.Mode == config.ModeDemo && u.Scheme == "http" && u.Host == string(c.Request().Host())
}
