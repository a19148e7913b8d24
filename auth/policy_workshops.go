package auth

// WorkshopAccess is what the workshop policies need to know about a
// workshop; the server fills it (auth does not import workshops).
type WorkshopAccess struct {
	// Group owning the workshop; nil for a workshop open to all members.
	Group        *Group
	Facilitators []string
}

func (w WorkshopAccess) isFacilitator(id string) bool {
	for _, f := range w.Facilitators {
		if f == id {
			return true
		}
	}
	return false
}

// CanCreateWorkshop: approved facilitators (and higher roles) schedule
// workshops; in a group only if they belong to it or run it, or are admins.
func CanCreateWorkshop(m *Member, g *Group) bool {
	if !m.Approved() || !m.HasRole(RoleFacilitator) {
		return false
	}
	return g == nil || !g.Archived && (g.HasMember(m.ID) || m.HasRole(RoleAdmin))
}

// CanSeeWorkshop decides who sees a workshop, registers for it and enters
// its live room: approved members, limited to those who see its group.
func CanSeeWorkshop(m *Member, w WorkshopAccess) bool {
	if !m.Approved() {
		return false
	}
	if w.isFacilitator(m.ID) {
		return true
	}
	return w.Group == nil || CanSeeGroup(m, w.Group)
}

// CanRegisterWorkshop: whoever sees a workshop may register.
func CanRegisterWorkshop(m *Member, w WorkshopAccess) bool { return CanSeeWorkshop(m, w) }

// CanFacilitate: the workshop's facilitators, its group's coordinators and
// administrators run the room (agenda, polls, removal, open and close) and
// see the attendee list.
func CanFacilitate(m *Member, w WorkshopAccess) bool {
	if !m.Approved() {
		return false
	}
	return w.isFacilitator(m.ID) || m.HasRole(RoleAdmin) || (w.Group != nil && w.Group.IsCoordinator(m.ID))
}
