package auth

import "time"

// Visibility says who may see a group and what it owns.
type Visibility string

const (
	VisibilityPublic  Visibility = "public"
	VisibilityMembers Visibility = "members" // members of the portal
	VisibilityGroup   Visibility = "group"   // members of the group
	VisibilityHidden  Visibility = "hidden"
)

// JoinPolicy says how a member becomes part of a group.
type JoinPolicy string

const (
	JoinOpen       JoinPolicy = "open"
	JoinRequest    JoinPolicy = "request"
	JoinInvitation JoinPolicy = "invitation"
)

// Group is a space of the community: a buyer group, a working group, a
// community of practice. Later features own content per group.
type Group struct {
	ID           string     `bson:"_id" json:"id"`
	Slug         string     `bson:"slug" json:"slug"`
	Name         string     `bson:"name" json:"name"`
	Description  string     `bson:"description" json:"description"`
	Languages    []string   `bson:"languages" json:"languages"`
	Visibility   Visibility `bson:"visibility" json:"visibility"`
	JoinPolicy   JoinPolicy `bson:"join_policy" json:"join_policy"`
	Coordinators []string   `bson:"coordinators" json:"coordinators"`
	Members      []string   `bson:"members" json:"members"`
	// Joined records when each member joined (member ID -> time), for the
	// group's recent activity; members added by the seed or by an import
	// may have no entry.
	Joined    map[string]time.Time `bson:"joined,omitempty" json:"joined,omitempty"`
	CreatedAt time.Time            `bson:"created_at" json:"created_at"`
	// Names and Descriptions hold the group's name and description in
	// other UI languages (language code -> text); Name and Description are
	// the default, shown where no translation exists.
	Names        map[string]string `bson:"names,omitempty" json:"names,omitempty"`
	Descriptions map[string]string `bson:"descriptions,omitempty" json:"descriptions,omitempty"`
	// Archived groups are read-only and left out of lists; nothing they
	// own is deleted.
	Archived   bool       `bson:"archived,omitempty" json:"archived,omitempty"`
	ArchivedAt *time.Time `bson:"archived_at,omitempty" json:"archived_at,omitempty"`
}

// NameIn is the group's name in language lang, else its default name.
func (g *Group) NameIn(lang string) string {
	if n := g.Names[lang]; n != "" {
		return n
	}
	return g.Name
}

// DescriptionIn is the group's description in lang, else its default one.
func (g *Group) DescriptionIn(lang string) string {
	if d := g.Descriptions[lang]; d != "" {
		return d
	}
	return g.Description
}

// HasMember reports whether memberID belongs to the group (coordinators do).
func (g *Group) HasMember(memberID string) bool {
	for _, id := range g.Members {
		if id == memberID {
			return true
		}
	}
	return g.IsCoordinator(memberID)
}

// IsCoordinator reports whether memberID coordinates the group.
func (g *Group) IsCoordinator(memberID string) bool {
	for _, id := range g.Coordinators {
		if id == memberID {
			return true
		}
	}
	return false
}
