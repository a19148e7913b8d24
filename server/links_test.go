package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/circularfairict/portal/auth"
)

// pageTargets returns the same-origin links (a[href]) and form actions
// (form[action], with their method) of an HTML page, resolved against the
// page's path.
func pageTargets(t *testing.T, page, body string) (links []string, forms [][2]string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	base, _ := url.Parse(page)
	local := func(ref string) (string, bool) {
		u, err := base.Parse(ref)
		if err != nil || (u.Host != "" && u.Host != base.Host) || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
			return "", false
		}
		if strings.HasPrefix(u.Path, "/static/") {
			return "", false
		}
		p := u.Path
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		return p, true
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "a":
				if href, ok := attr["href"]; ok && !strings.HasPrefix(href, "#") {
					if p, ok := local(href); ok {
						links = append(links, p)
					}
				}
			case "form":
				if action, ok := attr["action"]; ok {
					if p, ok := local(action); ok {
						method := strings.ToUpper(attr["method"])
						if method == "" {
							method = http.MethodGet
						}
						forms = append(forms, [2]string{method, p})
					}
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return links, forms
}

// matchRoute finds the route pattern a concrete path answers to.
func matchRoute(routes []Route, method, path string) (Route, bool) {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best Route
	found := false
	for _, r := range routes {
		if r.Method != method {
			continue
		}
		ps := strings.Split(strings.Trim(r.Path, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		ok, params := true, 0
		for i, p := range ps {
			switch {
			case strings.HasPrefix(p, ":"):
				params++
			case p != segs[i] && !(strings.HasSuffix(p, ".ics") && strings.HasSuffix(segs[i], ".ics")):
				ok = false
			}
		}
		// A literal segment wins over a parameter (/profile/sessions/others/end
		// over /profile/sessions/:id/end), as in the router.
		if ok && (!found || params < strings.Count(best.Path, ":")) {
			best, found = r, true
		}
	}
	return best, found
}

// routeAllows is the route-level rule of guard (access.go) for a caller
// with a browser session.
func routeAllows(a Access, m *auth.Member) bool {
	switch a {
	case SignedIn:
		return m != nil
	case Approved:
		return auth.CanUsePortal(m)
	case Admin:
		return auth.CanAdminister(m)
	}
	return true
}

// Every link and form rendered for each of the seven callers of the access
// matrix leads to a route that caller may use. The pages are discovered by
// following links from the home page (and the matrix's own objects), as the
// caller would. A link is followed as that caller, as the matrix calls
// routes, and must not answer 401 or 403. A form is not sent (it would
// change things, and its rights depend on its fields), so its action must
// pass the route's access level; the handlers' object rights behind forms
// are the matrix's and the class tests' business.
func TestLinksLeadWhereTheCallerMayGo(t *testing.T) {
	s, callers, matrix := newMatrix(t)
	routes := s.Routes()
	seeds := []string{"/", "/discussions", "/library", "/workshops", "/groups", "/profile"}
	for key, mc := range matrix {
		method, pattern, _ := strings.Cut(key, " ")
		if method == http.MethodGet && !strings.HasPrefix(pattern, "/api/") && !strings.Contains(pattern, "/feed") &&
			!strings.HasSuffix(pattern, ".csv") && !strings.HasSuffix(pattern, ".ics") && !strings.HasPrefix(pattern, "/auth/") && !strings.HasPrefix(mc.path, "/discussions/live") {
			seeds = append(seeds, mc.path)
		}
	}
	sort.Strings(seeds[6:])
	const maxPages = 70
	for _, role := range matrixRoles {
		t.Run(role, func(t *testing.T) {
			m := callers[role]
			c := newClient(t, s)
			if m != nil {
				c.signInAs(m.ID)
			}
			status := map[string]int{}
			fetch := func(p string) (int, string) {
				req := httptest.NewRequest(http.MethodGet, p, nil)
				req.Header.Set("Accept", "application/json")
				res, body := c.do(req)
				status[p] = res.StatusCode
				return res.StatusCode, body
			}
			var bad []string
			seen := map[string]bool{}
			queue := append([]string(nil), seeds...)
			pages := 0
			for len(queue) > 0 && pages < maxPages {
				page := queue[0]
				queue = queue[1:]
				if seen[page] {
					continue
				}
				seen[page] = true
				res, body := c.get(page)
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					continue
				}
				pages++
				links, forms := pageTargets(t, page, body)
				for _, l := range links {
					r, ok := matchRoute(routes, http.MethodGet, l)
					if !ok || r.Probe || strings.HasPrefix(l, "/auth/") {
						continue
					}
					st, known := status[l]
					if !known {
						st, _ = fetch(l)
					}
					if st == http.StatusUnauthorized || st == http.StatusForbidden {
						bad = append(bad, page+" links to "+l+" ("+http.StatusText(st)+")")
					}
					if !seen[l] {
						queue = append(queue, l)
					}
				}
				for _, f := range forms {
					method, action := f[0], f[1]
					r, ok := matchRoute(routes, method, action)
					if !ok {
						bad = append(bad, page+" has a form to "+method+" "+action+", which no route answers")
						continue
					}
					if !routeAllows(r.Access, m) {
						bad = append(bad, page+" has a form to "+method+" "+action+" ("+string(r.Access)+" only)")
						continue
					}
				}
			}
			sort.Strings(bad)
			bad = compactStrings(bad)
			if len(bad) > 0 {
				t.Errorf("%s sees %d links or forms it may not use:\n%s", role, len(bad), strings.Join(bad, "\n"))
			}
			t.Logf("%s: %d pages, %d addresses checked", role, pages, len(status))
		})
	}
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
