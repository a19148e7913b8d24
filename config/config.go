// Package config loads the portal's settings once, from PORTAL_* environment
// variables (with *_FILE variants for secrets), and validates them with
// messages that name the variable at fault.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Mode is how the portal runs: production (serve) or the loopback demo.
type Mode string

const (
	ModeServe Mode = "serve"
	ModeDemo  Mode = "demo"
	// ModeCLI is for administrative commands: only database settings matter.
	ModeCLI Mode = "cli"
)

// Config holds every setting. Fields are filled by Load and checked by Validate.
type Config struct {
	Mode Mode

	Addr    string // PORTAL_ADDR
	BaseURL string // PORTAL_BASE_URL
	DataDir string // PORTAL_DATA_DIR
	// SearchDir is the search index's directory (PORTAL_SEARCH_DIR); empty
	// is DataDir/search. Each server keeps its own index.
	SearchDir string
	// SearchShards is PORTAL_SEARCH_SHARDS: how many parts the search
	// index is split into, searched at once; 0 keeps the count of the
	// index on disk (search.DefaultShards for a new one).
	SearchShards int
	// MongoURI is MONGODB_URI; empty selects the embedded database.
	MongoURI string
	// SessionKey signs CSRF tokens; at least 32 bytes.
	SessionKey []byte

	SessionTTL     time.Duration // PORTAL_SESSION_TTL
	SessionIdle    time.Duration // PORTAL_SESSION_IDLE
	BodyMaxBytes   int           // PORTAL_BODY_MAX_BYTES: forms and JSON
	UploadMaxBytes int           // PORTAL_UPLOAD_MAX_BYTES: file uploads
	// ClamAVSocket is clamd's unix socket; when set, uploads are scanned.
	ClamAVSocket string // PORTAL_CLAMAV_SOCKET
	RateLimit    int    // PORTAL_RATE_LIMIT: requests per minute per client
	// TrustedProxies lists proxy addresses whose X-Forwarded-For is believed.
	TrustedProxies []string // PORTAL_TRUSTED_PROXIES
	LogLevel       string   // PORTAL_LOG_LEVEL
	// NATSURL shares live workshop rooms between servers; empty keeps
	// them in this process.
	NATSURL string // PORTAL_NATS_URL
	// Instance names this replica in an X-Portal-Instance response header,
	// so a test or an operator behind a balancing proxy can tell replicas
	// apart; empty (the default) sends no header.
	Instance string // PORTAL_INSTANCE
	// PprofAddr serves Go's profiler on a loopback address; empty (the
	// default) serves none. Profiles show code paths and timings, so they
	// never leave the machine.
	PprofAddr     string // PORTAL_PPROF_ADDR
	ShutdownGrace time.Duration
	// MailRetryFor is how long the outbox retries a message before it
	// marks it failed (PORTAL_MAIL_RETRY_FOR).
	MailRetryFor time.Duration
	// TimeZone is the IANA zone for times written without a browser
	// (e-mails, calendars) to members who chose none (PORTAL_TIME_ZONE).
	TimeZone string
	// Providers are the external sign-in providers (providers.go).
	Providers Providers
	// SMTP configures outgoing e-mail (smtp.go).
	SMTP SMTP
	// Backup configures scheduled backups (backup.go).
	Backup Backup
}

// Env looks a variable up; os.LookupEnv in production, a map in tests.
type Env func(string) (string, bool)

// Load reads the configuration for mode from env. It returns the first
// problem as an error whose text names the variable.
func Load(mode Mode, env Env) (*Config, error) {
	c := &Config{
		Mode:           mode,
		Addr:           ":8080",
		DataDir:        "./data",
		SessionTTL:     14 * 24 * time.Hour,
		SessionIdle:    8 * time.Hour,
		BodyMaxBytes:   1 << 20,
		UploadMaxBytes: 100 << 20,
		RateLimit:      600,
		LogLevel:       "info",
		ShutdownGrace:  20 * time.Second,
		MailRetryFor:   48 * time.Hour,
		TimeZone:       "UTC",
	}
	if mode == ModeDemo {
		c.Addr = "127.0.0.1:8080"
		// A visitor trying the demo wants the address, not access logs.
		c.LogLevel = "warn"
	}
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }
	if v := get("PORTAL_TIME_ZONE"); v != "" {
		c.TimeZone = v
	}
	if v := get("PORTAL_ADDR"); v != "" {
		c.Addr = v
		if mode == ModeDemo && strings.HasPrefix(v, ":") {
			// In the demo a bare port keeps the loopback host.
			c.Addr = "127.0.0.1" + v
		}
	}
	c.BaseURL = get("PORTAL_BASE_URL")
	if v := get("PORTAL_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.SearchDir = get("PORTAL_SEARCH_DIR")
	c.MongoURI = get("MONGODB_URI")
	c.ClamAVSocket = get("PORTAL_CLAMAV_SOCKET")
	c.NATSURL = get("PORTAL_NATS_URL")
	c.Instance = get("PORTAL_INSTANCE")
	c.PprofAddr = get("PORTAL_PPROF_ADDR")
	c.LogLevel = strings.ToLower(firstNonEmpty(get("PORTAL_LOG_LEVEL"), c.LogLevel))

	key, err := secret(env, "PORTAL_SESSION_KEY")
	if err != nil {
		return nil, err
	}
	if key != "" {
		c.SessionKey = decodeKey(key)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"PORTAL_SESSION_TTL", &c.SessionTTL}, {"PORTAL_SESSION_IDLE", &c.SessionIdle}, {"PORTAL_SHUTDOWN_GRACE", &c.ShutdownGrace}, {"PORTAL_MAIL_RETRY_FOR", &c.MailRetryFor}} {
		if v := get(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
				return nil, fmt.Errorf("%s: %q is not a positive duration such as 336h or 30s", d.name, v)
			}
		}
	}
	if c.SessionIdle > c.SessionTTL {
		return nil, fmt.Errorf("PORTAL_SESSION_IDLE: %s is longer than PORTAL_SESSION_TTL (%s); use at most the session lifetime", c.SessionIdle, c.SessionTTL)
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"PORTAL_BODY_MAX_BYTES", &c.BodyMaxBytes}, {"PORTAL_UPLOAD_MAX_BYTES", &c.UploadMaxBytes}, {"PORTAL_RATE_LIMIT", &c.RateLimit}, {"PORTAL_SEARCH_SHARDS", &c.SearchShards}} {
		if v := get(n.name); v != "" {
			if *n.dst, err = strconv.Atoi(v); err != nil || *n.dst <= 0 {
				return nil, fmt.Errorf("%s: %q is not a positive whole number", n.name, v)
			}
		}
	}
	// search.MaxShards (config imports no package of the portal).
	if c.SearchShards > 64 {
		return nil, fmt.Errorf("PORTAL_SEARCH_SHARDS: %d is more than 64; use about one per core", c.SearchShards)
	}
	if v := get("PORTAL_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if ip := net.ParseIP(p); ip != nil {
				p = ip.String() // canonical form, as the server compares it
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.Providers, err = loadProviders(mode, env); err != nil {
		return nil, err
	}
	if c.SMTP, err = loadSMTP(env); err != nil {
		return nil, err
	}
	if c.Backup, err = loadBackup(env, c.DataDir); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// Validate checks the whole configuration and names the first bad variable.
func (c *Config) Validate() error {
	if c.Mode == ModeCLI {
		return c.validateDatabase()
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("PORTAL_ADDR: %q is not host:port (for example :8080 or 127.0.0.1:8080)", c.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("PORTAL_ADDR: %q has no valid port", c.Addr)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" || c.TimeZone == "Local" {
		return fmt.Errorf("PORTAL_TIME_ZONE: %q is not an IANA time zone name (for example Europe/Brussels or UTC)", c.TimeZone)
	}
	if c.Mode == ModeDemo && c.MongoURI != "" {
		return fmt.Errorf("MONGODB_URI: the demo seeds fictional members, including an administrator, so it only runs on its own embedded database; unset MONGODB_URI")
	}
	if c.Mode == ModeDemo && !isLoopback(host) {
		return fmt.Errorf("PORTAL_ADDR: the demo only listens on loopback (127.0.0.1, ::1 or localhost), not %q", host)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("PORTAL_BASE_URL: %q must be an absolute http(s) URL without path, such as https://portal.example.org", c.BaseURL)
		}
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
		if c.Mode == ModeServe && u.Scheme != "https" && !isLoopback(u.Hostname()) {
			return fmt.Errorf("PORTAL_BASE_URL: %q must use https outside loopback, so that cookies are sent only over TLS", c.BaseURL)
		}
	}
	if c.Mode == ModeServe {
		if c.BaseURL == "" {
			return fmt.Errorf("PORTAL_BASE_URL: missing; set the portal's public URL, such as https://portal.example.org")
		}
		if len(c.SessionKey) == 0 {
			return fmt.Errorf("PORTAL_SESSION_KEY: missing; set it (or PORTAL_SESSION_KEY_FILE) to 32 or more random bytes, for example the output of `openssl rand -hex 32`")
		}
	}
	if len(c.SessionKey) > 0 && len(c.SessionKey) < 32 {
		return fmt.Errorf("PORTAL_SESSION_KEY: too short (%d bytes); use at least 32 random bytes", len(c.SessionKey))
	}
	if err := c.validateDatabase(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("PORTAL_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.UploadMaxBytes < c.BodyMaxBytes {
		return fmt.Errorf("PORTAL_UPLOAD_MAX_BYTES: must not be smaller than PORTAL_BODY_MAX_BYTES (%d)", c.BodyMaxBytes)
	}
	if c.NATSURL != "" {
		for _, u := range strings.Split(c.NATSURL, ",") {
			if pu, err := url.Parse(strings.TrimSpace(u)); err != nil || (pu.Scheme != "nats" && pu.Scheme != "tls") || pu.Host == "" {
				return fmt.Errorf("PORTAL_NATS_URL: %q is not a nats:// or tls:// URL (several may be separated by commas)", c.NATSURL)
			}
		}
	}
	if !validInstance(c.Instance) {
		return fmt.Errorf("PORTAL_INSTANCE: %q must be at most 64 letters, digits, dots, hyphens or underscores, such as portal-a", c.Instance)
	}
	if c.PprofAddr != "" {
		if h, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !isLoopback(h) {
			return fmt.Errorf("PORTAL_PPROF_ADDR: %q must be a loopback host:port such as 127.0.0.1:6060; the profiler is never served on other interfaces", c.PprofAddr)
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("PORTAL_TRUSTED_PROXIES: %q is not an IP address or CIDR range", p)
			}
		}
	}
	return nil
}

func (c *Config) validateDatabase() error {
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		return fmt.Errorf("MONGODB_URI: must start with mongodb:// or mongodb+srv://")
	}
	return nil
}

// Secure reports whether cookies must carry the Secure flag and HSTS be sent.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// secret reads NAME or the file named by NAME_FILE; setting both is an error.
func secret(env Env, name string) (string, error) {
	v, hasV := env(name)
	f, hasF := env(name + "_FILE")
	if hasV && v != "" && hasF && f != "" {
		return "", fmt.Errorf("%s: set either %s or %s_FILE, not both", name, name, name)
	}
	if hasF && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: cannot read %q: %v", name, f, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(v), nil
}

// decodeKey accepts hex or base64 (the usual outputs of key generators) when
// they decode to a full-length key; anything else is taken as raw bytes.
func decodeKey(s string) []byte {
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if b, err := dec(s); err == nil && len(b) >= 32 {
			return b
		}
	}
	return []byte(s)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// validInstance keeps the name safe to send as a header value.
func validInstance(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// SearchIndexDir is where the search index lives: PORTAL_SEARCH_DIR, else
// the search directory inside the data directory.
func (c *Config) SearchIndexDir() string {
	if c.SearchDir != "" {
		return c.SearchDir
	}
	return filepath.Join(c.DataDir, "search")
}
