package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// showHealth answers while the process runs (liveness).
func (s *Server) showHealth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// showReady answers 200 only when the database answers a ping (readiness).
func (s *Server) showReady(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unavailable", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable")
	}
	return c.SendString("ready")
}

// showMetrics serves Prometheus metrics.
func (s *Server) showMetrics(c *fiber.Ctx) error { return s.metrics.handler(c) }
