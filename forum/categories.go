package forum

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
)

var slugRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$`)

// Slugify makes a URL slug from a name.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = strings.Trim(out[:50], "-")
	}
	return out
}

// ValidateCategory checks a category before it is stored.
func ValidateCategory(c *Category) error {
	c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
	if c.Name == "" {
		return invalid("name", "forum.error.category_name")
	}
	if utf8.RuneCountInString(c.Name) > MaxCatName {
		return invalid("name", "forum.error.too_long", MaxCatName)
	}
	if utf8.RuneCountInString(c.Description) > MaxCatDesc {
		return invalid("description", "forum.error.too_long", MaxCatDesc)
	}
	if c.Colour == "" {
		c.Colour = Colours[0]
	}
	if !slices.Contains(Colours, c.Colour) {
		return invalid("colour", "forum.error.colour")
	}
	if c.Slug == "" {
		c.Slug = Slugify(c.Name)
	}
	if !slugRe.MatchString(c.Slug) {
		return invalid("name", "forum.error.category_name")
	}
	if c.GroupID == "" && c.Visibility != "public" {
		c.Visibility = "members"
	}
	if c.GroupID != "" {
		c.Visibility = "" // inherited from the group
	}
	return nil
}

// CreateCategory stores a new category at the end of its group's list.
func (s *Store) CreateCategory(ctx context.Context, c Category) (*Category, error) {
	if err := ValidateCategory(&c); err != nil {
		return nil, err
	}
	// Two servers creating categories in one group at once may give them
	// one position. Nothing needs positions distinct: lists sort by
	// position then _id, an order that is total whatever the interleaving,
	// and MoveCategory renumbers a group densely from that order.
	var last []Category
	if err := s.findAll(ctx, colCategories, bson.M{"group_id": c.GroupID},
		options.Find().SetSort(bson.D{{Key: "position", Value: -1}}).SetLimit(1), &last); err != nil {
		return nil, err
	}
	c.Position = 1
	if len(last) > 0 {
		c.Position = last[0].Position + 1
	}
	if c.ID == "" {
		c.ID = store.NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if _, err := s.col(colCategories).InsertOne(ctx, c); err != nil {
		if store.IsDuplicateKey(err) {
			return nil, invalid("name", "forum.error.category_taken")
		}
		return nil, fmt.Errorf("forum: create category: %w", err)
	}
	if err := s.categoriesChanged(ctx); err != nil {
		return nil, err
	}
	return &c, nil
}

// EnsureGeneral creates the portal-wide general category once.
func (s *Store) EnsureGeneral(ctx context.Context, name, description string) (*Category, error) {
	c, err := s.CategoryBySlug(ctx, GeneralSlug)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return c, err
	}
	c, err = s.CreateCategory(ctx, Category{Slug: GeneralSlug, Name: name, Description: description, Colour: "blue", Visibility: "members"})
	if err != nil {
		if existing, e2 := s.CategoryBySlug(ctx, GeneralSlug); e2 == nil { // a concurrent start won
			return existing, nil
		}
	}
	return c, err
}

// Category returns the category with id.
func (s *Store) Category(ctx context.Context, id string) (*Category, error) {
	var c Category
	return &c, s.findOne(ctx, colCategories, bson.M{"_id": id}, &c)
}

// CategoryBySlug returns the category with slug.
func (s *Store) CategoryBySlug(ctx context.Context, slug string) (*Category, error) {
	var c Category
	if err := s.findOne(ctx, colCategories, bson.M{"slug": slug}, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Categories returns every category: portal-wide first, then by group,
// each list in the order its coordinators set. Every discussions page and
// the home page ask, so the answer comes from this server's copy, read
// again when the categories' stamp has moved or the copy is
// store.StampMaxAge old, as auth.Store.Groups does (see "Stamped copies"
// in docs/architecture.md). The categories are the caller's own.
func (s *Store) Categories(ctx context.Context) ([]*Category, error) {
	return s.cats.Get(ctx)
}

func (s *Store) readCategories(ctx context.Context) ([]*Category, error) {
	var cs []*Category
	err := s.findAll(ctx, colCategories, bson.M{}, options.Find().SetSort(bson.D{{Key: "group_id", Value: 1}, {Key: "position", Value: 1}, {Key: "_id", Value: 1}}), &cs)
	return cs, err
}

func cloneCategories(cs []*Category) []*Category {
	if cs == nil {
		return nil
	}
	out := make([]*Category, len(cs))
	for i, c := range cs {
		cp := *c
		out[i] = &cp
	}
	return out
}

// categoriesChanged moves the categories' stamp; every write of a
// category calls it right after the write.
func (s *Store) categoriesChanged(ctx context.Context) error {
	if err := s.cats.Touch(ctx); err != nil {
		return fmt.Errorf("forum: categories changed: %w", err)
	}
	return nil
}

// MoveCategory swaps a category with its neighbour in its group's order;
// up moves it towards the top. At either end it does nothing.
func (s *Store) MoveCategory(ctx context.Context, id string, up bool) error {
	c, err := s.Category(ctx, id)
	if err != nil {
		return err
	}
	// No lock: each write below sets one category's position. Two moves
	// at once on two servers may mix their renumberings, but every
	// category keeps one position, so the group's order (position, then
	// _id) still lists each once; the next move renumbers it densely.
	var all []*Category
	if err := s.findAll(ctx, colCategories, bson.M{"group_id": c.GroupID}, options.Find().SetSort(bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}}), &all); err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(x *Category) bool { return x.ID == id })
	j := i + 1
	if up {
		j = i - 1
	}
	if i < 0 || j < 0 || j >= len(all) {
		return nil
	}
	all[i], all[j] = all[j], all[i]
	// Renumber the whole list: positions stay dense and distinct even
	// after an interrupted move.
	for k, x := range all {
		if x.Position == k+1 {
			continue
		}
		if _, err := s.col(colCategories).UpdateOne(ctx, bson.M{"_id": x.ID}, bson.M{"$set": bson.M{"position": k + 1}}); err != nil {
			_ = s.categoriesChanged(ctx) // what was renumbered before the failure
			return fmt.Errorf("forum: move category: %w", err)
		}
	}
	return s.categoriesChanged(ctx)
}

// UpdateCategory changes a category's name, description, colour and (for a
// portal-wide category) visibility; its slug, group and place stay.
func (s *Store) UpdateCategory(ctx context.Context, c Category) error {
	if err := ValidateCategory(&c); err != nil {
		return err
	}
	res, err := s.col(colCategories).UpdateOne(ctx, bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"name": c.Name, "description": c.Description,
		"colour": c.Colour, "visibility": c.Visibility}})
	if err != nil {
		return fmt.Errorf("forum: update category: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return s.categoriesChanged(ctx)
}

// SetCategoryArchived archives or restores a category; its threads stay.
func (s *Store) SetCategoryArchived(ctx context.Context, id string, archived bool) error {
	res, err := s.col(colCategories).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"archived": archived}})
	if err != nil {
		return fmt.Errorf("forum: archive category: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return s.categoriesChanged(ctx)
}

// GroupSettings are a group's discussion settings.
type GroupSettings struct {
	GroupID string `bson:"_id"`
	// HoldFirstPosts holds a member's first post in the group's
	// categories until a moderator or coordinator approves it.
	HoldFirstPosts bool `bson:"hold_first_posts"`
}

// GroupSettings returns a group's settings (defaults when none are stored).
func (s *Store) GroupSettings(ctx context.Context, groupID string) (GroupSettings, error) {
	gs := GroupSettings{GroupID: groupID}
	err := s.findOne(ctx, colGroupSettings, bson.M{"_id": groupID}, &gs)
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	return gs, err
}

// SetHoldFirstPosts changes whether a group holds new members' first posts.
func (s *Store) SetHoldFirstPosts(ctx context.Context, groupID string, hold bool) error {
	_, err := s.col(colGroupSettings).UpdateOne(ctx, bson.M{"_id": groupID}, bson.M{"$set": bson.M{"hold_first_posts": hold}}, options.Update().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("forum: group settings: %w", err)
	}
	return nil
}

// HasPosted reports whether the member has a post that is not held.
func (s *Store) HasPosted(ctx context.Context, memberID string) (bool, error) {
	n, err := s.col(colPosts).CountDocuments(ctx, bson.M{"author_id": memberID, "held": false}, options.Count().SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("forum: has posted: %w", err)
	}
	return n > 0, nil
}
