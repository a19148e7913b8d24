// Package mailtest runs a small SMTP server on loopback for tests: it speaks
// the real protocol to the real client and keeps what it receives.
package mailtest

import (
	"bufio"
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Received is one delivered message.
type Received struct {
	From, To string
	Header   mail.Header
	Body     string
}

// Server accepts SMTP sessions without TLS or authentication.
type Server struct {
	Host, Port string
	mu         sync.Mutex
	msgs       []Received
	arrived    chan struct{}
	ln         net.Listener
	lnMu       sync.Mutex
}

// Start listens on a loopback port until the test ends.
func Start(t testing.TB) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{Host: host, Port: port, ln: ln, arrived: make(chan struct{}, 1000)}
	go s.serve(ln)
	t.Cleanup(func() { s.Down() })
	return s
}

// Down stops accepting connections, as a mail server that is down: the
// port refuses them until Up.
func (s *Server) Down() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Up listens again on the same port after Down.
func (s *Server) Up(t testing.TB) {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	ln, err := net.Listen("tcp", net.JoinHostPort(s.Host, s.Port))
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	go s.serve(ln)
}

func (s *Server) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 mailtest ready")
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 mailtest")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from = strings.Trim(strings.TrimSpace(line[10:]), "<>\r\n")
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line[8:]), "<>\r\n")
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			if m, err := mail.ReadMessage(strings.NewReader(data.String())); err == nil {
				body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
				s.mu.Lock()
				s.msgs = append(s.msgs, Received{From: from, To: to, Header: m.Header, Body: strings.ReplaceAll(string(body), "\r\n", "\n")})
				s.mu.Unlock()
				s.arrived <- struct{}{}
			}
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		case cmd == "RSET", cmd == "NOOP":
			say("250 ok")
		default:
			say("502 not implemented")
		}
	}
}

// Wait returns the first n messages, failing the test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Received(nil), s.msgs...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("mailtest: %d messages after %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

// Messages returns what has arrived so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Counter is what Drain needs of an outbox (mail.Outbox has it).
type Counter interface {
	Counts(ctx context.Context) (queued, failed int64, err error)
}

// Drain waits until the outbox has handed every queued message to the mail
// server, for tests that then look at what it received.
func Drain(t testing.TB, o Counter) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		queued, _, err := o.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail outbox: %d messages still queued", queued)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
