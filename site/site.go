// Package site holds the portal's own words and defaults, as its
// administrators set them: the community's name, short description and home
// page introduction per language, the contact address, the default licence
// of new library resources and the interface languages offered. Whatever is
// not set falls back to the built-in text of the message catalogs.
package site

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

const (
	colSettings = "site_settings"
	settingsID  = "site" // one document, read by _id on every page
)

// Limits of what administrators type.
const (
	MaxName    = 80
	MaxTagline = 300
	MaxIntro   = 2000
	MaxConduct = 10000
)

// Settings are the portal's own words and defaults.
type Settings struct {
	ID string `bson:"_id" json:"-"`
	// Names, Taglines and Intros by language code.
	Names    map[string]string `bson:"names,omitempty" json:"names,omitempty"`
	Taglines map[string]string `bson:"taglines,omitempty" json:"taglines,omitempty"`
	Intros   map[string]string `bson:"intros,omitempty" json:"intros,omitempty"`
	// Conducts is the code of conduct members accept, by language; each
	// change of its text is a new ConductVersion (0 is the built-in text),
	// which members accept at their next visit.
	Conducts       map[string]string `bson:"conducts,omitempty" json:"conducts,omitempty"`
	ConductVersion int               `bson:"conduct_version,omitempty" json:"conduct_version,omitempty"`
	Contact        string            `bson:"contact,omitempty" json:"contact,omitempty"`
	// DefaultLicence is a licence term of the library's taxonomy; empty is
	// the built-in default.
	DefaultLicence string `bson:"default_licence,omitempty" json:"default_licence,omitempty"`
	// Languages offered in the interface; empty offers all.
	Languages []string `bson:"languages,omitempty" json:"languages,omitempty"`
	// Logo is the community's logo in the header; nil shows the built-in
	// icon. The image itself is in its own document (see SaveLogo).
	Logo      *LogoRef  `bson:"logo,omitempty" json:"logo,omitempty"`
	UpdatedAt time.Time `bson:"updated_at,omitempty" json:"updated_at,omitempty"`
}

// In returns the text for lang from texts: that language's, else English,
// else any other set in the order of langs (callers pass langs for names,
// which read in any language, and nil for prose, where the built-in text in
// the reader's language serves better), else "" (the built-in text).
func In(texts map[string]string, lang string, langs []string) string {
	if t := texts[lang]; t != "" {
		return t
	}
	if t := texts["en"]; t != "" {
		return t
	}
	for _, l := range langs {
		if t := texts[l]; t != "" {
			return t
		}
	}
	return ""
}

// Offers reports whether the interface offers lang.
func (s *Settings) Offers(lang string) bool {
	return s == nil || len(s.Languages) == 0 || slices.Contains(s.Languages, lang)
}

// Validate checks the settings against the interface languages and the
// licences the library knows; errors name their field.
func (s *Settings) Validate(langs []string, licence func(string) bool) error {
	for _, m := range []struct {
		texts map[string]string
		field string
		max   int
	}{{s.Names, "name", MaxName}, {s.Taglines, "tagline", MaxTagline}, {s.Intros, "intro", MaxIntro}, {s.Conducts, "conduct", MaxConduct}} {
		for l, t := range m.texts {
			if !slices.Contains(langs, l) {
				return fault.New(fault.Invalid, "error.400").OnField(m.field + "_" + langs[0])
			}
			t = strings.TrimSpace(t)
			if utf8.RuneCountInString(t) > m.max {
				return fault.New(fault.Invalid, "site.error.too_long", m.max).OnField(m.field + "_" + l)
			}
			if t == "" {
				delete(m.texts, l)
			} else {
				m.texts[l] = t
			}
		}
	}
	s.Contact = strings.TrimSpace(s.Contact)
	if s.Contact != "" {
		a, err := mail.ParseAddress(s.Contact)
		if err != nil || a.Address != s.Contact || len(s.Contact) > 254 {
			return fault.New(fault.Invalid, "site.error.contact").OnField("contact")
		}
	}
	if s.DefaultLicence != "" && !licence(s.DefaultLicence) {
		return fault.New(fault.Invalid, "site.error.licence").OnField("licence")
	}
	if len(s.Languages) == 0 {
		return fault.New(fault.Invalid, "site.error.languages").OnField("languages")
	}
	for _, l := range s.Languages {
		if !slices.Contains(langs, l) {
			return fault.New(fault.Invalid, "site.error.languages").OnField("languages")
		}
	}
	return nil
}

// NextConductVersion is the version the code of conduct gets when s replaces
// old: a new one when its text changed in any language, else the same.
func (s *Settings) NextConductVersion(old *Settings) int {
	if len(s.Conducts) != len(old.Conducts) {
		return old.ConductVersion + 1
	}
	for l, t := range s.Conducts {
		if old.Conducts[l] != t {
			return old.ConductVersion + 1
		}
	}
	return old.ConductVersion
}

// Store keeps the settings in MongoDB.
type Store struct{ db *mongo.Database }

// NewStore returns a Store on db.
func NewStore(db *mongo.Database) *Store { return &Store{db: db} }

// Settings returns the stored settings, or empty ones (all built-in).
func (st *Store) Settings(ctx context.Context) (*Settings, error) {
	var s Settings
	err := st.db.Collection(colSettings).FindOne(ctx, bson.M{"_id": settingsID}).Decode(&s)
	if store.IsNoDocuments(err) {
		return &Settings{ID: settingsID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site: settings: %w", err)
	}
	return &s, nil
}

// Save replaces the settings (validated by the caller).
func (st *Store) Save(ctx context.Context, s Settings) error {
	s.ID, s.UpdatedAt = settingsID, time.Now().UTC().Truncate(time.Millisecond)
	if _, err := st.db.Collection(colSettings).ReplaceOne(ctx, bson.M{"_id": settingsID}, s, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("site: save settings: %w", err)
	}
	return nil
}
