package config

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
)

// SMTP configures outgoing e-mail; Host empty means no e-mail is sent.
type SMTP struct {
	Host, Port         string
	Username, Password string
	From               string
	TLS                string // starttls (default), tls, none
}

// Enabled reports whether e-mail is configured.
func (s SMTP) Enabled() bool { return s.Host != "" }

func loadSMTP(env Env) (SMTP, error) {
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }
	s := SMTP{Host: get("PORTAL_SMTP_HOST"), Port: get("PORTAL_SMTP_PORT"), Username: get("PORTAL_SMTP_USERNAME"),
		From: get("PORTAL_SMTP_FROM"), TLS: strings.ToLower(get("PORTAL_SMTP_TLS"))}
	pw, err := secret(env, "PORTAL_SMTP_PASSWORD")
	if err != nil {
		return s, err
	}
	s.Password = pw
	if s.Host == "" {
		for _, k := range []string{"PORTAL_SMTP_PORT", "PORTAL_SMTP_USERNAME", "PORTAL_SMTP_FROM"} {
			if get(k) != "" {
				return s, fmt.Errorf("PORTAL_SMTP_HOST: missing; %s is set, so e-mail needs a server", k)
			}
		}
		return s, nil
	}
	if s.TLS == "" {
		s.TLS = "starttls"
	}
	if s.TLS != "starttls" && s.TLS != "tls" && s.TLS != "none" {
		return s, fmt.Errorf("PORTAL_SMTP_TLS: %q is not one of starttls, tls, none", s.TLS)
	}
	if s.Port == "" {
		s.Port = map[string]string{"starttls": "587", "tls": "465", "none": "25"}[s.TLS]
	}
	if p, err := strconv.Atoi(s.Port); err != nil || p < 1 || p > 65535 {
		return s, fmt.Errorf("PORTAL_SMTP_PORT: %q is not a port number", s.Port)
	}
	if s.From == "" {
		return s, fmt.Errorf("PORTAL_SMTP_FROM: missing; set the sender address, such as \"Portal <portal@example.org>\"")
	}
	if _, err := mail.ParseAddress(s.From); err != nil || strings.ContainsAny(s.From, "\r\n") {
		return s, fmt.Errorf("PORTAL_SMTP_FROM: %q is not an e-mail address", s.From)
	}
	if (s.Username == "") != (s.Password == "") {
		return s, fmt.Errorf("PORTAL_SMTP_PASSWORD: set both PORTAL_SMTP_USERNAME and PORTAL_SMTP_PASSWORD, or neither")
	}
	return s, nil
}
