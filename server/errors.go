package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/store"
)

var kindStatus = map[fault.Kind]int{
	fault.Internal:        fiber.StatusInternalServerError,
	fault.Invalid:         fiber.StatusBadRequest,
	fault.Unauthenticated: fiber.StatusUnauthorized,
	fault.Forbidden:       fiber.StatusForbidden,
	fault.NotFound:        fiber.StatusNotFound,
	fault.Conflict:        fiber.StatusConflict,
	fault.TooLarge:        fiber.StatusRequestEntityTooLarge,
	fault.RateLimited:     fiber.StatusTooManyRequests,
	fault.Unavailable:     fiber.StatusServiceUnavailable,
}

// classify turns any error into a status, a message key with arguments and
// the field at fault. Causes are never part of what the client sees.
func (s *Server) classify(err error) (status int, key string, args []any, field string) {
	if fe, ok := fault.As(err); ok {
		status = kindStatus[fe.Kind]
		return status, fe.Key, fe.Args, fe.Field
	}
	var fiberErr *fiber.Error
	switch {
	case errors.As(err, &fiberErr):
		status = fiberErr.Code
	case errors.Is(err, store.ErrNotFound):
		status = fiber.StatusNotFound
	case store.IsUnavailable(err):
		status = fiber.StatusServiceUnavailable
	default:
		status = fiber.StatusInternalServerError
	}
	switch status {
	case fiber.StatusRequestEntityTooLarge:
		return status, "error.413", []any{humanBytes(s.cfg.BodyMaxBytes)}, ""
	case fiber.StatusBadRequest, fiber.StatusUnauthorized, fiber.StatusForbidden, fiber.StatusNotFound,
		fiber.StatusMethodNotAllowed, fiber.StatusConflict, fiber.StatusTooManyRequests, fiber.StatusServiceUnavailable:
		return status, fmt.Sprintf("error.%d", status), nil, ""
	case fiber.StatusInternalServerError:
		return status, "error.500", nil, ""
	}
	if status >= 500 {
		return status, "error.500", nil, ""
	}
	return status, "error.400", nil, ""
}

// handleError is the single error handler: it logs the cause, then answers
// JSON {"error": {code, message, request_id}} or an HTML page by Accept.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, key, args, field := s.classify(err)
	rid := requestID(c)
	if status >= 500 {
		s.log.Error("request failed", "request_id", rid, "method", c.Method(), "path", c.Path(), "err", err)
	} else {
		s.log.Debug("request refused", "request_id", rid, "status", status, "err", err)
	}
	s.setSecurityHeaders(c)
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	msg := s.T(c, key, args...)
	if s.wantsJSON(c) {
		body := fiber.Map{"code": errorCode(status), "message": msg, "request_id": rid}
		if field != "" {
			body["field"] = field
		}
		var fes resources.FieldErrors
		if errors.As(err, &fes) {
			fields := map[string]string{}
			for _, fe := range fes {
				fields[fe.Field] = s.T(c, fe.Key, fe.Args...)
			}
			body["fields"] = fields
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(status).JSON(fiber.Map{"error": body})
	}
	if status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet {
		return c.Redirect("/signin?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	// Requests refused before the session middleware ran (413, 431) still
	// need a CSRF-free page; the layout copes with an empty token.
	// Sign-in failures offer to try again, and their page stands for the
	// sign-in page: the provider's callback URL is no place to come back to.
	signin := strings.HasPrefix(key, "signin.error.")
	p := s.newPage(c, s.T(c, fmt.Sprintf("error.title.%d", status)), "", errorData{Message: msg, RequestID: rid, SignIn: signin})
	if p.Title == fmt.Sprintf("error.title.%d", status) {
		p.Title = s.T(c, "error.title")
	}
	if signin {
		p.Title, p.Path = s.T(c, "signin.error.title"), "/signin"
	}
	// A visitor may have followed a members' link: the page still says only
	// "not found" (it must not confirm the resource exists) but offers to
	// sign in and come back to the same address, checked like every "next".
	if status == fiber.StatusNotFound && currentMember(c) == nil && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) {
		if next := localPath(c.OriginalURL()); next != "/" {
			p.Data = errorData{Message: msg, RequestID: rid, Next: next}
		}
	}
	return s.render(c, status, "error", p)
}

type errorData struct {
	Message   string
	RequestID string
	SignIn    bool
	Next      string // a visitor's way back after signing in (404 only)
}

// wantsJSON answers JSON to API paths unless HTML is asked for first, and to
// any request whose Accept prefers JSON.
func (s *Server) wantsJSON(c *fiber.Ctx) bool {
	accept := c.Get(fiber.HeaderAccept)
	if strings.HasPrefix(c.Path(), "/api/") {
		return c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) != fiber.MIMETextHTML || accept == ""
	}
	return accept != "" && c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}

func errorCode(status int) string {
	switch status {
	case 400:
		return "invalid"
	case 401:
		return "unauthenticated"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 409:
		return "conflict"
	case 413:
		return "too_large"
	case 429:
		return "rate_limited"
	case 503:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "invalid"
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
