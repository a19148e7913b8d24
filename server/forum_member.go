package server

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/forum"
)

type noteView struct {
	N    *forum.Notification
	Line string
	At   string
}

// listNotifications shows the member's notifications (the bell's page).
func (s *Server) listNotifications(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m := currentMember(c)
	page, err := strconv.Atoi(c.Query("page"))
	if err != nil {
		page = 1 // not a number, or out of range (Atoi then gives the bound)
	}
	ns, total, err := s.forum.NotificationsPage(ctx, m.ID, page, notificationsPerPage)
	if err != nil {
		return err
	}
	d := notificationsData{Pages: max((total+notificationsPerPage-1)/notificationsPerPage, 1)}
	d.Page = min(max(page, 1), d.Pages)
	if d.Page > 1 {
		d.Prev = "/discussions/notifications?page=" + strconv.Itoa(d.Page-1)
		if d.Page == 2 {
			d.Prev = "/discussions/notifications"
		}
	}
	if d.Page < d.Pages {
		d.Next = "/discussions/notifications?page=" + strconv.Itoa(d.Page+1)
	}
	if ns, err = s.core.VisibleNotes(ctx, m, ns); err != nil {
		return err
	}
	ids := make([]string, 0, len(ns))
	for _, n := range ns {
		ids = append(ids, n.ActorID)
	}
	actors, err := s.auth.MembersByID(ctx, ids)
	if err != nil {
		return err
	}
	lang := s.lang(c)
	d.Items = make([]noteView, len(ns))
	for i, n := range ns {
		d.Items[i] = noteView{N: n, Line: s.core.NoteLine(lang, n, actors), At: n.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")}
	}
	return s.render(c, fiber.StatusOK, "forum_notifications", s.newPage(c, s.T(c, "forum.notifications.title"), "discussions", d))
}

// notificationsPerPage is the notifications of one page of the inbox's
// 100 latest: each shown costs up to three lookups by _id (it, its thread,
// its actor), about 300 for the 100 on one page at full scale.
const notificationsPerPage = 25

type notificationsData struct {
	Items []noteView
	// Page of Pages is the one shown; Prev and Next link its neighbours.
	Page, Pages int
	Prev, Next  string
}

// readNotifications marks every notification read.
func (s *Server) readNotifications(c *fiber.Ctx) error {
	if err := s.forum.MarkNotificationsRead(c.UserContext(), currentMember(c).ID, ""); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/discussions/notifications", "flash.forum.saved")
}

type settingsData struct {
	Email  string
	Modes  []string
	Mail   bool
	Errors map[string]string
}

// showForumSettings shows the e-mail choice for notifications.
func (s *Server) showForumSettings(c *fiber.Ctx) error {
	p, err := s.forum.Prefs(c.UserContext(), currentMember(c).ID)
	if err != nil {
		return err
	}
	d := settingsData{Email: p.Email, Modes: forum.EmailModes, Mail: s.cfg.SMTP.Enabled()}
	return s.render(c, fiber.StatusOK, "forum_settings", s.newPage(c, s.T(c, "forum.settings.title"), "discussions", d))
}

// saveForumSettings stores the e-mail choice.
func (s *Server) saveForumSettings(c *fiber.Ctx) error {
	mode := formValue(c, "email")
	if err := s.forum.SetEmail(c.UserContext(), currentMember(c).ID, mode); err != nil {
		if field, msg, ok := s.fieldError(c, err); ok {
			d := settingsData{Email: forum.DefaultEmail, Modes: forum.EmailModes, Mail: s.cfg.SMTP.Enabled(), Errors: map[string]string{field: msg}}
			return s.render(c, fiber.StatusBadRequest, "forum_settings", s.newPage(c, s.T(c, "forum.settings.title"), "discussions", d))
		}
		return err
	}
	return s.redirectWithFlash(c, "/discussions/settings", "flash.forum.saved")
}

// saveThreadLevel sets watch, track or mute for a thread.
func (s *Server) saveThreadLevel(c *fiber.Ctx) error {
	t, _, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	if err := s.forum.SetLevel(c.UserContext(), currentMember(c).ID, t.ID, formValue(c, "level")); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/threads/"+t.ID, "flash.forum.saved")
}

// saveCategoryLevel sets watch, track or mute for a category.
func (s *Server) saveCategoryLevel(c *fiber.Ctx) error {
	ci, err := s.categoryBySlug(c, c.Params("slug"))
	if err != nil {
		return err
	}
	if err := s.forum.SetLevel(c.UserContext(), currentMember(c).ID, ci.Cat.ID, formValue(c, "level")); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/discussions/c/"+ci.Cat.Slug, "flash.forum.saved")
}

type unsubscribeData struct {
	Token string
	Scope string
	Title string
	Done  bool
}

// showUnsubscribe confirms what an e-mail's unsubscribe link does. GET
// changes nothing: mail scanners open links; the button (or a mail
// client's RFC 8058 one-click POST) does it, without signing in.
func (s *Server) showUnsubscribe(c *fiber.Ctx) error {
	d, err := s.unsubscribeTarget(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "forum_unsubscribe", s.newPage(c, s.T(c, "forum.unsubscribe.title"), "", d))
}

func (s *Server) unsubscribeTarget(c *fiber.Ctx) (*unsubscribeData, error) {
	tok := c.Params("token")
	_, scope, target, ok := s.signer.Verify(tok)
	if !ok {
		return nil, fault.New(fault.NotFound, "forum.unsubscribe.invalid")
	}
	d := &unsubscribeData{Token: tok, Scope: scope}
	if scope == forum.ScopeThread {
		t, err := s.forum.Thread(c.UserContext(), target)
		if err != nil {
			return nil, notFound(err)
		}
		d.Title = t.Title
	}
	return d, nil
}

// unsubscribe turns discussion e-mail off, or mutes one thread.
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	d, err := s.unsubscribeTarget(c)
	if err != nil {
		return err
	}
	memberID, scope, target, _ := s.signer.Verify(d.Token)
	if _, err := s.auth.Member(c.UserContext(), memberID); err != nil {
		return notFound(err)
	}
	if scope == forum.ScopeThread {
		err = s.forum.SetLevel(c.UserContext(), memberID, target, forum.Mute)
	} else {
		err = s.forum.SetEmail(c.UserContext(), memberID, forum.EmailOff)
	}
	if err != nil {
		return err
	}
	d.Done = true
	if strings.Contains(string(c.Request().Body()), "List-Unsubscribe=One-Click") {
		return c.SendStatus(fiber.StatusOK)
	}
	return s.render(c, fiber.StatusOK, "forum_unsubscribe", s.newPage(c, s.T(c, "forum.unsubscribe.title"), "", d))
}

// listMentionCandidates answers the composer's @-autocomplete: approved
// members whose name starts a word with the typed text (at most 8).
func (s *Server) listMentionCandidates(c *fiber.Ctx) error {
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	type cand struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Org  string `json:"organisation"`
	}
	out := []cand{}
	if len([]rune(q)) < 2 || len(q) > 60 {
		return c.JSON(out)
	}
	ms, err := s.auth.RecentMembers(c.UserContext(), 2000)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !auth.CanListMembers(currentMember(c)) || len(out) == 8 {
			break
		}
		name := strings.ToLower(m.Name)
		if strings.HasPrefix(name, q) || strings.Contains(name, " "+q) {
			out = append(out, cand{ID: m.ID, Name: m.Name, Org: m.Organisation})
		}
	}
	return c.JSON(out)
}

// discussResource opens the thread of a library resource, creating it on
// first use (the library's "Discuss" button posts here) in a category no
// wider than the resource (resourcePlace, placeResourceThread). Where there
// is none, or the member may not open or start the thread there, 403.
func (s *Server) discussResource(c *fiber.Ctx) error {
	if s.cards == nil || !validObjectID(c.Params("id")) {
		return fault.New(fault.NotFound, "error.404")
	}
	r, _, err := s.visibleResource(c)
	if err != nil {
		return err
	}
	if r.Withdrawn != nil {
		return fault.New(fault.NotFound, "error.404")
	}
	m := currentMember(c)
	t, place, err := s.placeResourceThread(c, r)
	if err != nil {
		return err
	}
	if t != nil {
		if !canOpenResourceThread(m, t, place) {
			return forbidden() // the discussion stays where it was started, narrower
		}
		return c.Redirect("/threads/"+t.ID, fiber.StatusSeeOther)
	}
	if place == nil || !auth.CanPost(m, place.Group, place.Cat.Visibility) {
		return forbidden()
	}
	t, created, err := s.forum.EnsureResourceThread(c.UserContext(), forum.NewThread{Category: place.Cat, AuthorID: m.ID,
		Title: s.T(c, "forum.resource.title", r.Title), Body: s.T(c, "forum.resource.body", r.Title, "/library/"+r.ID), ResourceID: r.ID})
	if err != nil {
		return err
	}
	if created {
		if p, err := s.forum.Post(c.UserContext(), t.ID, 1); err == nil {
			s.core.AfterPost(reqCtx(c), t, place.canSee, p)
		}
	}
	return c.Redirect("/threads/"+t.ID, fiber.StatusSeeOther)
}
