// Package frontend holds what the browser sees: templates, static assets and
// the message catalogs, embedded into the binary.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed locales
var localeFS embed.FS

// Templates returns the page templates (*.html under templates/).
func Templates() fs.FS { sub, _ := fs.Sub(templateFS, "templates"); return sub }

// Static returns the static assets (css/, js/, img/).
func Static() fs.FS { sub, _ := fs.Sub(staticFS, "static"); return sub }

// Locales returns the message catalogs (one JSON file per language).
func Locales() fs.FS { sub, _ := fs.Sub(localeFS, "locales"); return sub }
