package e2e

import "github.com/chromedp/chromedp"

// The admin area's pages join the accessibility check (TestAccessibility):
// each in four languages, with forms in their error and confirmation states.
func init() {
	a11yPages = append(a11yPages,
		a11yPage{name: "admin-home", path: "/admin", status: 200, as: "coordinator"},
		a11yPage{name: "admin-groups", path: "/admin/groups", status: 200, as: "coordinator"},
		a11yPage{name: "admin-group-new", path: "/admin/groups/new", status: 200, as: "coordinator"},
		a11yPage{name: "admin-group-errors", status: 400, as: "coordinator", reach: submitEmptyGroup},
		a11yPage{name: "admin-group-edit", path: "/admin/groups/national-buyers", status: 200, as: "coordinator"},
		a11yPage{name: "admin-group-confirm", status: 200, as: "coordinator", reach: changeGroupVisibility},
		a11yPage{name: "admin-categories", path: "/admin/categories", status: 200, as: "coordinator"},
		a11yPage{name: "admin-category-errors", status: 400, as: "coordinator", reach: submitEmptyCategory},
		a11yPage{name: "admin-category-edit", status: 200, as: "coordinator", reach: firstAdminCategory},
		a11yPage{name: "admin-settings", path: "/admin/settings", status: 200, as: "coordinator"},
		a11yPage{name: "conduct", path: "/conduct", status: 200},
		a11yPage{name: "admin-settings-errors", status: 400, as: "coordinator", reach: submitBadSettings},
	)
}

// inLanguage makes lang the member's language, which decides the language
// of a form re-rendered after a POST.
func inLanguage(tb *tab, path, lang string) {
	tb.open(path)
	chooseLanguage(tb, lang) // applied as soon as it is picked
}

// submitEmptyGroup sends the new-group form without a name.
func submitEmptyGroup(tb *tab, lang string) int64 {
	inLanguage(tb, "/admin/groups/new", lang)
	return tb.click(`form[action="/admin/groups"] button[type=submit]`)
}

// changeGroupVisibility picks another visibility on a group's form and
// saves, which brings the form back with the confirmation (nothing saved).
func changeGroupVisibility(tb *tab, lang string) int64 {
	inLanguage(tb, "/admin/groups/national-buyers", lang)
	tb.run(chromedp.Click(chromedp.CSS("#g-visibility-public")))
	return tb.click(`form[action="/admin/groups/national-buyers"] button[type=submit]`)
}

// submitEmptyCategory sends the new-category form without a name.
func submitEmptyCategory(tb *tab, lang string) int64 {
	inLanguage(tb, "/admin/categories", lang)
	return tb.click(`form[action="/admin/categories"] button[type=submit]`)
}

// firstAdminCategory follows the first category link of the admin list.
func firstAdminCategory(tb *tab, lang string) int64 {
	tb.open(withLang("/admin/categories", lang))
	href := evalJS[string](tb, `document.querySelector("table a[href^='/admin/categories/']").getAttribute("href")`)
	return tb.open(withLang(href, lang))
}

// submitBadSettings sends the portal's words with a contact that is not an
// e-mail address (nothing is saved).
func submitBadSettings(tb *tab, lang string) int64 {
	inLanguage(tb, "/admin/settings", lang)
	tb.run(chromedp.SetValue(chromedp.CSS("#s-contact"), "not an address"))
	return tb.click(`form[action="/admin/settings"] button[type=submit]`)
}
