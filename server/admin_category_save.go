package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
)

// Audit actions of category administration (the creation and move actions
// predate the admin area and keep their names).
const (
	auditCategoryCreate  = "forum_category_created"
	auditCategoryMove    = "forum_category_moved"
	auditCategoryUpdate  = "forum_category_updated"
	auditCategoryArchive = "forum_category_archived"
	auditCategoryRestore = "forum_category_restored"
)

func errCategoryArchived() error { return fault.New(fault.Forbidden, "forum.error.category_archived") }

// categoryEditForm is the admin area's category form with what was typed.
type categoryEditForm struct {
	Name, Desc, Colour string
	Group              string // group ID; "" is portal-wide
	Visibility         string // portal-wide categories: public or members
	Errors             map[string]string
	Problems           []formProblem
}

type adminCategoryRow struct {
	Cat         *forum.Category
	GroupName   string
	First, Last bool
}

type adminCategoriesData struct {
	Rows     []adminCategoryRow
	Archived []adminCategoryRow
	Form     categoryEditForm
	Groups   []Option
	Colours  []string
	// Editing one category (the edit page).
	Cat       *forum.Category
	GroupName string
}

// managedCategoryGroups lists where m may create categories: "" (the whole
// portal) for moderators and administrators, then the groups m runs.
func (s *Server) managedCategoryGroups(c *fiber.Ctx, m *auth.Member, selected string) ([]Option, error) {
	var out []Option
	if auth.CanManageCategories(m, nil) {
		out = append(out, Option{Value: "", Label: s.T(c, "forum.category.portal_wide"), Selected: selected == ""})
	}
	if !m.Approved() {
		return out, nil
	}
	groups, err := s.auth.GroupsOf(c.UserContext(), m.ID)
	if err != nil {
		return nil, err
	}
	if m.HasRole(auth.RoleAdmin) {
		if groups, err = s.auth.Groups(c.UserContext()); err != nil {
			return nil, err
		}
	}
	lang := s.lang(c)
	for _, g := range groups {
		if auth.CanManageCategories(m, g) && !g.Archived {
			out = append(out, Option{Value: g.ID, Label: g.NameIn(lang), Selected: selected == g.ID})
		}
	}
	return out, nil
}

// listAdminCategories lists the categories the member looks after, in
// their order, with the tools to reorder, edit and archive them and a form
// to create one.
func (s *Server) listAdminCategories(c *fiber.Ctx) error {
	return s.renderAdminCategories(c, fiber.StatusOK, categoryEditForm{Colour: forum.Colours[0], Visibility: "members", Errors: map[string]string{}})
}

func (s *Server) renderAdminCategories(c *fiber.Ctx, status int, f categoryEditForm) error {
	m := currentMember(c)
	all, err := s.categories(c)
	if err != nil {
		return err
	}
	d := adminCategoriesData{Form: f, Colours: forum.Colours}
	if d.Groups, err = s.managedCategoryGroups(c, m, f.Group); err != nil {
		return err
	}
	lang := s.lang(c)
	var rows []adminCategoryRow
	for _, ci := range all {
		if !auth.CanManageCategories(m, ci.Group) {
			continue
		}
		row := adminCategoryRow{Cat: ci.Cat}
		if ci.Group != nil {
			row.GroupName = ci.Group.NameIn(lang)
		}
		rows = append(rows, row)
	}
	for i := range rows {
		gid := rows[i].Cat.GroupID
		rows[i].First = i == 0 || rows[i-1].Cat.GroupID != gid
		rows[i].Last = i == len(rows)-1 || rows[i+1].Cat.GroupID != gid
		if rows[i].Cat.Archived {
			d.Archived = append(d.Archived, rows[i])
		} else {
			d.Rows = append(d.Rows, rows[i])
		}
	}
	if len(d.Groups) == 0 && len(rows) == 0 {
		return forbidden()
	}
	p, err := s.adminPage(c, s.T(c, "admin.section.categories"), "categories", d)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_categories", p)
}

func readCategoryForm(c *fiber.Ctx) categoryEditForm {
	return categoryEditForm{Name: formValue(c, "name"), Desc: formValue(c, "description"), Colour: formValue(c, "colour"),
		Group: formValue(c, "group"), Visibility: formValue(c, "visibility"), Errors: map[string]string{}}
}

// createAdminCategory creates a category from the admin area.
func (s *Server) createAdminCategory(c *fiber.Ctx) error {
	f := readCategoryForm(c)
	var g *auth.Group
	if f.Group != "" {
		var err error
		if g, err = s.auth.Group(c.UserContext(), f.Group); err != nil {
			return authNotFound(err)
		}
	}
	cat, err := s.createCategoryFrom(c, g, forum.Category{Name: f.Name, Description: f.Desc, Colour: f.Colour, Visibility: f.Visibility})
	if err != nil {
		if s.formFail(c, f.Errors, &f.Problems, err) {
			return s.renderAdminCategories(c, fiber.StatusBadRequest, f)
		}
		return err
	}
	return s.redirectWithFlash(c, "/admin/categories#cat-"+cat.ID, "flash.forum.category_created")
}

// createCategoryFrom is the one way categories are created (discussions
// page, admin area, API): rights, validation, storage, audit.
func (s *Server) createCategoryFrom(c *fiber.Ctx, g *auth.Group, cat forum.Category) (*forum.Category, error) {
	if !auth.CanManageCategories(currentMember(c), g) {
		return nil, forbidden()
	}
	if g != nil {
		if g.Archived {
			return nil, fault.New(fault.Invalid, "forum.error.group_archived").OnField("group")
		}
		cat.GroupID = g.ID
	}
	created, err := s.forum.CreateCategory(c.UserContext(), cat)
	if err != nil {
		return nil, err
	}
	s.audit(c, auditCategoryCreate, "", map[string]string{"category": created.Slug, "group": created.GroupID})
	return created, nil
}

// manageableCategory loads the :id category for those who look after it.
func (s *Server) manageableCategory(c *fiber.Ctx, cat *forum.Category, err error) (catInfo, error) {
	if err != nil {
		return catInfo{}, notFound(err)
	}
	ci, err := s.category(c, cat)
	if err != nil {
		return ci, err
	}
	m := currentMember(c)
	if !auth.CanManageCategories(m, ci.Group) {
		if !ci.canSee(m) {
			return ci, fault.New(fault.NotFound, "error.404")
		}
		return ci, forbidden()
	}
	return ci, nil
}

func (s *Server) categoryByIDParam(c *fiber.Ctx) (catInfo, error) {
	id := c.Params("id")
	if !validObjectID(id) {
		return catInfo{}, fault.New(fault.NotFound, "error.404")
	}
	cat, err := s.forum.Category(c.UserContext(), id)
	return s.manageableCategory(c, cat, err)
}

// editCategory shows one category's form.
func (s *Server) editCategory(c *fiber.Ctx) error {
	ci, err := s.categoryByIDParam(c)
	if err != nil {
		return err
	}
	f := categoryEditForm{Name: ci.Cat.Name, Desc: ci.Cat.Description, Colour: ci.Cat.Colour, Visibility: ci.Cat.Visibility, Errors: map[string]string{}}
	return s.renderCategoryForm(c, fiber.StatusOK, ci, f)
}

func (s *Server) renderCategoryForm(c *fiber.Ctx, status int, ci catInfo, f categoryEditForm) error {
	d := adminCategoriesData{Form: f, Colours: forum.Colours, Cat: ci.Cat}
	if ci.Group != nil {
		d.GroupName = ci.Group.NameIn(s.lang(c))
		d.Form.Visibility = string(ci.Group.Visibility)
	}
	p, err := s.adminPage(c, s.T(c, "admin.category.edit", ci.Cat.Name), "categories", d)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_category_form", p)
}

// saveCategory saves a category's name, description, colour and, for a
// portal-wide one, visibility.
func (s *Server) saveCategory(c *fiber.Ctx) error {
	ci, err := s.categoryByIDParam(c)
	if err != nil {
		return err
	}
	f := readCategoryForm(c)
	if err := s.saveCategoryFrom(c, ci, f.Name, f.Desc, f.Colour, f.Visibility); err != nil {
		if s.formFail(c, f.Errors, &f.Problems, err) {
			return s.renderCategoryForm(c, fiber.StatusBadRequest, ci, f)
		}
		return err
	}
	return s.redirectWithFlash(c, "/admin/categories#cat-"+ci.Cat.ID, "flash.forum.category_saved")
}

// saveCategoryFrom is the one way categories are changed (page and API).
func (s *Server) saveCategoryFrom(c *fiber.Ctx, ci catInfo, name, desc, colour, visibility string) error {
	upd := *ci.Cat
	upd.Name, upd.Description, upd.Colour = name, desc, colour
	if ci.Group == nil {
		if visibility != "public" && visibility != "members" {
			return fault.New(fault.Invalid, "forum.error.category_visibility").OnField("visibility")
		}
		upd.Visibility = visibility
	}
	if err := s.forum.UpdateCategory(c.UserContext(), upd); err != nil {
		return notFound(err)
	}
	details := map[string]string{"category": upd.Slug, "group": upd.GroupID}
	if upd.Visibility != ci.Cat.Visibility {
		details["visibility"] = ci.Cat.Visibility + "→" + upd.Visibility
	}
	s.audit(c, auditCategoryUpdate, "", details)
	return nil
}

// archiveCategory archives (archive=1) or restores a category.
func (s *Server) archiveCategory(c *fiber.Ctx) error {
	ci, err := s.categoryByIDParam(c)
	if err != nil {
		return err
	}
	archive := formValue(c, "archive") == "1"
	if ci.Cat.Slug == forum.GeneralSlug && archive {
		return fault.New(fault.Invalid, "forum.error.general_archived")
	}
	if err := s.forum.SetCategoryArchived(c.UserContext(), ci.Cat.ID, archive); err != nil {
		return notFound(err)
	}
	action, flash := auditCategoryRestore, "flash.forum.category_restored"
	if archive {
		action, flash = auditCategoryArchive, "flash.forum.category_archived"
	}
	s.audit(c, action, "", map[string]string{"category": ci.Cat.Slug, "group": ci.Cat.GroupID})
	return s.redirectWithFlash(c, "/admin/categories", flash)
}

// ---- API ----

// apiCreateCategory: POST /api/v1/categories, JSON name, description, group
// (a slug; empty is portal-wide), colour and, portal-wide, visibility.
func (s *Server) apiCreateCategory(c *fiber.Ctx) error {
	in := apiInput(c, "name", "description", "group", "colour", "visibility")
	var g *auth.Group
	if slug := strings.TrimSpace(in["group"]); slug != "" {
		var err error
		if !validSlug(slug) {
			return fault.New(fault.Invalid, "forum.error.group").OnField("group")
		}
		if g, err = s.auth.GroupBySlug(c.UserContext(), slug); err != nil || !auth.CanFindGroup(currentMember(c), g) {
			return fault.New(fault.Invalid, "forum.error.group").OnField("group")
		}
	}
	cat, err := s.createCategoryFrom(c, g, forum.Category{Name: in["name"], Description: in["description"], Colour: in["colour"], Visibility: in["visibility"]})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cat)
}

// apiSaveCategory: PATCH /api/v1/categories/{slug} changes the fields the
// JSON names (name, description, colour, visibility).
func (s *Server) apiSaveCategory(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !validSlug(slug) {
		return fault.New(fault.NotFound, "error.404")
	}
	cat, err := s.forum.CategoryBySlug(c.UserContext(), slug)
	ci, err := s.manageableCategory(c, cat, err)
	if err != nil {
		return err
	}
	in := apiInput(c, "name", "description", "colour", "visibility")
	form := !strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationJSON)
	pick := func(k, cur string) string {
		// A form-encoded PATCH, like JSON, changes only the fields it sends.
		if v, ok := in[k]; ok && (!form || c.Request().PostArgs().Has(k)) {
			return v
		}
		return cur
	}
	if err := s.saveCategoryFrom(c, ci, pick("name", cat.Name), pick("description", cat.Description), pick("colour", cat.Colour), pick("visibility", cat.Visibility)); err != nil {
		return err
	}
	updated, err := s.forum.Category(c.UserContext(), cat.ID)
	if err != nil {
		return err
	}
	return c.JSON(updated)
}
