package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/circularfairict/portal/mail/mailtest"
)

func TestSendOverSMTP(t *testing.T) {
	srv := mailtest.Start(t)
	s := &SMTP{Host: srv.Host, Port: srv.Port, From: "Portal <portal@example.org>", TLS: TLSNone}
	err := s.Send(context.Background(), Message{To: "Anna <anna@example.org>", Subject: "Bienvenue à la communauté",
		Body: "Votre adhésion a été approuvée.\nÀ bientôt.", Headers: map[string]string{"List-Unsubscribe": "<https://p.example.org/u/x>"}})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.To != "anna@example.org" || got.From != "portal@example.org" {
		t.Fatalf("envelope %+v", got)
	}
	dec := new(strings.Builder)
	subj, _ := (&wordDecoder).DecodeHeader(got.Header.Get("Subject"))
	dec.WriteString(subj)
	if dec.String() != "Bienvenue à la communauté" || !strings.Contains(got.Body, "Votre adhésion a été approuvée.") {
		t.Fatalf("subject %q body %q", dec.String(), got.Body)
	}
	if got.Header.Get("List-Unsubscribe") == "" || got.Header.Get("Message-Id") == "" {
		t.Fatalf("headers %v", got.Header)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	s := &SMTP{Host: "127.0.0.1", Port: "1", From: "portal@example.org", TLS: TLSNone}
	for _, m := range []Message{
		{To: "a@example.org\r\nBcc: victim@example.org", Subject: "x"},
		{To: "a@example.org", Subject: "hi\r\nBcc: victim@example.org"},
		{To: "a@example.org", Subject: "x", Headers: map[string]string{"X-A": "b\r\nBcc: v@example.org"}},
	} {
		if err := s.Send(context.Background(), m); err == nil {
			t.Fatalf("accepted %+v", m)
		}
	}
}
