package auth

// Policy functions decide rights in one place; handlers call them and never
// compare roles themselves. A nil member is an anonymous visitor. Pending,
// rejected and deactivated members are not approved, so every function that
// requires approval refuses them.

// CanUsePortal: approved members see members-only pages.
func CanUsePortal(m *Member) bool { return m.Approved() }

// CanSeeGroup decides whether m may see group g, its page and its content.
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

// CanJoinGroup: an approved member joins an open group directly.
func CanJoinGroup(m *Member, g *Group) bool {
	return m.Approved() && g.JoinPolicy == JoinOpen && !g.HasMember(m.ID) && CanSeeGroup(m, g)
}

// CanRequestGroup: an approved member asks to join an on-request group.
func CanRequestGroup(m *Member, g *Group) bool {
	return m.Approved() && g.JoinPolicy == JoinRequest && !g.HasMember(m.ID) && g.Visibility != VisibilityHidden
}

// CanManageGroup: the group's coordinators and administrators run a group
// (approve requests, invite, remove members).
func CanManageGroup(m *Member, g *Group) bool {
	return m.Approved() && (g.IsCoordinator(m.ID) || m.HasRole(RoleAdmin))
}

// CanCreateGroup: administrators create groups.
func CanCreateGroup(m *Member) bool { return m.Approved() && m.HasRole(RoleAdmin) }

// CanListMembers decides access to the member directory and profiles.
func CanListMembers(m *Member) bool { return m.Approved() }

// CanReviewMembers: administrators and coordinators of any group approve or
// reject pending members.
func CanReviewMembers(m *Member, coordinatesAGroup bool) bool {
	return m.Approved() && (m.HasRole(RoleAdmin) || coordinatesAGroup)
}

// CanChangeRoles and CanDeactivate are for administrators only, and never
// on themselves (an administrator cannot lock the portal out by accident).
func CanChangeRoles(m *Member, target *Member) bool {
	return m.Approved() && m.HasRole(RoleAdmin) && target != nil && target.ID != m.ID
}

// CanDeactivate decides whether m may deactivate (or reactivate) target.
func CanDeactivate(m *Member, target *Member) bool { return CanChangeRoles(m, target) }

// CanAdminister decides access to portal-wide administration (audit log).
func CanAdminister(m *Member) bool { return m.Approved() && m.HasRole(RoleAdmin) }
