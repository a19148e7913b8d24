package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The live socket is upgraded on the raw connection, outside fasthttp's
// response: a handshake the upgrader refuses still gets a status line, and
// a good one a 101.
func TestLiveUpgradeOnTheRawConnection(t *testing.T) {
	s, _ := newTestServer(t, opts{})
	base := listen(t, s)
	fac := apiToken(t, s, "facilitator")
	now := time.Now().UTC()
	st, w := apiDo(t, base, "POST", "/api/v1/workshops", fac, map[string]any{"title": "Upgrade", "starts_at": now.Add(-time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(time.Hour).Format(time.RFC3339)})
	if st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	handshake := func(key string) string {
		t.Helper()
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Write([]byte("GET /api/v1/workshops/" + w["id"].(string) + "/live HTTP/1.1\r\nHost: " + strings.TrimPrefix(base, "http://") + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nAuthorization: Bearer " + fac + "\r\n\r\n"))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("no answer to the handshake: %v", err)
		}
		return strings.TrimSpace(line)
	}
	if got := handshake("not base64 of 16 bytes"); got != "HTTP/1.1 400 Bad Request" {
		t.Fatalf("bad key: %q", got)
	}
	if got := handshake("dGhlIHNhbXBsZSBub25jZQ=="); got != "HTTP/1.1 101 Switching Protocols" {
		t.Fatalf("good key: %q", got)
	}
}
