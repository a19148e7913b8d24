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

// CanFindGroup decides whether m learns that group g exists: its name,
// description and join policy, in the group list and on its page. Groups
// whose content is for their members only are still listed to approved
// members, so they can ask to join; hidden groups are known only to their
// members (and administrators), and to whoever holds an invitation.
func CanFindGroup(m *Member, g *Group) bool {
	switch g.Visibility {
	case VisibilityPublic:
		return true
	case VisibilityMembers, VisibilityGroup:
		return m.Approved()
	default:
		return CanSeeGroup(m, g)
	}
}

// CanSeeGroupMembers: who is in a group (and when they joined) is shown to
// approved members who can see the group, never to visitors.
func CanSeeGroupMembers(m *Member, g *Group) bool { return m.Approved() && CanSeeGroup(m, g) }

// CanJoinGroup: an approved member joins an open group directly.
func CanJoinGroup(m *Member, g *Group) bool {
	return m.Approved() && !g.Archived && g.JoinPolicy == JoinOpen && !g.HasMember(m.ID) && CanFindGroup(m, g)
}

// CanLeaveGroup: a member leaves a group they belong to (the store refuses
// the last coordinator).
func CanLeaveGroup(m *Member, g *Group) bool { return m.Approved() && g.HasMember(m.ID) }

// CanUseInvitation: an approved member who is not yet in the group joins
// it through an invitation link, whatever the group's join policy.
func CanUseInvitation(m *Member, g *Group) bool {
	return m.Approved() && !g.Archived && !g.HasMember(m.ID)
}

// CanRequestGroup: an approved member asks to join an on-request group.
func CanRequestGroup(m *Member, g *Group) bool {
	return m.Approved() && !g.Archived && g.JoinPolicy == JoinRequest && !g.HasMember(m.ID) && g.Visibility != VisibilityHidden
}

// CanManageGroup: the group's coordinators and administrators run a group
// (approve requests, invite, remove members).
func CanManageGroup(m *Member, g *Group) bool {
	return m.Approved() && (g.IsCoordinator(m.ID) || m.HasRole(RoleAdmin))
}

// CanRemoveGroupMember: coordinators remove members of their group and
// administrators remove anyone from any group; nobody removes themselves
// (they leave), and only administrators remove a coordinator.
func CanRemoveGroupMember(m *Member, g *Group, targetID string) bool {
	if !CanManageGroup(m, g) || targetID == m.ID || !g.HasMember(targetID) {
		return false
	}
	return !g.IsCoordinator(targetID) || m.HasRole(RoleAdmin)
}

// CanListGroup: archived groups are left out of lists, except for those
// who manage them (to restore them); their pages and content stay readable.
func CanListGroup(m *Member, g *Group) bool {
	return CanFindGroup(m, g) && (!g.Archived || CanManageGroup(m, g))
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
