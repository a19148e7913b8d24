package server

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/fault"
)

// groupJSON is a group as the API shows it to those who run it.
type groupJSON struct {
	ID           string            `json:"id"`
	Slug         string            `json:"slug"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Names        map[string]string `json:"names,omitempty"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	Visibility   auth.Visibility   `json:"visibility"`
	Join         string            `json:"join"`
	Coordinators []string          `json:"coordinators"`
	Archived     bool              `json:"archived"`
}

func apiGroup(g *auth.Group) groupJSON {
	join := string(g.JoinPolicy)
	if g.JoinPolicy == auth.JoinInvitation {
		join = "invite" // the API's word
	}
	return groupJSON{ID: g.ID, Slug: g.Slug, Name: g.Name, Description: g.Description, Names: g.Names, Descriptions: g.Descriptions,
		Visibility: g.Visibility, Join: join, Coordinators: g.Coordinators, Archived: g.Archived}
}

// groupBody is the JSON the group API reads; absent fields are nil, so a
// PATCH changes only what it names.
type groupBody struct {
	Slug         *string           `json:"slug"`
	Name         *string           `json:"name"`
	Description  *string           `json:"description"`
	Names        map[string]string `json:"names"`
	Descriptions map[string]string `json:"descriptions"`
	Visibility   *string           `json:"visibility"`
	Join         *string           `json:"join"`
	Coordinator  *string           `json:"coordinator"` // e-mail address, on create
}

func readGroupBody(c *fiber.Ctx) (groupBody, error) {
	var b groupBody
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return b, fault.New(fault.Invalid, "api.error.json")
	}
	return b, nil
}

// apply sets the fields the body names on in.
func (b groupBody) apply(in *auth.GroupInput) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Slug, b.Slug)
	set(&in.Name, b.Name)
	set(&in.Description, b.Description)
	if b.Visibility != nil {
		in.Visibility = auth.Visibility(*b.Visibility)
	}
	if b.Join != nil {
		in.JoinPolicy = auth.JoinPolicy(*b.Join)
	}
	if b.Names != nil {
		in.Names = b.Names
	}
	if b.Descriptions != nil {
		in.Descriptions = b.Descriptions
	}
}

// apiCreateGroup: POST /api/v1/groups (administrators), JSON slug, name,
// description, visibility public|members|group, join open|request|invite,
// optional names and descriptions by language and coordinator (e-mail).
func (s *Server) apiCreateGroup(c *fiber.Ctx) error {
	b, err := readGroupBody(c)
	if err != nil {
		return err
	}
	in := auth.GroupInput{Names: map[string]string{}, Descriptions: map[string]string{}}
	b.apply(&in)
	if in.Slug == "" {
		in.Slug = groupEditForm{Name: in.Name}.input().Slug
	}
	email := ""
	if b.Coordinator != nil {
		email = *b.Coordinator
	}
	g, err := s.createGroupFrom(c, in, email)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(apiGroup(g))
}

// apiSaveGroup: PATCH /api/v1/groups/{slug} (administrators and the group's
// coordinators) changes the fields the JSON names, with the pages' checks.
func (s *Server) apiSaveGroup(c *fiber.Ctx) error {
	g, err := s.manageableGroup(c)
	if err != nil {
		return err
	}
	b, err := readGroupBody(c)
	if err != nil {
		return err
	}
	f := groupFormOf(g)
	in := f.input()
	b.apply(&in)
	ng, err := s.saveGroupFrom(c, g, in)
	if err != nil {
		return err
	}
	return c.JSON(apiGroup(ng))
}
