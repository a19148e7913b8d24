package server

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// formValue reads a field from the request body only (URL-encoded or
// multipart). Fiber's c.FormValue looks at the query string first, which
// would let a crafted link override what the member posted.
func formValue(c *fiber.Ctx, name string) string {
	if v := formValues(c, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// formValues returns every value of a repeated form field (checkboxes).
func formValues(c *fiber.Ctx, name string) []string {
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil && mf != nil {
			return mf.Value[name]
		}
		return nil
	}
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

// Option is one choice in a select or checkbox group.
type Option struct {
	Value, Label string
	Selected     bool
}

// countryCodes offered in profile forms: the EU and EEA, European
// neighbours, and the other countries whose buyers take part.
var countryCodes = strings.Fields(`AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE
	IS LI NO CH GB UA MD RS ME MK AL BA XK TR GE AM AU CA NZ US JP KR BR CL MX ZA KE GH NG IN ID PH`)

// languageCodes offered: the EU's official languages plus a few more.
var languageCodes = strings.Fields(`bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv no is uk ca eu gl lb`)

func validCountry(code string) bool {
	for _, c := range countryCodes {
		if c == code {
			return true
		}
	}
	return false
}

func validLanguage(code string) bool {
	for _, l := range languageCodes {
		if l == code {
			return true
		}
	}
	return false
}

// countryOptions lists countries by their name in the page language.
func countryOptions(lang, selected string) []Option {
	names := display.Regions(language.Make(lang))
	out := make([]Option, 0, len(countryCodes))
	for _, code := range countryCodes {
		label := code
		if r, err := language.ParseRegion(code); err == nil && names.Name(r) != "" {
			label = names.Name(r)
		}
		out = append(out, Option{Value: code, Label: label, Selected: code == selected})
	}
	sortOptions(out)
	return out
}

// languageOptions lists languages by their name in the page language.
func languageOptions(lang string, selected []string) []Option {
	names := display.Languages(language.Make(lang))
	sel := map[string]bool{}
	for _, s := range selected {
		sel[s] = true
	}
	out := make([]Option, 0, len(languageCodes))
	for _, code := range languageCodes {
		label := code
		if n := names.Name(language.Make(code)); n != "" {
			label = n
		}
		out = append(out, Option{Value: code, Label: label, Selected: sel[code]})
	}
	sortOptions(out)
	return out
}

func sortOptions(o []Option) {
	sort.SliceStable(o, func(i, j int) bool { return strings.ToLower(o[i].Label) < strings.ToLower(o[j].Label) })
}
