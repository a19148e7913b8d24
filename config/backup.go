package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Backup configures the server's scheduled backups (PORTAL_BACKUP_*).
type Backup struct {
	// Schedule is when backups run; the zero value runs none.
	Schedule Schedule // PORTAL_BACKUP_SCHEDULE
	// Dir receives the archives (PORTAL_BACKUP_DIR; default
	// <PORTAL_DATA_DIR>/backups).
	Dir string
	// Keep is how many archives the portal keeps, here and in S3
	// (PORTAL_BACKUP_KEEP; default 7).
	Keep int
	// S3 uploads each archive when its Endpoint is set.
	S3 S3
}

// S3 is an S3-compatible bucket (PORTAL_BACKUP_S3_*).
type S3 struct {
	Endpoint  string // host[:port] (from PORTAL_BACKUP_S3_ENDPOINT, an http:// or https:// URL)
	Secure    bool   // https
	Bucket    string
	Prefix    string // key prefix, e.g. "portal/"
	AccessKey string
	SecretKey string // PORTAL_BACKUP_S3_SECRET_KEY or _FILE
	Region    string
	PathStyle bool // PORTAL_BACKUP_S3_PATH_STYLE: bucket in the path, not the host name
}

// Enabled reports whether archives are uploaded.
func (s S3) Enabled() bool { return s.Endpoint != "" }

// Schedule is when scheduled backups run, in UTC: every day at a time of
// day ("daily 03:00") or at a fixed interval counted from the Unix epoch
// ("every 6h"), counted from midnight UTC of a fixed day, so that every
// replica computes the same slots.
type Schedule struct {
	Every time.Duration // interval; 24h for daily
	At    time.Duration // offset into each interval (daily: the time of day)
	Text  string        // as configured, for the admin page
}

// Enabled reports whether a schedule is set.
func (s Schedule) Enabled() bool { return s.Every > 0 }

// Next returns the first slot strictly after t.
func (s Schedule) Next(t time.Time) time.Time {
	t = t.UTC()
	base := t.Truncate(s.Every).Add(s.At)
	if !base.After(t) {
		base = base.Add(s.Every)
	}
	return base
}

// ParseSchedule reads "daily HH:MM" or "every DURATION" (at least 1m,
// in Go's duration syntax: 30m, 6h, 12h).
func ParseSchedule(v string) (Schedule, error) {
	f := strings.Fields(strings.ToLower(v))
	bad := fmt.Errorf("PORTAL_BACKUP_SCHEDULE: %q is neither \"daily HH:MM\" (UTC) nor \"every DURATION\" such as every 6h", v)
	if len(f) != 2 {
		return Schedule{}, bad
	}
	switch f[0] {
	case "daily":
		h, m, ok := strings.Cut(f[1], ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
			return Schedule{}, bad
		}
		return Schedule{Every: 24 * time.Hour, At: time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, Text: "daily " + f[1]}, nil
	case "every":
		d, err := time.ParseDuration(f[1])
		if err != nil || d < time.Minute || d > 7*24*time.Hour || d%time.Minute != 0 {
			return Schedule{}, bad
		}
		return Schedule{Every: d, Text: "every " + f[1]}, nil
	}
	return Schedule{}, bad
}

func loadBackup(env Env, dataDir string) (Backup, error) {
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }
	b := Backup{Dir: get("PORTAL_BACKUP_DIR"), Keep: 7}
	if b.Dir == "" {
		b.Dir = dataDir + "/backups"
	}
	var err error
	if v := get("PORTAL_BACKUP_SCHEDULE"); v != "" {
		if b.Schedule, err = ParseSchedule(v); err != nil {
			return b, err
		}
	}
	if v := get("PORTAL_BACKUP_KEEP"); v != "" {
		if b.Keep, err = strconv.Atoi(v); err != nil || b.Keep < 1 {
			return b, fmt.Errorf("PORTAL_BACKUP_KEEP: %q is not a whole number of archives, 1 or more", v)
		}
	}
	ep := get("PORTAL_BACKUP_S3_ENDPOINT")
	if ep == "" {
		return b, nil
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return b, fmt.Errorf("PORTAL_BACKUP_S3_ENDPOINT: %q is not an http:// or https:// URL without a path, such as https://s3.example.org", ep)
	}
	b.S3 = S3{Endpoint: u.Host, Secure: u.Scheme == "https", Bucket: get("PORTAL_BACKUP_S3_BUCKET"), Prefix: get("PORTAL_BACKUP_S3_PREFIX"),
		AccessKey: get("PORTAL_BACKUP_S3_ACCESS_KEY"), Region: get("PORTAL_BACKUP_S3_REGION")}
	if b.S3.SecretKey, err = secret(env, "PORTAL_BACKUP_S3_SECRET_KEY"); err != nil {
		return b, err
	}
	if v := get("PORTAL_BACKUP_S3_PATH_STYLE"); v != "" {
		if b.S3.PathStyle, err = strconv.ParseBool(v); err != nil {
			return b, fmt.Errorf("PORTAL_BACKUP_S3_PATH_STYLE: %q is not true or false", v)
		}
	}
	for _, req := range []struct{ name, v string }{{"PORTAL_BACKUP_S3_BUCKET", b.S3.Bucket}, {"PORTAL_BACKUP_S3_ACCESS_KEY", b.S3.AccessKey}, {"PORTAL_BACKUP_S3_SECRET_KEY", b.S3.SecretKey}} {
		if req.v == "" {
			return b, fmt.Errorf("%s: required when PORTAL_BACKUP_S3_ENDPOINT is set", req.name)
		}
	}
	return b, nil
}
