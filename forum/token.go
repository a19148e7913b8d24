package forum

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Unsubscribe scopes: all discussion e-mail, or one thread (muted).
const (
	ScopeEmail  = "email"
	ScopeThread = "thread"
)

// Signer makes and checks the unsubscribe tokens of e-mails: they work
// without signing in, so they are HMAC-signed, bound to one member and one
// scope, and unguessable without the server's key.
type Signer struct{ key []byte }

// NewSigner derives the unsubscribe key from the server's secret.
func NewSigner(secret []byte) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("forum-unsubscribe"))
	return &Signer{key: m.Sum(nil)}
}

// Token returns the token for member, scope and target ("" for ScopeEmail).
func (s *Signer) Token(memberID, scope, target string) string {
	payload := memberID + "." + scope + "." + target
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.mac(payload)
}

func (s *Signer) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify returns what a token stands for, or ok false.
func (s *Signer) Verify(token string) (memberID, scope, target string, ok bool) {
	enc, sig, found := strings.Cut(token, ".")
	if !found || len(token) > 300 {
		return "", "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.mac(string(raw)))) {
		return "", "", "", false
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || (parts[1] != ScopeEmail && parts[1] != ScopeThread) {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
