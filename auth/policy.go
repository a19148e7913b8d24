package auth

// Policy functions decide rights in one place; handlers call them and never
// compare roles themselves. A nil member is an anonymous visitor.

// CanUsePortal: approved members see members-only pages.
func CanUsePortal(m *Member) bool { return m.Approved() }

// CanSeeGroup decides whether m may see group g and its listing.
func CanSeeGroup(m *Member, g *Group) bool {
	switch g.Visibility {
	case VisibilityPublic:
		return true
	case VisibilityMembers:
		return m.Approved()
	default: // group-only and hidden groups
		return m.Approved() && (g.HasMember(m.ID) || m.HasRole(RoleAdmin))
	}
}

// CanListMembers decides access to the member directory.
func CanListMembers(m *Member) bool { return m.Approved() }

// CanAdminister decides access to portal-wide administration.
func CanAdminister(m *Member) bool { return m.Approved() && m.HasRole(RoleAdmin) }
