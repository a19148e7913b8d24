package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/frontend"
)

// groupEditForm is the group form (create and edit) with what was typed.
type groupEditForm struct {
	Slug, Name, Description string
	Visibility, Join        string
	Coordinator             string // e-mail of the first coordinator (create)
	// Names and Descriptions by UI language.
	Names, Descriptions map[string]string
	// ConfirmVisibility is set when a visibility change waits for
	// confirmation: the form comes back saying what it will change.
	ConfirmVisibility string
	Errors            map[string]string
	Problems          []formProblem
}

// formProblem is one entry of a form's error summary.
type formProblem struct{ Field, Message string }

type groupFormData struct {
	Form         groupEditForm
	Group        *auth.Group // nil when creating
	Langs        []LangChoice
	Visibilities []auth.Visibility
	Joins        []auth.JoinPolicy
	Coordinators []*auth.Member
	CoordForm    coordinatorForm
	Action       string
	MaxName      int
	MaxDesc      int
}

type coordinatorForm struct {
	Email string
	Error string
}

func newGroupEditForm() groupEditForm {
	return groupEditForm{Visibility: string(auth.VisibilityMembers), Join: string(auth.JoinRequest),
		Names: map[string]string{}, Descriptions: map[string]string{}, Errors: map[string]string{}}
}

func groupFormOf(g *auth.Group) groupEditForm {
	f := newGroupEditForm()
	f.Slug, f.Name, f.Description = g.Slug, g.Name, g.Description
	f.Visibility, f.Join = string(g.Visibility), string(g.JoinPolicy)
	for l, v := range g.Names {
		f.Names[l] = v
	}
	for l, v := range g.Descriptions {
		f.Descriptions[l] = v
	}
	return f
}

// readGroupForm reads the posted group form.
func readGroupForm(c *fiber.Ctx) groupEditForm {
	f := newGroupEditForm()
	f.Slug, f.Name, f.Description = strings.TrimSpace(formValue(c, "slug")), formValue(c, "name"), formValue(c, "description")
	f.Visibility, f.Join, f.Coordinator = formValue(c, "visibility"), formValue(c, "join"), strings.TrimSpace(formValue(c, "coordinator"))
	f.ConfirmVisibility = formValue(c, "confirm_visibility")
	for _, l := range frontend.Languages {
		f.Names[l], f.Descriptions[l] = formValue(c, "name_"+l), formValue(c, "description_"+l)
	}
	return f
}

// input turns the form into the store's input; an empty slug is made from
// the name.
func (f groupEditForm) input() auth.GroupInput {
	in := auth.GroupInput{Slug: f.Slug, Name: f.Name, Description: f.Description, Visibility: auth.Visibility(f.Visibility),
		JoinPolicy: auth.JoinPolicy(f.Join), Names: map[string]string{}, Descriptions: map[string]string{}}
	if in.Slug == "" {
		in.Slug = forum.Slugify(f.Name)
	}
	for l, v := range f.Names {
		in.Names[l] = v
	}
	for l, v := range f.Descriptions {
		in.Descriptions[l] = v
	}
	return in
}

// formFail puts a validation error on its field and in the form's error
// summary; it reports false for other errors, which go to the error handler.
func (s *Server) formFail(c *fiber.Ctx, errs map[string]string, problems *[]formProblem, err error) bool {
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Invalid {
		return false
	}
	field := fe.Field
	if field == "" {
		field = "form"
	}
	msg := s.T(c, fe.Key, fe.Args...)
	errs[field] = msg
	*problems = append(*problems, formProblem{Field: field, Message: msg})
	return true
}

func (s *Server) renderGroupForm(c *fiber.Ctx, status int, g *auth.Group, f groupEditForm, cf coordinatorForm) error {
	d := groupFormData{Form: f, Group: g, Visibilities: auth.GroupVisibilities, Joins: auth.JoinPolicies, CoordForm: cf,
		Action: "/admin/groups", MaxName: auth.MaxGroupName, MaxDesc: auth.MaxGroupDescription}
	lang := s.lang(c)
	for _, l := range frontend.Languages {
		d.Langs = append(d.Langs, LangChoice{Code: l, Name: frontend.LanguageNames[l], Current: l == lang})
	}
	title := s.T(c, "admin.group.new")
	if g != nil {
		d.Action = "/admin/groups/" + g.Slug
		title = s.T(c, "admin.group.edit", g.NameIn(lang))
		ms, err := s.auth.MembersByID(c.UserContext(), g.Coordinators)
		if err != nil {
			return err
		}
		for _, id := range g.Coordinators {
			if m, ok := ms[id]; ok {
				d.Coordinators = append(d.Coordinators, m)
			} else {
				d.Coordinators = append(d.Coordinators, &auth.Member{ID: id, Name: s.T(c, "group.member.unknown")})
			}
		}
	}
	p, err := s.adminPage(c, title, "groups", d)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_group_form", p)
}

// newGroup shows the form that creates a group (administrators).
func (s *Server) newGroup(c *fiber.Ctx) error {
	return s.renderGroupForm(c, fiber.StatusOK, nil, newGroupEditForm(), coordinatorForm{})
}

// coordinatorByEmail finds the approved member an administrator names as a
// coordinator; anyone else is a field error.
func (s *Server) coordinatorByEmail(c *fiber.Ctx, field, email string) (*auth.Member, error) {
	m, err := s.auth.MemberByEmail(c.UserContext(), email)
	if errors.Is(err, auth.ErrNotFound) || err == nil && !m.Approved() {
		return nil, fault.New(fault.Invalid, "group.error.coordinator").OnField(field)
	}
	return m, err
}

// createGroup creates a group; its first coordinator is the member named by
// e-mail, or the administrator creating it.
func (s *Server) createGroup(c *fiber.Ctx) error {
	f := readGroupForm(c)
	g, err := s.createGroupFrom(c, f.input(), f.Coordinator)
	if err != nil {
		if s.formFail(c, f.Errors, &f.Problems, err) {
			return s.renderGroupForm(c, fiber.StatusBadRequest, nil, f, coordinatorForm{})
		}
		return err
	}
	return s.redirectWithFlash(c, "/admin/groups/"+g.Slug, "flash.group.created")
}

// createGroupFrom is the one way groups are created, for the page and the API.
func (s *Server) createGroupFrom(c *fiber.Ctx, in auth.GroupInput, coordinatorEmail string) (*auth.Group, error) {
	m := currentMember(c)
	if !auth.CanCreateGroup(m) {
		return nil, forbidden()
	}
	coord := m
	if coordinatorEmail != "" {
		var err error
		if coord, err = s.coordinatorByEmail(c, "coordinator", coordinatorEmail); err != nil {
			return nil, err
		}
	}
	in.Languages = []string{s.lang(c)}
	g, err := s.auth.CreateGroup(c.UserContext(), in, coord.ID)
	if err != nil {
		return nil, err
	}
	s.audit(c, auth.AuditGroupCreate, coord.ID, map[string]string{"group": g.Slug, "visibility": string(g.Visibility), "join": string(g.JoinPolicy)})
	return g, nil
}

// manageableGroup loads the :slug group for its administrators and
// coordinators: 404 for who may not know of it, 403 for who may not run it.
func (s *Server) manageableGroup(c *fiber.Ctx) (*auth.Group, error) {
	g, err := s.findGroup(c)
	if err != nil {
		return nil, err
	}
	if !auth.CanManageGroup(currentMember(c), g) {
		return nil, forbidden()
	}
	return g, nil
}

// editGroup shows a group's settings to its administrators and coordinators.
func (s *Server) editGroup(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	return s.renderGroupForm(c, fiber.StatusOK, g, groupFormOf(g), coordinatorForm{})
}

// saveGroup saves a group's settings. A change of visibility is saved only
// once confirmed: the form first comes back saying what the change does.
func (s *Server) saveGroup(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	f := readGroupForm(c)
	in := f.input()
	if err := in.Validate(); err != nil {
		if s.formFail(c, f.Errors, &f.Problems, err) {
			return s.renderGroupForm(c, fiber.StatusBadRequest, g, f, coordinatorForm{})
		}
		return err
	}
	if in.Visibility != g.Visibility && f.ConfirmVisibility != string(in.Visibility) {
		f.ConfirmVisibility = string(in.Visibility)
		return s.renderGroupForm(c, fiber.StatusOK, g, f, coordinatorForm{})
	}
	ng, err := s.saveGroupFrom(c, g, in)
	if err != nil {
		f.ConfirmVisibility = ""
		if s.formFail(c, f.Errors, &f.Problems, err) {
			return s.renderGroupForm(c, fiber.StatusBadRequest, g, f, coordinatorForm{})
		}
		return err
	}
	return s.redirectWithFlash(c, "/admin/groups/"+ng.Slug, "flash.group.saved")
}

// saveGroupFrom is the one way groups are changed, for the page and the API.
func (s *Server) saveGroupFrom(c *fiber.Ctx, g *auth.Group, in auth.GroupInput) (*auth.Group, error) {
	ng, err := s.auth.UpdateGroup(c.UserContext(), g.ID, in)
	if err != nil {
		return nil, err
	}
	details := map[string]string{"group": ng.Slug}
	if ng.Slug != g.Slug {
		details["slug_was"] = g.Slug
	}
	if ng.Visibility != g.Visibility {
		details["visibility"] = string(g.Visibility) + "→" + string(ng.Visibility)
		s.conns.recheckGroup(g.ID) // open rooms and streams of its content follow at once
	}
	if ng.JoinPolicy != g.JoinPolicy {
		details["join"] = string(g.JoinPolicy) + "→" + string(ng.JoinPolicy)
	}
	s.audit(c, auth.AuditGroupUpdate, "", details)
	return ng, nil
}
