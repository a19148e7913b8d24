// Package e2e holds the real-browser tests: each test starts the portal on a
// loopback port with a fresh demo database and drives Debian's headless
// Chromium through chromedp. The accessibility tests inject axe-core from
// node_modules (installed by `npm ci`, which scripts/test.sh runs).
//
// Set PORTAL_CHROMIUM to choose the browser binary. Without a browser (or
// without axe-core) the tests skip, unless PORTAL_REQUIRE_BROWSER=1, as in
// CI, makes them fail instead.
package e2e
