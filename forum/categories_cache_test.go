package forum

import (
	"context"
	"testing"

	"github.com/circularfairict/portal/store/storetest"
)

// Two servers (two Stores on one database) each keep a copy of the
// categories: a change made through one is in the other's next read, and
// what a caller is handed is its own.
func TestCategoriesCacheAcrossServers(t *testing.T) {
	db := storetest.New(t).DB
	a, b := NewStore(db), NewStore(db)
	ctx := context.Background()
	named := func(slug string) *Category {
		t.Helper()
		cs, err := b.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Slug == slug {
				return c
			}
		}
		return nil
	}
	one, err := a.CreateCategory(ctx, Category{Name: "One", Visibility: "members"})
	if err != nil {
		t.Fatal(err)
	}
	if named("one") == nil {
		t.Fatal("a category created on the other server is not listed")
	}
	two, err := a.CreateCategory(ctx, Category{Name: "Two", Visibility: "members"})
	if err != nil {
		t.Fatal(err)
	}
	if named("two") == nil {
		t.Fatal("a second category is not listed")
	}
	one.Name, one.Visibility = "Renamed", "public"
	if err := a.UpdateCategory(ctx, *one); err != nil {
		t.Fatal(err)
	}
	if c := named("one"); c.Name != "Renamed" || c.Visibility != "public" {
		t.Errorf("after an update: %+v", c)
	}
	if err := a.SetCategoryArchived(ctx, two.ID, true); err != nil {
		t.Fatal(err)
	}
	if !named("two").Archived {
		t.Error("an archiving is not seen")
	}
	if err := a.MoveCategory(ctx, two.ID, true); err != nil {
		t.Fatal(err)
	}
	if named("two").Position != 1 || named("one").Position != 2 {
		t.Errorf("after a move: two at %d, one at %d", named("two").Position, named("one").Position)
	}
	c := named("one")
	c.Name = "changed by a caller"
	if named("one").Name != "Renamed" {
		t.Error("a caller's change reached the next caller")
	}
}
