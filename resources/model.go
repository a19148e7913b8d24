// Package resources is the library: resources and their versions, the
// taxonomy that describes them, file storage in GridFS, type sniffing and
// archive checks, text extraction, search and facets. It never imports
// Fiber; the server calls its Service.
package resources

import (
	"fmt"
	"html/template"
	"time"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// ErrNotFound is returned for unknown resources, versions and files.
var ErrNotFound = fmt.Errorf("resources: %w", store.ErrNotFound)

// Visibility says who may see a resource.
type Visibility string

const (
	VisibilityPublic  Visibility = "public"
	VisibilityMembers Visibility = "members" // approved members of the portal
	VisibilityGroup   Visibility = "group"   // members of one group
)

// Kind is a file type of the allowlist, as sniffed from the bytes.
type Kind string

const (
	KindPDF      Kind = "pdf"
	KindDOCX     Kind = "docx"
	KindXLSX     Kind = "xlsx"
	KindPPTX     Kind = "pptx"
	KindODT      Kind = "odt"
	KindODS      Kind = "ods"
	KindODP      Kind = "odp"
	KindText     Kind = "text"
	KindMarkdown Kind = "markdown"
	KindCSV      Kind = "csv"
)

// ContentType is the media type sent with downloads of the kind.
func (k Kind) ContentType() string {
	switch k {
	case KindPDF:
		return "application/pdf"
	case KindDOCX:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case KindXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case KindPPTX:
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case KindODT:
		return "application/vnd.oasis.opendocument.text"
	case KindODS:
		return "application/vnd.oasis.opendocument.spreadsheet"
	case KindODP:
		return "application/vnd.oasis.opendocument.presentation"
	case KindMarkdown:
		return "text/markdown; charset=utf-8"
	case KindCSV:
		return "text/csv; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// Extension is the file name extension that matches the kind ("" for a
// kind outside the allowlist).
func (k Kind) Extension() string {
	if e := k.extensions(); len(e) > 0 {
		return e[0]
	}
	return ""
}

// extensions are the lower-case extensions a file of the kind may keep,
// the usual one first.
func (k Kind) extensions() []string {
	switch k {
	case KindPDF, KindDOCX, KindXLSX, KindPPTX, KindODT, KindODS, KindODP, KindCSV:
		return []string{"." + string(k)}
	case KindText:
		return []string{".txt"}
	case KindMarkdown:
		return []string{".md", ".markdown"}
	}
	return nil
}

// Translation is a title and summary in another language.
type Translation struct {
	Lang    string `bson:"lang" json:"lang"`
	Title   string `bson:"title" json:"title"`
	Summary string `bson:"summary,omitempty" json:"summary,omitempty"`
}

// Version is one uploaded file of a resource. Versions are never changed or
// removed, so each keeps its own permanent download link.
type Version struct {
	N         int       `bson:"n" json:"n"`
	BlobID    string    `bson:"blob" json:"-"` // SHA-256 of the bytes
	Size      int64     `bson:"size" json:"size"`
	Kind      Kind      `bson:"kind" json:"kind"`
	Filename  string    `bson:"filename" json:"filename"`
	Note      string    `bson:"note,omitempty" json:"note,omitempty"`
	Uploader  string    `bson:"uploader" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// DownloadName is the name the version's file is served under: names
// stored before the current rules are cleaned and given the kind's
// extension here, so no stored name reaches a header or a page raw.
func (v Version) DownloadName() string { return DownloadName(v.Filename, v.Kind) }

// SHA256 is the hex digest of the version's bytes.
func (v Version) SHA256() string { return v.BlobID }

// LinkKind is the type of a link between a resource and something else.
type LinkKind string

const (
	LinkTranslationOf LinkKind = "translation_of"
	LinkVersionOf     LinkKind = "new_version_of"
	LinkPartOf        LinkKind = "part_of"
	LinkDiscussedIn   LinkKind = "discussed_in" // a forum thread
	LinkProducedBy    LinkKind = "produced_by"  // a workshop
)

// LinkKinds lists link types in display order.
var LinkKinds = []LinkKind{LinkTranslationOf, LinkVersionOf, LinkPartOf, LinkDiscussedIn, LinkProducedBy}

// Link points from a resource to another resource, a thread or a workshop.
type Link struct {
	Kind   LinkKind `bson:"kind" json:"kind"`
	Target string   `bson:"target" json:"target"` // resource, thread or workshop ID
}

// Withdrawal records why a resource was withdrawn; its page stays.
type Withdrawal struct {
	Reason string    `bson:"reason" json:"reason"`
	By     string    `bson:"by" json:"-"`
	At     time.Time `bson:"at" json:"at"`
}

// Meta is what a member describes; it is validated by Validate.
type Meta struct {
	Title        string        `bson:"title" json:"title"`
	Summary      string        `bson:"summary" json:"summary"`
	Translations []Translation `bson:"translations,omitempty" json:"translations,omitempty"`
	Type         string        `bson:"type" json:"type"`
	Stages       []string      `bson:"stages,omitempty" json:"stages,omitempty"`
	Products     []string      `bson:"products,omitempty" json:"products,omitempty"`
	Themes       []string      `bson:"themes,omitempty" json:"themes,omitempty"`
	Frameworks   []string      `bson:"frameworks,omitempty" json:"frameworks,omitempty"`
	Ambition     string        `bson:"ambition,omitempty" json:"ambition,omitempty"`
	Languages    []string      `bson:"languages" json:"languages"`
	Country      string        `bson:"country,omitempty" json:"country,omitempty"`
	Organisation string        `bson:"organisation,omitempty" json:"organisation,omitempty"`
	Year         int           `bson:"year,omitempty" json:"year,omitempty"`
	Licence      string        `bson:"licence" json:"licence"`
	Award        string        `bson:"award,omitempty" json:"award,omitempty"`
	Visibility   Visibility    `bson:"visibility" json:"visibility"`
	GroupID      string        `bson:"group_id,omitempty" json:"group_id,omitempty"`
}

// Resource is a shared document with its metadata and every version.
type Resource struct {
	ID   string `bson:"_id" json:"id"`
	Meta `bson:",inline"`

	OwnerID   string    `bson:"owner_id" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	Versions  []Version `bson:"versions" json:"versions"`
	Latest    int       `bson:"latest" json:"latest"` // number of the latest version
	Links     []Link    `bson:"links,omitempty" json:"links,omitempty"`

	GoodPractice bool        `bson:"good_practice" json:"good_practice"`
	Withdrawn    *Withdrawal `bson:"withdrawn,omitempty" json:"withdrawn,omitempty"`

	Downloads int `bson:"downloads" json:"downloads"`
	Views     int `bson:"views" json:"views"`
	UsedCount int `bson:"used_count" json:"used_count"`
	Reports   int `bson:"reports" json:"-"`

	// Preview is the start of the latest version's extracted text.
	Preview string `bson:"preview,omitempty" json:"-"`
	// ChangedAt is when the resource last changed in a way the search
	// index shows (metadata, a version, withdrawal, curation): the stamp
	// catch-up compares.
	ChangedAt time.Time `bson:"changed_at,omitempty" json:"-"`

	// Score and Snippet are set on search results: the relevance score
	// and a passage where the words matched (HTML, see search.Snippet).
	Score   float64       `bson:"-" json:"score,omitempty"`
	Snippet template.HTML `bson:"-" json:"snippet,omitempty"`
}

// Current returns the latest version.
func (r *Resource) Current() Version {
	return r.VersionN(r.Latest)
}

// VersionN returns version n, or the zero Version.
func (r *Resource) VersionN(n int) Version {
	for _, v := range r.Versions {
		if v.N == n {
			return v
		}
	}
	return Version{}
}

// Mark is "I used this in a tender": where (an organisation or tender
// reference) and when (a year).
type Mark struct {
	ID         string    `bson:"_id" json:"-"` // resource ID + member ID: one per member
	ResourceID string    `bson:"resource_id" json:"resource_id"`
	MemberID   string    `bson:"member_id" json:"-"`
	Where      string    `bson:"where" json:"where"`
	Year       int       `bson:"year" json:"year"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
}

// Bookmark keeps a resource in a member's list.
type Bookmark struct {
	ID         string    `bson:"_id" json:"-"`
	ResourceID string    `bson:"resource_id" json:"resource_id"`
	MemberID   string    `bson:"member_id" json:"-"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
}

// Report is a member's note that something is wrong with a resource.
type Report struct {
	ID         string    `bson:"_id" json:"id"`
	ResourceID string    `bson:"resource_id" json:"resource_id"`
	MemberID   string    `bson:"member_id" json:"-"`
	Reason     string    `bson:"reason" json:"reason"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	// ResolvedAt is set when a curator dismissed the report or withdrew
	// the resource; open reports have none.
	ResolvedAt *time.Time `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	ResolvedBy string     `bson:"resolved_by,omitempty" json:"-"`
}

// Reported is a resource with its open reports, for the curators' queue.
type Reported struct {
	Resource *Resource
	Reports  []Report
}

// refused returns the error for a file the library does not accept; key
// names the reason in the message catalogs.
func refused(key string, args ...any) *fault.Error {
	return fault.New(fault.Invalid, "library.refused."+key, args...).OnField("file")
}
