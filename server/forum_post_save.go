package server

import (
	"fmt"
	"html/template"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

// postPreview is a post as it will read once sent: its sanitised HTML and
// the cards of the library resources it links that the writer may see,
// the same rendering as the posted result.
type postPreview struct {
	HTML  template.HTML
	Cards []ResourceCard
}

// preview renders body for the member writing it.
func (s *Server) preview(c *fiber.Ctx, body string) (*postPreview, error) {
	pv := &postPreview{HTML: template.HTML(s.forum.Renderer().HTML(body))} // #nosec: sanitised
	ids := forum.ResourceLinks(body)
	if s.cards == nil || len(ids) == 0 {
		return pv, nil
	}
	cards, err := s.cards.Cards(c.UserContext(), currentMember(c), ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if card, ok := cards[id]; ok {
			pv.Cards = append(pv.Cards, card)
		}
	}
	return pv, nil
}

// previewCtx passes the page, the preview and its heading level to the
// "preview" partial.
type previewCtx struct {
	P *Page
	V *postPreview
	H int // 2 on the new-thread page, 3 under the reply form's heading
}

type threadForm struct {
	Cat     *forum.Category
	Title   string
	Body    string
	Kind    string
	Tags    string
	Preview *postPreview
	Errors  map[string]string
}

// showThreadForm shows the form that starts a thread in a category.
func (s *Server) showThreadForm(c *fiber.Ctx) error {
	ci, err := s.categoryBySlug(c, c.Params("slug"))
	if err != nil {
		return err
	}
	if !auth.CanPost(currentMember(c), ci.Group, ci.Cat.Visibility) {
		return forbidden()
	}
	f := &threadForm{Cat: ci.Cat, Kind: forum.KindDiscussion}
	return s.render(c, fiber.StatusOK, "forum_thread_new", s.newPage(c, s.T(c, "forum.new.title", ci.Cat.Name), "discussions", f))
}

// createThread starts a thread; "preview" shows the rendered post with the
// form instead of saving.
func (s *Server) createThread(c *fiber.Ctx) error {
	ci, err := s.categoryBySlug(c, c.Params("slug"))
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanPost(m, ci.Group, ci.Cat.Visibility) {
		return forbidden()
	}
	f := &threadForm{Cat: ci.Cat, Title: formValue(c, "title"), Body: formValue(c, "body"), Kind: formValue(c, "kind"), Tags: formValue(c, "tags")}
	page := func(status int) error {
		return s.render(c, status, "forum_thread_new", s.newPage(c, s.T(c, "forum.new.title", ci.Cat.Name), "discussions", f))
	}
	if formValue(c, "preview") != "" {
		if f.Preview, err = s.preview(c, f.Body); err != nil {
			return err
		}
		return page(fiber.StatusOK)
	}
	t, p, err := s.startThread(c, m, ci, f.Title, f.Body, f.Kind, f.Tags, "")
	if err != nil {
		if field, msg, ok := s.fieldError(c, err); ok {
			f.Errors = map[string]string{field: msg}
			return page(fiber.StatusBadRequest)
		}
		return err
	}
	flash := "flash.forum.thread_created"
	if p.Held {
		flash = "flash.forum.held"
	}
	return s.redirectWithFlash(c, "/threads/"+t.ID, flash)
}

// startThread is thread creation shared by the page, the API and resource
// discussions: hold decision, storage, notifications.
func (s *Server) startThread(c *fiber.Ctx, m *auth.Member, ci catInfo, title, body, kind, tags, resourceID string) (*forum.Thread, *forum.Post, error) {
	if ci.Cat.Archived {
		return nil, nil, errCategoryArchived()
	}
	held, err := s.holdPost(c, m, ci)
	if err != nil {
		return nil, nil, err
	}
	t, p, err := s.forum.CreateThread(c.UserContext(), forum.NewThread{Category: ci.Cat, AuthorID: m.ID, Title: title, Body: body, Kind: kind, Tags: tags, Held: held, ResourceID: resourceID})
	if err != nil {
		return nil, nil, err
	}
	_ = s.forum.MarkRead(c.UserContext(), m.ID, t.ID, 1)
	s.core.AfterPost(reqCtx(c), t, ci.canSee, p)
	return t, p, nil
}

// createPost replies in a thread (or previews the reply).
func (s *Server) createPost(c *fiber.Ctx) error {
	t, ci, err := s.threadByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if !auth.CanReply(m, ci.Group, ci.Cat.Visibility, t.Closed, t.Locked) {
		return forbidden()
	}
	f := &postForm{Body: formValue(c, "body")}
	if formValue(c, "preview") != "" {
		if f.Preview, err = s.preview(c, f.Body); err != nil {
			return err
		}
		c.Request().URI().QueryArgs().Set("page", strconv.Itoa(t.Pages()))
		return s.renderThread(c, fiber.StatusOK, t, ci, f)
	}
	p, err := s.reply(c, m, t, ci, f.Body)
	if err != nil {
		if field, msg, ok := s.fieldError(c, err); ok {
			f.Errors = map[string]string{field: msg}
			c.Request().URI().QueryArgs().Set("page", strconv.Itoa(t.Pages()))
			return s.renderThread(c, fiber.StatusBadRequest, t, ci, f)
		}
		return err
	}
	flash := ""
	if p.Held {
		flash = "flash.forum.held"
	}
	return s.redirectWithFlash(c, postPath(t.ID, p.N), flash)
}

// reply stores a reply and tells everyone concerned.
func (s *Server) reply(c *fiber.Ctx, m *auth.Member, t *forum.Thread, ci catInfo, body string) (*forum.Post, error) {
	if ci.Cat.Archived {
		return nil, errCategoryArchived()
	}
	held, err := s.holdPost(c, m, ci)
	if err != nil {
		return nil, err
	}
	p, err := s.forum.Reply(c.UserContext(), t.ID, m.ID, body, held, timeZero)
	if err != nil {
		return nil, err
	}
	_ = s.forum.MarkRead(c.UserContext(), m.ID, t.ID, p.N)
	s.core.AfterPost(reqCtx(c), t, ci.canSee, p)
	return p, nil
}

// previewPost renders Markdown for the composer's preview (JSON).
func (s *Server) previewPost(c *fiber.Ctx) error {
	body := formValue(c, "body")
	if len(body) == 0 {
		var in struct {
			Body string `json:"body"`
		}
		_ = c.BodyParser(&in)
		body = in.Body
	}
	if _, err := forum.ValidateBody(body); err != nil {
		return err
	}
	pv, err := s.preview(c, body)
	if err != nil {
		return err
	}
	// The composer's script asks for the rendered section, to put it in
	// place without a reload; API clients get JSON.
	if c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) == fiber.MIMETextHTML {
		h := 3
		if formValue(c, "level") == "2" {
			h = 2
		}
		return s.renderFragment(c, "forum_thread", "preview", previewCtx{P: s.newPage(c, "", "", nil), V: pv, H: h})
	}
	return c.JSON(fiber.Map{"html": pv.HTML, "cards": pv.Cards})
}

type editData struct {
	T    *forum.Thread
	N    int
	Form *postForm
}

// showPostEdit shows the edit form of a post.
func (s *Server) showPostEdit(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	if p.Deleted || !auth.CanEditPost(currentMember(c), ci.Group, p.AuthorID, t.Locked) {
		return forbidden()
	}
	d := editData{T: t, N: p.N, Form: &postForm{Body: p.Body, Action: fmt.Sprintf("/threads/%s/posts/%d/edit", t.ID, p.N)}}
	return s.render(c, fiber.StatusOK, "forum_post_edit", s.newPage(c, s.T(c, "forum.edit.title"), "discussions", d))
}

// savePost stores an edit; the previous text goes to the visible history.
func (s *Server) savePost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if p.Deleted || !auth.CanEditPost(m, ci.Group, p.AuthorID, t.Locked) {
		return forbidden()
	}
	f := &postForm{Body: formValue(c, "body"), Action: fmt.Sprintf("/threads/%s/posts/%d/edit", t.ID, p.N)}
	d := editData{T: t, N: p.N, Form: f}
	if formValue(c, "preview") != "" {
		if f.Preview, err = s.preview(c, f.Body); err != nil {
			return err
		}
		return s.render(c, fiber.StatusOK, "forum_post_edit", s.newPage(c, s.T(c, "forum.edit.title"), "discussions", d))
	}
	if _, err := s.forum.EditPost(c.UserContext(), t.ID, p.N, m.ID, f.Body); err != nil {
		if field, msg, ok := s.fieldError(c, err); ok {
			f.Errors = map[string]string{field: msg}
			return s.render(c, fiber.StatusBadRequest, "forum_post_edit", s.newPage(c, s.T(c, "forum.edit.title"), "discussions", d))
		}
		return err
	}
	s.postChanged(c, ci, t, p, m, "edit", "")
	return s.redirectWithFlash(c, postPath(t.ID, p.N), "flash.forum.saved")
}

// deletePost soft-deletes a post (author or moderator).
func (s *Server) deletePost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if p.Deleted || !auth.CanDeletePost(m, ci.Group, p.AuthorID, t.Locked) {
		return forbidden()
	}
	reason, err := forum.ValidateReason(formValue(c, "reason"), false)
	if err != nil {
		return err
	}
	if err := s.forum.DeletePost(c.UserContext(), t.ID, p.N, m.ID); err != nil {
		return err
	}
	s.postChanged(c, ci, t, p, m, "delete", reason)
	return s.redirectWithFlash(c, postPath(t.ID, p.N), "flash.forum.deleted")
}

// reactPost toggles a reaction; scripts get JSON, forms a redirect.
func (s *Server) reactPost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if p.Deleted || p.Hidden || p.Held || !auth.CanReact(m, ci.Group, ci.Cat.Visibility, t.Locked) {
		return forbidden()
	}
	on, err := s.forum.React(c.UserContext(), t.ID, p.N, m.ID, formValue(c, "reaction"))
	if err != nil {
		return err
	}
	s.forumLive.Publish("thread."+t.ID, liveEvent{Type: "react", Thread: t.ID, N: p.N})
	if s.wantsJSON(c) {
		return c.JSON(fiber.Map{"on": on})
	}
	return c.Redirect(postPath(t.ID, p.N), fiber.StatusSeeOther)
}

// acceptPost marks (or, with undo, clears) the accepted answer.
func (s *Server) acceptPost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if t.Kind != forum.KindQuestion || p.N < 2 || !p.Visible() || t.Locked || !auth.CanAcceptAnswer(m, ci.Group, t.AuthorID) {
		return forbidden()
	}
	n := p.N
	if formValue(c, "undo") != "" {
		n = 0
	}
	if err := s.forum.Accept(c.UserContext(), t.ID, n); err != nil {
		return err
	}
	if m.ID != t.AuthorID {
		s.audit(c, "forum_answer_accepted", t.AuthorID, map[string]string{"thread": t.ID, "post": strconv.Itoa(p.N)})
	}
	if n > 0 && p.AuthorID != m.ID {
		s.core.Deliver(reqCtx(c), ci.canSee, []*forum.Notification{{MemberID: p.AuthorID, Kind: forum.NoteAccepted, ThreadID: t.ID, Title: t.Title, N: p.N, ActorID: m.ID}})
	}
	s.forumLive.Publish("thread."+t.ID, liveEvent{Type: "edit", Thread: t.ID, N: p.N})
	return s.redirectWithFlash(c, postPath(t.ID, p.N), "flash.forum.saved")
}

// flagPost records a member's flag for the moderators' queue.
func (s *Server) flagPost(c *fiber.Ctx) error {
	t, ci, p, err := s.postByParam(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if p.Deleted || p.AuthorID == m.ID || !auth.CanFlag(m, ci.Group, ci.Cat.Visibility) {
		return forbidden()
	}
	if err := s.forum.CreateFlag(c.UserContext(), p, m.ID, formValue(c, "reason"), formValue(c, "note")); err != nil {
		return err
	}
	s.audit(c, "forum_post_flagged", p.AuthorID, map[string]string{"thread": t.ID, "post": strconv.Itoa(p.N), "reason": formValue(c, "reason")})
	return s.redirectWithFlash(c, postPath(t.ID, p.N), "flash.forum.flagged")
}

// postChanged refreshes the thread's open pages after an edit or deletion
// and, when someone else (a moderator) made it, audits it and tells the
// author why.
func (s *Server) postChanged(c *fiber.Ctx, ci catInfo, t *forum.Thread, p *forum.Post, by *auth.Member, action, reason string) {
	if by.ID != p.AuthorID {
		detail := map[string]string{"thread": t.ID, "post": strconv.Itoa(p.N)}
		if action == "delete" {
			detail["reason"] = reason
		}
		s.audit(c, "forum_post_"+action+"d", p.AuthorID, detail)
		s.notifyModeration(c, ci, t, p.N, p.AuthorID, action, reason)
	}
	s.forumLive.Publish("thread."+t.ID, liveEvent{Type: "edit", Thread: t.ID, N: p.N})
}
