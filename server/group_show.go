package server

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// groupForm keeps what a member typed into one of the group page's forms
// and what is wrong with it, so a refused form comes back filled in.
type groupForm struct {
	Message   string // join request
	Days      string // new invitation
	MaxUses   string
	RequestID string // the request being decided
	Reply     string
	// Errors maps a field (message, days, max_uses, reply, decision,
	// leave, remove) to its translated message.
	Errors map[string]string
}

func newGroupForm() groupForm {
	return groupForm{Days: "14", MaxUses: "10", Errors: map[string]string{}}
}

type groupMemberRow struct {
	*auth.Member
	Coordinator bool
	Joined      time.Time
	CanRemove   bool
}

type groupRequestRow struct {
	Request *auth.GroupRequest
	Member  *auth.Member
}

type groupInvitationRow struct {
	Invitation *auth.Invitation
	State      string // active, expired, used_up
}

type groupData struct {
	Group     *auth.Group
	Languages string
	Size      int
	// Coordinators are named to approved members; Members and Activity
	// only to approved members who can see the group.
	Coordinators []*auth.Member
	ShowMembers  bool
	MembersNote  string // message key saying why members are not shown
	Members      []groupMemberRow
	Activity     []Activity

	// The viewer's standing and what they may do.
	IsMember, IsCoordinator               bool
	Request                               *auth.GroupRequest
	CanJoin, CanRequest, CanLeave, SignIn bool
	InvitationOnly                        bool
	CanManage                             bool
	Requests                              []groupRequestRow
	Invitations                           []groupInvitationRow

	// The group's library: good practice first, then the newest.
	Featured, Resources []*resources.Resource
	LibraryLink         string

	Form                                  groupForm
	MaxMessage, MaxInviteDays, MaxInvites int
}

// showGroup shows a group: what it is, who coordinates it, and, to those
// who may see them, its members and recent activity; plus what the viewer
// may do there, and the coordinator tools.
func (s *Server) showGroup(c *fiber.Ctx) error {
	g, err := s.findGroup(c)
	if err != nil {
		return err
	}
	return s.renderGroup(c, g, fiber.StatusOK, newGroupForm())
}

// findGroup loads the group named by the :slug parameter. A group the
// viewer may not know about is a 404, exactly like one that does not exist.
func (s *Server) findGroup(c *fiber.Ctx) (*auth.Group, error) {
	slug := c.Params("slug")
	if !validSlug(slug) {
		return nil, fault.New(fault.NotFound, "error.404")
	}
	g, err := s.auth.GroupBySlug(c.UserContext(), slug)
	if errors.Is(err, auth.ErrNotFound) {
		return nil, fault.New(fault.NotFound, "error.404")
	}
	if err != nil {
		return nil, err
	}
	if !auth.CanFindGroup(currentMember(c), g) {
		return nil, fault.New(fault.NotFound, "error.404")
	}
	return g, nil
}

// validSlug accepts lowercase letters, digits and hyphens, so nothing else
// reaches a query.
func validSlug(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// groupPath is the page of a group.
func groupPath(g *auth.Group) string { return "/groups/" + g.Slug }

// groupFieldError puts an invalid-input error on its form field and reports
// whether it did; other errors are left to the error handler.
func (s *Server) groupFieldError(c *fiber.Ctx, f *groupForm, err error) bool {
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Invalid || fe.Field == "" {
		return false
	}
	f.Errors[fe.Field] = s.T(c, fe.Key, fe.Args...)
	return true
}

// renderGroup renders the group page; handlers call it with status 400 and
// the member's input when a form is refused.
func (s *Server) renderGroup(c *fiber.Ctx, g *auth.Group, status int, form groupForm) error {
	ctx := c.UserContext()
	viewer := currentMember(c)
	lang := s.lang(c)
	d := groupData{
		Group: g, Size: g.Size(), Languages: languageNames(lang, g.Languages), Form: form,
		ShowMembers: auth.CanSeeGroupMembers(viewer, g), CanManage: auth.CanManageGroup(viewer, g),
		MaxMessage: auth.MaxGroupMessage, MaxInviteDays: auth.MaxInvitationDays, MaxInvites: auth.MaxInvitationUses,
	}
	switch {
	case d.ShowMembers:
	case viewer == nil:
		d.MembersNote = "group.members.signin"
	case !auth.CanUsePortal(viewer):
		d.MembersNote = "group.members.pending"
	default:
		d.MembersNote = "group.members.private"
	}
	if viewer == nil {
		d.SignIn = g.JoinPolicy != auth.JoinInvitation
	} else {
		d.IsMember, d.IsCoordinator = g.HasMember(viewer.ID), g.IsCoordinator(viewer.ID)
		d.CanJoin, d.CanLeave = auth.CanJoinGroup(viewer, g), auth.CanLeaveGroup(viewer, g)
		if auth.CanUsePortal(viewer) {
			r, err := s.auth.GroupRequestOf(ctx, g.ID, viewer.ID)
			switch {
			case err == nil:
				d.Request = r
			case !errors.Is(err, auth.ErrNotFound):
				return err
			}
		}
		d.CanRequest = auth.CanRequestGroup(viewer, g) && !d.Request.Pending()
		d.InvitationOnly = !d.IsMember && auth.CanUsePortal(viewer) && g.JoinPolicy == auth.JoinInvitation
	}

	// Everyone the page names, fetched in one query.
	var ids []string
	if auth.CanListMembers(viewer) {
		ids = append(ids, g.Coordinators...)
	}
	if d.ShowMembers {
		ids = g.MemberIDs()
	}
	var requests []*auth.GroupRequest
	if d.CanManage {
		var err error
		if requests, err = s.auth.PendingGroupRequests(ctx, g.ID); err != nil {
			return err
		}
		for _, r := range requests {
			ids = append(ids, r.MemberID)
		}
		invs, err := s.auth.Invitations(ctx, g.ID, 20)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, inv := range invs {
			row := groupInvitationRow{Invitation: inv, State: "active"}
			if inv.Expired(now) {
				row.State = "expired"
			} else if inv.UsedUp() {
				row.State = "used_up"
			}
			d.Invitations = append(d.Invitations, row)
		}
	}
	people, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		return err
	}
	person := func(id string) *auth.Member {
		if m, ok := people[id]; ok {
			return m
		}
		return &auth.Member{ID: id, Name: s.T(c, "group.member.unknown")}
	}
	if auth.CanListMembers(viewer) {
		for _, id := range g.Coordinators {
			d.Coordinators = append(d.Coordinators, person(id))
		}
	}
	if d.ShowMembers {
		for _, id := range g.MemberIDs() {
			d.Members = append(d.Members, groupMemberRow{Member: person(id), Coordinator: g.IsCoordinator(id),
				Joined: g.Joined[id], CanRemove: auth.CanRemoveGroupMember(viewer, g, id)})
		}
		for _, j := range g.RecentJoins(10) {
			d.Activity = append(d.Activity, Activity{When: j.At, Key: "group.activity.joined", Args: []any{person(j.MemberID).Name}})
		}
	}
	for _, r := range requests {
		d.Requests = append(d.Requests, groupRequestRow{Request: r, Member: person(r.MemberID)})
	}
	v, _, err := s.viewer(c)
	if err != nil {
		return err
	}
	if d.Featured, err = s.lib.Featured(ctx, v, g.ID, 4); err != nil {
		return err
	}
	if d.Resources, err = s.lib.Recent(ctx, v, g.ID, 5); err != nil {
		return err
	}
	d.LibraryLink = "/library?group=" + g.ID
	return s.render(c, status, "group_show", s.newPage(c, g.NameIn(lang), "groups", d))
}

// languageNames names language codes in the page's language.
func languageNames(lang string, codes []string) string {
	names := display.Languages(language.Make(lang))
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		n := names.Name(language.Make(code))
		if n == "" {
			n = code
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}
