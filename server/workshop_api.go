package server

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// workshopRequest is the JSON body of POST /api/v1/workshops.
type workshopRequest struct {
	Title        string                 `json:"title"`
	Description  string                 `json:"description"`
	Format       workshops.Format       `json:"format"`
	Group        string                 `json:"group"` // id or slug
	StartsAt     string                 `json:"starts_at"`
	EndsAt       string                 `json:"ends_at"`
	TimeZone     string                 `json:"time_zone"`
	Capacity     int                    `json:"capacity"`
	Languages    []string               `json:"languages"`
	Agenda       []workshops.AgendaItem `json:"agenda"`
	Polls        []workshops.Poll       `json:"polls"`
	Series       string                 `json:"series"`
	RunSheet     []workshops.Step       `json:"run_sheet"`
	Facilitators []string               `json:"facilitators"`
	VideoURL     string                 `json:"video_url"`
	Materials    []string               `json:"materials"`
	WaitingRoom  bool                   `json:"waiting_room"`
	WaitingChat  bool                   `json:"waiting_chat"`
}

// groupForWorkshop resolves a group by ID or slug ("" is no group).
func (s *Server) groupForWorkshop(c *fiber.Ctx, ref string) (*auth.Group, error) {
	if ref == "" {
		return nil, nil
	}
	g, err := s.auth.Group(c.UserContext(), ref)
	if errors.Is(err, auth.ErrNotFound) {
		g, err = s.auth.GroupBySlug(c.UserContext(), ref)
	}
	if errors.Is(err, auth.ErrNotFound) {
		return nil, fault.New(fault.Invalid, "workshops.error.group").OnField("group")
	}
	return g, err
}

// createWorkshopAPI is POST /api/v1/workshops.
func (s *Server) createWorkshopAPI(c *fiber.Ctx) error {
	if !auth.CanCreateWorkshop(currentMember(c), nil) {
		return fault.New(fault.Forbidden, "error.403")
	}
	var req workshopRequest
	if err := c.BodyParser(&req); err != nil {
		return fault.Wrap(fault.Invalid, err, "error.400")
	}
	in := workshops.Input{Title: req.Title, Description: req.Description, Format: req.Format, TimeZone: req.TimeZone,
		Capacity: req.Capacity, Languages: req.Languages, Agenda: req.Agenda, Polls: req.Polls, Series: req.Series, Facilitators: req.Facilitators,
		VideoURL: req.VideoURL, Materials: req.Materials, WaitingRoom: req.WaitingRoom, WaitingChat: req.WaitingChat}
	var err error
	if in.StartsAt, err = time.Parse(time.RFC3339, req.StartsAt); err != nil {
		return fault.New(fault.Invalid, "workshops.error.times").OnField("starts_at")
	}
	if in.EndsAt, err = time.Parse(time.RFC3339, req.EndsAt); err != nil {
		return fault.New(fault.Invalid, "workshops.error.times").OnField("ends_at")
	}
	if len(req.RunSheet) > 0 {
		// Checked against the workshop-to-be before anything is stored.
		probe := &workshops.Workshop{Agenda: in.Agenda, Polls: in.Polls}
		if _, err := workshops.ValidateRunSheet(probe, req.RunSheet); err != nil {
			return err
		}
	}
	w, err := s.createWorkshop(c, req.Group, in)
	if err != nil {
		return err
	}
	if len(req.RunSheet) > 0 {
		if _, err := s.workshops.SetRunSheet(c.UserContext(), w, req.RunSheet); err != nil {
			return err
		}
	}
	return c.Status(fiber.StatusCreated).JSON(w)
}

// createWorkshop checks the right to create in the group and stores.
func (s *Server) createWorkshop(c *fiber.Ctx, groupRef string, in workshops.Input) (*workshops.Workshop, error) {
	m := currentMember(c)
	g, err := s.groupForWorkshop(c, groupRef)
	if err != nil {
		return nil, err
	}
	if !auth.CanCreateWorkshop(m, g) {
		return nil, fault.New(fault.Forbidden, "error.403")
	}
	if g != nil {
		in.GroupID = g.ID
	}
	// Co-facilitators must be approved members.
	if len(in.Facilitators) > 0 {
		found, err := s.auth.MembersByID(c.UserContext(), in.Facilitators)
		if err != nil {
			return nil, err
		}
		for _, id := range in.Facilitators {
			if !found[id].Approved() {
				return nil, fault.New(fault.Invalid, "workshops.error.facilitator").OnField("facilitators")
			}
			// A group's workshop is run by people of the group.
			if g != nil && !slices.Contains(g.Members, id) && !slices.Contains(g.Coordinators, id) {
				return nil, fault.New(fault.Invalid, "workshops.error.facilitator_group").OnField("facilitators")
			}
		}
	}
	return s.workshops.Create(c.UserContext(), m.ID, in)
}

// participantWorkshop is a workshop as its participants get it: the
// prepared polls and the run-sheet are the facilitators' (the run-sheet page
// answers 403 to others, and the room shows a poll only once it is opened).
// The empty fields shadow the embedded ones, so the keys are left out.
type participantWorkshop struct {
	*workshops.Workshop
	Polls    []workshops.Poll `json:"polls,omitempty"`
	RunSheet []workshops.Step `json:"run_sheet,omitempty"`
}

// showWorkshopAPI is GET /api/v1/workshops/:id.
func (s *Server) showWorkshopAPI(c *fiber.Ctx) error {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	m := currentMember(c)
	fac := auth.CanFacilitate(m, acc)
	out := fiber.Map{"workshop": w, "facilitator": fac, "live_url": "/api/v1/workshops/" + w.ID + "/live"}
	if !fac {
		out["workshop"] = participantWorkshop{Workshop: w}
	}
	if r, err := s.workshops.Registration(c.UserContext(), w.ID, m.ID); err == nil {
		out["registration"] = r
	}
	return c.JSON(out)
}

// registerWorkshopAPI is POST /api/v1/workshops/:id/registrations: the
// caller registers (or joins the waiting list).
func (s *Server) registerWorkshopAPI(c *fiber.Ctx) error {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return err
	}
	if !auth.CanRegisterWorkshop(currentMember(c), acc) {
		return fault.New(fault.Forbidden, "error.403")
	}
	// An optional JSON body {"show_name": true} gives consent to be named
	// in the outcome, as the page's checkbox does.
	var req struct {
		ShowName *bool `json:"show_name"`
	}
	if body := c.Body(); len(body) > 0 && strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationJSON) {
		if err := json.Unmarshal(body, &req); err != nil {
			return fault.Wrap(fault.Invalid, err, "error.400")
		}
	}
	r, err := s.workshops.Register(c.UserContext(), w, currentMember(c).ID)
	if err != nil {
		return err
	}
	if req.ShowName != nil {
		if err := s.workshops.SetShowName(c.UserContext(), w.ID, r.MemberID, *req.ShowName); err != nil {
			return err
		}
		r.ShowName = *req.ShowName
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// cancelRegistrationAPI is DELETE /api/v1/workshops/:id/registrations.
func (s *Server) cancelRegistrationAPI(c *fiber.Ctx) error {
	if _, err := s.cancelRegistration(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// cancelRegistration cancels the current member's registration for the
// workshop in the path and tells whoever it moved up from the waiting
// list; the page and the API answer it each their way.
func (s *Server) cancelRegistration(c *fiber.Ctx) (*workshops.Workshop, error) {
	w, _, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return nil, err
	}
	if err := s.core.CancelRegistration(reqCtx(c), w, currentMember(c).ID); err != nil {
		return nil, err
	}
	return w, nil
}

// openWorkshopAPI and closeWorkshopAPI let facilitators open the room
// early or close it: POST /api/v1/workshops/:id/open and /close.
func (s *Server) openWorkshopAPI(c *fiber.Ctx) error  { return s.setRoomOpen(c, "room.open") }
func (s *Server) closeWorkshopAPI(c *fiber.Ctx) error { return s.setRoomOpen(c, "room.close") }

func (s *Server) setRoomOpen(c *fiber.Ctx, typ string) error {
	seq, err := s.roomOpen(c, typ)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"seq": seq, "open": strings.TrimPrefix(typ, "room.") == "open"})
}

func (s *Server) roomOpen(c *fiber.Ctx, typ string) (int64, error) {
	w, acc, err := s.workshopFor(c, c.Params("id"))
	if err != nil {
		return 0, err
	}
	m := currentMember(c)
	if !auth.CanFacilitate(m, acc) {
		return 0, fault.New(fault.Forbidden, "error.403")
	}
	seq, err := s.live.Do(c.UserContext(), w.ID, live.Person{ID: m.ID, Name: m.Name, Organisation: m.Organisation, Role: live.RoleFacilitator}, typ)
	if err != nil || typ != "room.close" {
		return seq, err
	}
	// Closing the room assembles the outcome draft for the facilitator to
	// review; the room's events are stored, so the draft includes them. The
	// room is closed either way: a draft that failed here is assembled when
	// the review page or the API first asks for it.
	if _, err := s.core.AssembleOutcome(reqCtx(c), s.lang(c), w, m.ID); err != nil {
		s.log.Warn("outcome not assembled at close", "err", err, "workshop", w.ID, "request_id", requestID(c))
	}
	return seq, nil
}
