package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/config"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/frontend"
	"github.com/circularfairict/portal/mail"
	"github.com/circularfairict/portal/site"
)

// pageSet holds every page template parsed once at start-up: the layout
// cloned with each page's "content".
type pageSet struct {
	pages map[string]*template.Template
}

func parsePages(fsys fs.FS, assets *frontend.Assets) (*pageSet, error) {
	funcs := template.FuncMap{
		"asset": assets.URL,
		// threadList passes the page and thread rows to the "threadlist" partial.
		"threadList":  func(p *Page, rows []threadRow) threadListCtx { return threadListCtx{P: p, Rows: rows} },
		"postCtx":     func(p *Page, v *postView) postCtx { return postCtx{P: p, V: v} },
		"flagReasons": func() []string { return forum.FlagReasons },
		"composerCtx": func(p *Page, f *postForm) composerCtx { return composerCtx{P: p, F: f} },
		"reactCtx":    func(p *Page, r reactionView) reactCtx { return reactCtx{P: p, R: r} },
		"homeCtx":     func(p *Page, h *memberHome) homeCtx { return homeCtx{P: p, H: h} },
		"previewCtx":  func(p *Page, v *postPreview, h int) previewCtx { return previewCtx{P: p, V: v, H: h} },
		// mailRow passes the page and one queued message to "mailactions".
		"mailRow": func(p *Page, m mail.Queued) mailRowCtx { return mailRowCtx{P: p, M: m} },
		// part passes the page and one value to a result partial
		// ("resource-result", "discussion-hit", "workshop-item", "member-table").
		"part": func(p *Page, v any) partCtx { return partCtx{P: p, V: v} },
		"list": func(xs ...string) []string { return xs },
		// timeZones are the zones the profile's time zone field suggests;
		// any other IANA name is accepted too.
		"timeZones": func() []string { return commonTimeZones },
		// vocab names the taxonomy vocabulary behind a form field.
		"vocab": func(field string) string {
			return map[string]string{"languages": "language", "stages": "stage", "products": "product", "themes": "theme", "frameworks": "framework"}[field]
		},
		"add": func(a, b int) int { return a + b },
		"sub": func(a, b int) int { return a - b },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("server: templates: %w", err)
	}
	// Files named partial_*.html hold partials shared by several pages.
	if partials, _ := fs.Glob(fsys, "partial_*.html"); len(partials) > 0 {
		if layout, err = layout.ParseFS(fsys, partials...); err != nil {
			return nil, fmt.Errorf("server: templates: %w", err)
		}
	}
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, fmt.Errorf("server: templates: %w", err)
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, n := range names {
		if n == "layout.html" || strings.HasPrefix(n, "partial_") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("server: template %s: %w", n, err)
		}
		ps.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return ps, nil
}

// LangChoice is one entry of the language switcher.
type LangChoice struct {
	Code, Name string
	Current    bool
}

// Page is what every template receives.
type Page struct {
	Title   string
	Section string // highlights the navigation entry
	Data    any

	Lang        string
	Member      *auth.Member
	CSRF        string
	Path        string
	Flash       string
	Demo        bool
	ShowAdmin   bool // reviewers see the administration link
	Bell        int  // unread discussion notifications
	Version     string
	LangChoices []LangChoice
	// The community's own words (site settings), else the built-in ones.
	SiteName, SiteShort, SiteTagline, Contact string
	// Logo is the address of the community's logo, or "" for the built-in icon.
	Logo string
	// AdminNav holds the admin area's sections, on its pages.
	AdminNav []adminLink

	catalog *frontend.Catalog
}

// T translates a message key into the page's language.
func (p *Page) T(key string, args ...any) string {
	if len(args) == 1 {
		if a, ok := args[0].([]any); ok { // arguments passed on as one slice
			args = a
		}
	}
	return p.catalog.T(p.Lang, key, args...)
}

// Country names an ISO 3166 country code in the page's language.
func (p *Page) Country(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.Regions(language.Make(p.Lang)).Name(r); n != "" {
		return n
	}
	return code
}

// Bytes formats a file size for people (decimal units, as file managers show).
func (p *Page) Bytes(n int64) string {
	switch {
	case n >= 1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// LanguageName names a language code in the page's language.
func (p *Page) LanguageName(code string) string {
	if n := display.Languages(language.Make(p.Lang)).Name(language.Make(code)); n != "" {
		return n
	}
	return code
}

// CanUsePortal and CanListMembers let templates show a link only to
// callers the route behind it lets through: they are the policy functions
// the routes and handlers check, so links cannot drift from rights.
func (p *Page) CanUsePortal() bool { return auth.CanUsePortal(p.Member) }

// Pending reports a member whose membership awaits approval: every page
// they land on says so and what happens next.
func (p *Page) Pending() bool { return p.Member != nil && p.Member.Status == auth.StatusPending }

// CanListMembers: see CanUsePortal.
func (p *Page) CanListMembers() bool { return auth.CanListMembers(p.Member) }

// Date shows the calendar date of a moment as a <time> element: the
// browser writes it in the member's zone and the locale's words
// (portal.js localTimes); the ISO date stays for pages read without
// scripts. Every date a page shows goes through Date, When, TDate or
// TWhen, so none is printed in the server's zone (TestNoRawTimes).
func (p *Page) Date(t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	return timeTag(t, "2006-01-02", true)
}

// When shows a moment (date and time) as a <time> element; see Date.
func (p *Page) When(t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	return timeTag(t, "2006-01-02 15:04 UTC", false)
}

// TDate translates a message whose first argument {0} is a date, shown as
// Date shows it; the message's own text is escaped.
func (p *Page) TDate(key string, t time.Time, args ...any) template.HTML {
	return p.tWithTime(p.Date(t), key, args...)
}

// TWhen is TDate for a moment (date and time).
func (p *Page) TWhen(key string, t time.Time, args ...any) template.HTML {
	return p.tWithTime(p.When(t), key, args...)
}

// timeSlot stands for the <time> element while the message is translated
// and escaped; no catalog text contains it.
const timeSlot = "\u27e6time\u27e7"

func (p *Page) tWithTime(tag template.HTML, key string, args ...any) template.HTML {
	msg := template.HTMLEscapeString(p.T(key, append([]any{timeSlot}, args...)...))
	return template.HTML(strings.Replace(msg, timeSlot, string(tag), 1)) // #nosec G203 -- the message is escaped; tag is built by timeTag
}

func timeTag(t time.Time, fallback string, day bool) template.HTML {
	// A moment names its zone too: room.js formats time.local-time so.
	attr := ` class="local-time"`
	if day {
		attr = " data-local-date"
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `"` + attr + `>` + u.Format(fallback) + `</time>`) // #nosec G203 -- only formatted digits
}

// newPage fills the common fields from the request.
func (s *Server) newPage(c *fiber.Ctx, title, section string, data any) *Page {
	lang := s.lang(c)
	p := &Page{
		Title: title, Section: section, Data: data,
		Lang: lang, Member: currentMember(c), CSRF: s.csrfToken(c), Path: c.Path(),
		Demo: s.cfg.Mode == config.ModeDemo, Version: s.version, catalog: s.catalog,
	}
	if m := p.Member; m != nil && m.Approved() {
		if n, err := s.forum.UnreadNotifications(c.UserContext(), m.ID); err == nil {
			p.Bell = n
		}
		if admin, err := s.usesAdminPages(c, m); err == nil {
			p.ShowAdmin = admin
		}
	}
	st := s.siteSettings(c)
	p.SiteName, p.SiteShort = p.T("site.name"), p.T("site.short")
	if n := site.In(st.Names, lang, frontend.Languages); n != "" {
		p.SiteName, p.SiteShort = n, n
	}
	p.SiteTagline = firstOf(site.In(st.Taglines, lang, nil), p.T("site.tagline"))
	p.Contact = st.Contact
	p.Logo = st.Logo.Path()
	for _, l := range frontend.Languages {
		if st.Offers(l) {
			p.LangChoices = append(p.LangChoices, LangChoice{Code: l, Name: frontend.LanguageNames[l], Current: l == lang})
		}
	}
	if q := c.Query("flash"); q != "" && s.catalog.Has("flash."+q) {
		p.Flash = s.catalog.T(lang, "flash."+q)
	}
	if key := c.Cookies(flashCookie); key != "" {
		if strings.HasPrefix(key, "flash.") && s.catalog.Has(key) {
			p.Flash = s.catalog.T(lang, key)
		}
		s.setPrefCookie(c, flashCookie, "", -1)
	}
	return p
}

// render executes a page template with the given status.
func (s *Server) render(c *fiber.Ctx, status int, name string, p *Page) error {
	t, ok := s.pages.pages[name]
	if !ok {
		return fmt.Errorf("server: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("server: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentLanguage, p.Lang)
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	return c.Status(status).Send(buf.Bytes())
}

const (
	flashCookie = "portal_flash"
	langCookie  = "portal_lang"
)

// redirectWithFlash ends a successful POST (Post/Redirect/Get).
func (s *Server) redirectWithFlash(c *fiber.Ctx, to, flashKey string) error {
	if flashKey != "" {
		s.setPrefCookie(c, flashCookie, flashKey, 5*time.Minute)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// lang picks the UI language: ?lang= for this request, then the member's
// saved choice, then the language cookie, then Accept-Language.
func (s *Server) lang(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	l := ""
	for _, cand := range []string{c.Query("lang"), memberLocale(currentMember(c)), c.Cookies(langCookie)} {
		if frontend.Supported(cand) {
			l = cand
			break
		}
	}
	if l == "" {
		l = s.catalog.Negotiate(c.Get(fiber.HeaderAcceptLanguage))
	}
	if st := s.siteSettings(c); !st.Offers(l) { // the administrators turned it off
		l = st.Languages[0]
	}
	c.Locals(localLang, l)
	return l
}

func memberLocale(m *auth.Member) string {
	if m == nil {
		return ""
	}
	return m.Locale
}

// T translates for the request's language (handlers use it for JSON errors).
func (s *Server) T(c *fiber.Ctx, key string, args ...any) string {
	return s.catalog.T(s.lang(c), key, args...)
}

// localPath is the one gate every return address ("next" after sign-in, the
// language switch, demo sign-in) passes before it becomes a Location header:
// it returns next when a browser resolving it against the portal's origin
// stays on that origin, and "/" otherwise.
//
// Browsers are lenient where a check on the raw string is not: they drop tabs
// and newlines anywhere in a URL, read a backslash as a slash and take
// "//host" as another site, so "/\t/evil.example" is "//evil.example" to
// them. Rather than model every leniency, only plain references are
// accepted: printable ASCII, one leading slash, no backslash, and the same
// again after percent-decoding (a proxy or a later redirect may decode), with
// no dot segments. Legitimate return addresses are paths the portal itself
// produced, which always pass.
func localPath(next string) string {
	if !sameOriginPath(next) {
		return "/"
	}
	return next
}

func sameOriginPath(next string) bool {
	if len(next) > 2048 || !plainReference(next, false) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// Decode until nothing changes, so double encoding ("%252F") hides
	// nothing; a bound keeps hostile input from looping long.
	pth, query := next, ""
	if i := strings.IndexAny(next, "?#"); i >= 0 {
		pth, query = next[:i], next[i:]
	}
	for range 4 {
		p, err1 := url.PathUnescape(pth)
		q, err2 := url.PathUnescape(query)
		if err1 != nil || err2 != nil {
			return false
		}
		if !plainReference(p, false) || !plainReference(q, true) {
			return false
		}
		if p == pth && q == query {
			return !dotSegment(p)
		}
		pth, query = p, q
	}
	return false
}

// plainReference: printable ASCII without backslash; a path must also start
// with exactly one slash. A decoded query or fragment may hold spaces
// ("?q=circular%20ict"): they cannot reach the origin part of the URL.
func plainReference(s string, queryPart bool) bool {
	if !queryPart && (!strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == '\\' || b > '~' || b < ' ' || (b == ' ' && !queryPart) {
			return false
		}
	}
	return true
}

func dotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// renderFragment executes one named template of a page (no layout), for
// pieces that scripts insert into an open page.
func (s *Server) renderFragment(c *fiber.Ctx, page, name string, data any) error {
	t, ok := s.pages.pages[page]
	if !ok {
		return fmt.Errorf("server: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("server: render %s/%s: %w", page, name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(buf.Bytes())
}

type threadListCtx struct {
	P    *Page
	Rows []threadRow
}

// homeCtx passes the page and the member's own part to "member-home".
type homeCtx struct {
	P *Page
	H *memberHome
}

var commonTimeZones = []string{"UTC", "Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest",
	"Europe/Copenhagen", "Europe/Dublin", "Europe/Helsinki", "Europe/Lisbon", "Europe/London", "Europe/Luxembourg", "Europe/Madrid",
	"Europe/Oslo", "Europe/Paris", "Europe/Prague", "Europe/Riga", "Europe/Rome", "Europe/Sofia", "Europe/Stockholm", "Europe/Tallinn",
	"Europe/Vienna", "Europe/Vilnius", "Europe/Warsaw", "Europe/Zagreb", "Europe/Zurich", "America/Toronto", "America/Vancouver",
	"America/New_York", "America/Halifax", "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "Africa/Nairobi", "Asia/Singapore"}

// partCtx is a page and the value a partial renders.
type partCtx struct {
	P *Page
	V any
}

// reactCtx passes the page and one reaction to the "reaction-face" partial.
type reactCtx struct {
	P *Page
	R reactionView
}

type composerCtx struct {
	P *Page
	F *postForm
}
