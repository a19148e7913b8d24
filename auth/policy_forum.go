package auth

// Policy functions of the discussions. A category belongs to a group (g)
// or is portal-wide (g nil, with its own visibility "public" or
// "members"). Moderators moderate everywhere; a group's coordinators
// moderate their group's categories; administrators have every right.

// ForumVisibility is a portal-wide category's visibility, read as a group's.
func forumVisibility(g *Group, catVisibility string) *Group {
	if g != nil {
		return g
	}
	v := VisibilityMembers
	if catVisibility == string(VisibilityPublic) {
		v = VisibilityPublic
	}
	return &Group{Visibility: v}
}

// CanSeeCategory decides whether m may read a category and its threads.
func CanSeeCategory(m *Member, g *Group, catVisibility string) bool {
	return CanSeeGroup(m, forumVisibility(g, catVisibility))
}

// CanModerate decides whether m moderates the category's threads: hide,
// lock, pin, close, move, split, approve held posts, review flags.
func CanModerate(m *Member, g *Group) bool {
	if !m.Approved() {
		return false
	}
	return m.HasRole(RoleModerator) || (g != nil && g.IsCoordinator(m.ID))
}

// CanPost decides whether m may start a thread in the category: approved
// members who see it, and for a group's category, its members.
func CanPost(m *Member, g *Group, catVisibility string) bool {
	if !m.Approved() || !CanSeeCategory(m, g, catVisibility) || g != nil && g.Archived {
		return false // an archived group is read-only
	}
	return g == nil || g.HasMember(m.ID) || CanModerate(m, g)
}

// CanReply decides whether m may reply in a thread: as CanPost, and the
// thread is neither closed nor locked unless m moderates it.
func CanReply(m *Member, g *Group, catVisibility string, closed, locked bool) bool {
	if !CanPost(m, g, catVisibility) {
		return false
	}
	return !(closed || locked) || CanModerate(m, g)
}

// CanEditPost: authors edit their posts while the thread is not locked;
// moderators edit any post.
func CanEditPost(m *Member, g *Group, authorID string, locked bool) bool {
	if !m.Approved() {
		return false
	}
	if CanModerate(m, g) {
		return true
	}
	return m.ID == authorID && !locked
}

// CanDeletePost: as CanEditPost (deletion leaves a placeholder).
func CanDeletePost(m *Member, g *Group, authorID string, locked bool) bool {
	return CanEditPost(m, g, authorID, locked)
}

// CanReact: members who may post in the category react, unless locked.
func CanReact(m *Member, g *Group, catVisibility string, locked bool) bool {
	return CanPost(m, g, catVisibility) && !locked
}

// CanAcceptAnswer: the asker or a moderator marks the accepted answer.
func CanAcceptAnswer(m *Member, g *Group, askerID string) bool {
	return m.Approved() && (m.ID == askerID || CanModerate(m, g))
}

// CanFlag: approved members who see a post flag it.
func CanFlag(m *Member, g *Group, catVisibility string) bool {
	return m.Approved() && CanSeeCategory(m, g, catVisibility)
}

// CanReviewForum decides access to the discussions' review queue:
// moderators see every held post and flag, coordinators their groups'.
func CanReviewForum(m *Member, coordinatesAGroup bool) bool {
	return m.Approved() && (m.HasRole(RoleModerator) || coordinatesAGroup)
}

// CanManageCategories: administrators and moderators manage portal-wide
// categories; a group's coordinators manage their group's.
func CanManageCategories(m *Member, g *Group) bool {
	if !m.Approved() {
		return false
	}
	if g == nil {
		return m.HasRole(RoleModerator)
	}
	return g.IsCoordinator(m.ID) || m.HasRole(RoleAdmin)
}

// CanSeeHeld: a held post shows to its author and to those who moderate it.
func CanSeeHeld(m *Member, g *Group, authorID string) bool {
	return m != nil && (m.ID == authorID || CanModerate(m, g))
}
