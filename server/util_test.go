package server

import (
	"os"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// shortTempDir keeps unix socket paths under the kernel's length limit.
func shortTempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "pt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func recoverMiddleware() fiber.Handler { return recover.New() }
