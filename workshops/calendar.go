package workshops

import (
	"strings"
	"time"
)

// ICS writes workshops as an iCalendar (RFC 5545) document. baseURL makes
// each event link to its page; name titles the calendar; zone, an IANA
// name, is the reader's zone, named for calendar programs that show a
// calendar in one zone (X-WR-TIMEZONE). Times stay in UTC, which every
// program reads without a VTIMEZONE definition.
func ICS(name, baseURL, zone string, ws []*Workshop, now time.Time) []byte {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s)); b.WriteString("\r\n") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Circular and Fair ICT//Portal//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText(name))
	if zone != "" {
		line("X-WR-TIMEZONE:" + escapeText(zone))
	}
	for _, w := range ws {
		u := baseURL + "/workshops/" + w.ID
		line("BEGIN:VEVENT")
		line("UID:" + w.ID + "@" + hostOf(baseURL))
		line("DTSTAMP:" + icsTime(now))
		line("DTSTART:" + icsTime(w.StartsAt))
		line("DTEND:" + icsTime(w.EndsAt))
		line("SUMMARY:" + escapeText(w.Title))
		desc := w.Description
		if w.VideoURL != "" {
			desc += "\n\n" + w.VideoURL
		}
		line("DESCRIPTION:" + escapeText(strings.TrimSpace(desc+"\n\n"+u)))
		line("URL:" + u)
		line("LOCATION:" + escapeText(u))
		line("LAST-MODIFIED:" + icsTime(w.UpdatedAt))
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func hostOf(base string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if h == "" {
		return "portal"
	}
	return h
}

// escapeText escapes a TEXT value: backslash, semicolon, comma, newline.
func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// fold splits a content line into lines of at most 75 octets, never inside
// a UTF-8 sequence; continuation lines start with a space.
func fold(s string) string {
	if len(s) <= 75 {
		return s
	}
	var b strings.Builder
	n := 0
	for i, r := range s {
		w := len(string(r))
		limit := 75
		if i > 0 && b.Len() > 75 {
			limit = 74 // continuation lines carry the leading space
		}
		if n+w > limit {
			b.WriteString("\r\n ")
			n = 0
		}
		b.WriteRune(r)
		n += w
	}
	return b.String()
}

// CSV-safe cell: a leading =, +, - or @ could run as a formula in a
// spreadsheet, so it is prefixed with an apostrophe.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
