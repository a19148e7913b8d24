package server

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/resources"
)

// showResourceEdit shows the metadata form filled with the resource.
func (s *Server) showResourceEdit(c *fiber.Ctx) error {
	r, err := s.editableResource(c)
	if err != nil {
		return err
	}
	vals := fieldValues{
		"title": {r.Title}, "summary": {r.Summary}, "type": {r.Type}, "stages": r.Stages, "products": r.Products,
		"themes": r.Themes, "frameworks": r.Frameworks, "ambition": {r.Ambition}, "languages": r.Languages,
		"country": {r.Country}, "organisation": {r.Organisation}, "licence": {r.Licence}, "award": {r.Award},
		"visibility": {string(r.Visibility)}, "group": {r.GroupID},
	}
	if r.Year != 0 {
		vals["year"] = []string{itoa(r.Year)}
	}
	for _, t := range r.Translations {
		vals["title_"+t.Lang], vals["summary_"+t.Lang] = []string{t.Title}, []string{t.Summary}
	}
	return s.renderResourceForm(c, fiber.StatusOK, resourceFormData{Edit: true, ID: r.ID, Action: "/library/" + r.ID + "/edit", Values: vals}, nil)
}

// saveResource stores edited metadata (owner or moderator).
func (s *Server) saveResource(c *fiber.Ctx) error {
	r, err := s.editableResource(c)
	if err != nil {
		return err
	}
	args := c.Context().PostArgs()
	vals := fieldValues{}
	args.VisitAll(func(k, v []byte) { vals[string(k)] = append(vals[string(k)], string(v)) })
	list := func(name string) []string {
		var out []string
		for _, v := range vals[name] {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	meta := metaFrom(func(n string) string { return strings.TrimSpace(vals.Get(n)) }, list)
	err = s.checkGroup(c, meta)
	var updated *resources.Resource
	if err == nil {
		updated, err = s.lib.Update(c.UserContext(), r.ID, meta)
	}
	if err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.renderResourceForm(c, fiber.StatusBadRequest, resourceFormData{Edit: true, ID: r.ID, Action: c.Path(), Values: vals}, err)
		}
		return err
	}
	if updated.Visibility != r.Visibility || updated.GroupID != r.GroupID {
		// Its discussion follows it, so the thread never shows the
		// resource's title to readers the resource is no longer for.
		if _, _, err := s.placeResourceThread(c, updated); err != nil {
			return err
		}
	}
	return s.redirectWithFlash(c, "/library/"+r.ID, "flash.resource_saved")
}

// saveResourceLink adds a typed link to another resource.
func (s *Server) saveResourceLink(c *fiber.Ctx) error {
	r, err := s.editableResource(c)
	if err != nil {
		return err
	}
	target := strings.TrimSpace(formValue(c, "target"))
	// Members paste the other resource's address; keep its ID.
	if i := strings.LastIndex(target, "/library/"); i >= 0 {
		target = strings.Trim(target[i+len("/library/"):], "/")
	}
	kind := resources.LinkKind(formValue(c, "kind"))
	// Members link resources they can see; "produced by" (a workshop) and
	// "discussed in" (a thread) are the portal's own links, never typed, so
	// nobody ties a resource to a workshop or thread they may not see.
	if !slices.Contains(resources.LinkKinds[:3], kind) {
		return s.redirectWithFlash(c, "/library/"+r.ID+"#links", "flash.link_refused")
	}
	if ok, err := s.canSeeResource(c.UserContext(), currentMember(c), target); err != nil {
		return err
	} else if !ok {
		return s.redirectWithFlash(c, "/library/"+r.ID+"#links", "flash.link_refused")
	}
	if err := s.lib.AddLink(c.UserContext(), r.ID, resources.Link{Kind: kind, Target: target}); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			return s.redirectWithFlash(c, "/library/"+r.ID+"#links", "flash.link_refused")
		}
		return err
	}
	return s.redirectWithFlash(c, "/library/"+r.ID+"#links", "flash.link_added")
}
