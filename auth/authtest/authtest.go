// Package authtest holds test helpers over auth that several packages'
// tests share.
package authtest

import (
	"context"
	"strings"
	"testing"

	"github.com/circularfairict/portal/auth"
)

// NewMember signs a member in through the test provider and gives them a
// status and a role, as an administrator's decisions would.
func NewMember(t testing.TB, a *auth.Store, name string, st auth.Status, role auth.Role) *auth.Member {
	t.Helper()
	ctx := context.Background()
	m, _, err := a.SignInMember(ctx, auth.Identity{Provider: "test", Subject: name}, name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if st != auth.StatusPending {
		if err := a.SetStatus(ctx, m.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	if role != auth.RoleMember {
		if err := a.SetRole(ctx, m.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	m, err = a.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
