package auth

// Policy functions for the library. They take the few facts they need
// (owner, group) rather than a resource, so auth does not import the
// resources package.

// CanShareResource: approved members upload resources and new versions.
func CanShareResource(m *Member) bool { return m.Approved() }

// CanSeeAllContent: administrators see every resource, whatever its
// visibility, as they see every group.
func CanSeeAllContent(m *Member) bool { return m.Approved() && m.HasRole(RoleAdmin) }

// CanPublishToGroup: a member limits a resource to a group they belong to.
func CanPublishToGroup(m *Member, g *Group) bool {
	return m.Approved() && g != nil && !g.Archived && (g.HasMember(m.ID) || m.HasRole(RoleAdmin))
}

// CanEditResource: the owner and moderators edit, version and withdraw a resource.
func CanEditResource(m *Member, ownerID string) bool {
	return m.Approved() && (m.ID == ownerID || m.HasRole(RoleModerator))
}

// CanCurateResource: moderators, administrators and the coordinators of the
// resource's group (g may be nil) mark good practice.
func CanCurateResource(m *Member, g *Group) bool {
	return m.Approved() && (m.HasRole(RoleModerator) || (g != nil && g.IsCoordinator(m.ID)))
}

// CanReactToResource: approved members bookmark, report and say they used a resource.
func CanReactToResource(m *Member) bool { return m.Approved() }

// CanHostResourceDiscussion: a group's categories may hold the discussion
// of a resource limited to that group only when nobody outside the group
// reads them, that is when CanSeeGroup keeps the group's content to its
// members and administrators, as the library keeps the resource.
func CanHostResourceDiscussion(g *Group) bool {
	return g != nil && g.Visibility != VisibilityPublic && g.Visibility != VisibilityMembers
}
