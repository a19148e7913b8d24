// Package mail sends the portal's e-mails (membership decisions, later
// notifications and digests) over SMTP, when PORTAL_SMTP_* is configured.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Message is a plain-text e-mail.
type Message struct {
	To      string
	Subject string
	Body    string
	// Headers adds extra headers such as List-Unsubscribe.
	Headers map[string]string
	// Lang is the language the message is written in, and MemberID the
	// member it is for: kept by the outbox (for its administrators and for
	// the member's data export and erasure), not sent.
	Lang, MemberID string
	// MessageID is fixed by the outbox when the message is queued, so every
	// attempt carries the same one; empty draws a new one.
	MessageID string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Discard is the Sender when no SMTP server is configured.
type Discard struct{}

// Send does nothing.
func (Discard) Send(context.Context, Message) error { return nil }

// TLS modes for SMTP.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // only for a relay on the same host or network
)

// SMTP sends through an SMTP server.
type SMTP struct {
	Host, Port         string
	Username, Password string
	From               string
	TLS                string
	// InsecureSkipVerify is for tests with a self-signed server only.
	InsecureSkipVerify bool
}

// ErrHeader rejects addresses or subjects that would inject headers.
var ErrHeader = errors.New("mail: line breaks are not allowed in headers")

// Send delivers m, bounded by ctx (default 30 s).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if strings.ContainsAny(m.To+m.Subject+s.From+m.MessageID, "\r\n") {
		return ErrHeader
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: sender: %w", err)
	}
	msg, err := compose(from, to, m)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	addr := net.JoinHostPort(s.Host, s.Port)
	tlsConf := &tls.Config{ServerName: s.Host, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	d := net.Dialer{}
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("mail: connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greeting: %w", err)
	}
	defer c.Close()
	if s.TLS == TLSStartTLS || s.TLS == "" {
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("mail: starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail: rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return c.Quit()
}

func compose(from, to *mail.Address, m Message) ([]byte, error) {
	var b bytes.Buffer
	msgID := m.MessageID
	if msgID == "" {
		id := make([]byte, 12)
		_, _ = rand.Read(id)
		msgID = "<" + hex.EncodeToString(id) + "@" + from.Address[strings.LastIndex(from.Address, "@")+1:] + ">"
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", msgID)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	for k, v := range m.Headers {
		if strings.ContainsAny(k+v, "\r\n") {
			return nil, ErrHeader
		}
		hdr(k, v)
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
