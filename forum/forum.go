// Package forum holds the community's discussions: categories (portal-wide
// or per group), threads and posts in Markdown, reactions, accepted answers,
// edit history, reading state, subscriptions, notifications, flags and
// moderation, their documents in the search index, and signed unsubscribe
// tokens.
//
// It does not decide rights (the server asks auth's policy functions) and
// imports no other feature package: it deals in member and group IDs.
package forum

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/circularfairict/portal/fault"
	"github.com/circularfairict/portal/store"
)

// ErrNotFound is returned when a category, thread or post is unknown.
var ErrNotFound = fmt.Errorf("forum: %w", store.ErrNotFound)

// Limits on what members type.
const (
	MaxTitle    = 160    // runes
	MaxBody     = 20000  // runes of Markdown
	MaxTags     = 5      // per thread
	MaxTag      = 30     // runes per tag
	MaxReason   = 500    // runes of a flag or moderation reason
	MaxCatName  = 60     // runes
	MaxCatDesc  = 300    // runes
	PageSize    = 20     // posts per thread page
	ThreadsPage = 30     // threads per category page
	maxHistory  = 50     // edits kept per post
	bodyCapByte = 200000 // bytes; runes are checked too
)

// Thread kinds.
const (
	KindDiscussion = "discussion"
	KindQuestion   = "question"
)

// Colours of categories: a fixed palette, drawn by CSS classes (the
// content security policy allows no inline style), each with enough
// contrast for its label.
var Colours = []string{"teal", "blue", "purple", "green", "orange", "red", "grey"}

// Reactions is the fixed set of reactions, by key; the templates show
// their symbol and translated name.
var Reactions = []string{"like", "thanks", "insightful", "agree"}

// ReactionSymbol maps a reaction key to the symbol shown.
var ReactionSymbol = map[string]string{"like": "👍", "thanks": "🙏", "insightful": "💡", "agree": "✅"}

// GeneralSlug is the portal-wide category threads go to when none is named.
const GeneralSlug = "general"

// Category groups threads. GroupID empty means portal-wide; then
// Visibility says who reads it ("public" or "members"); a group's category
// inherits the group's visibility instead.
type Category struct {
	ID          string    `bson:"_id" json:"id"`
	Slug        string    `bson:"slug" json:"slug"`
	Name        string    `bson:"name" json:"name"`
	Description string    `bson:"description" json:"description"`
	Colour      string    `bson:"colour" json:"colour"`
	GroupID     string    `bson:"group_id" json:"group_id,omitempty"`
	Visibility  string    `bson:"visibility,omitempty" json:"visibility,omitempty"`
	Position    int       `bson:"position" json:"position"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at"`
	// Archived categories keep their threads readable but take no new
	// threads or replies, and leave the discussions index.
	Archived bool `bson:"archived,omitempty" json:"archived,omitempty"`
}

// Thread is a conversation; its posts are numbered from 1 (the opening post).
type Thread struct {
	ID         string   `bson:"_id" json:"id"`
	CategoryID string   `bson:"category_id" json:"category_id"`
	GroupID    string   `bson:"group_id" json:"group_id,omitempty"`
	Title      string   `bson:"title" json:"title"`
	Kind       string   `bson:"kind" json:"kind"`
	AuthorID   string   `bson:"author_id" json:"author_id"`
	Tags       []string `bson:"tags" json:"tags"`
	// ResourceID links the thread to a library resource it discusses.
	ResourceID string `bson:"resource_id,omitempty" json:"resource_id,omitempty"`
	// LastN is the highest post number given out; numbers never change,
	// so a post's page is (n-1)/PageSize+1.
	LastN      int       `bson:"last_n" json:"last_n"`
	Replies    int       `bson:"replies" json:"replies"` // visible replies (not deleted, hidden or held)
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	LastPostAt time.Time `bson:"last_post_at" json:"last_post_at"`
	LastAuthor string    `bson:"last_author" json:"-"`
	Pinned     bool      `bson:"pinned" json:"pinned"`
	Locked     bool      `bson:"locked" json:"locked"` // frozen: no replies, edits or reactions
	Closed     bool      `bson:"closed" json:"closed"` // no more replies
	// Held threads wait for a moderator (a new member's first post).
	Held     bool `bson:"held" json:"-"`
	Accepted int  `bson:"accepted" json:"accepted,omitempty"` // accepted answer's post number
	// UpdatedAt moves with every write of the thread: the search index
	// compares it to catch up on changes it missed.
	UpdatedAt time.Time `bson:"updated_at,omitempty" json:"-"`
}

// Solved reports whether a question has an accepted answer.
func (t *Thread) Solved() bool { return t.Accepted > 0 }

// Pages is the number of pages of the thread.
func (t *Thread) Pages() int { return max(1, (t.LastN+PageSize-1)/PageSize) }

// PageOf returns the page that shows post n.
func PageOf(n int) int { return max(1, (n-1)/PageSize+1) }

// Edit is one earlier version of a post.
type Edit struct {
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by" json:"by"`
	Body string    `bson:"body" json:"body"`
}

// Post is one message. Its ID is "<thread>-<n>", so a page of posts is
// fetched by _id (the only index the embedded database uses; see ReadByID).
type Post struct {
	ID         string    `bson:"_id" json:"id"`
	ThreadID   string    `bson:"thread_id" json:"thread_id"`
	N          int       `bson:"n" json:"n"`
	CategoryID string    `bson:"category_id" json:"-"`
	GroupID    string    `bson:"group_id" json:"-"`
	AuthorID   string    `bson:"author_id" json:"author"`
	Body       string    `bson:"body" json:"-"`
	HTML       string    `bson:"html" json:"body_html"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	EditedAt   time.Time `bson:"edited_at,omitempty" json:"edited_at,omitempty"`
	History    []Edit    `bson:"history,omitempty" json:"-"`
	Mentions   []string  `bson:"mentions,omitempty" json:"-"`
	Quotes     []int     `bson:"quotes,omitempty" json:"-"`
	Resources  []string  `bson:"resources,omitempty" json:"-"`
	// Reactions maps a reaction key to the members who gave it.
	Reactions map[string][]string `bson:"reactions,omitempty" json:"-"`
	Deleted   bool                `bson:"deleted" json:"deleted"`
	DeletedBy string              `bson:"deleted_by,omitempty" json:"-"`
	Hidden    bool                `bson:"hidden" json:"-"`
	// HiddenReason is shown to the author and to moderators.
	HiddenReason string `bson:"hidden_reason,omitempty" json:"-"`
	Held         bool   `bson:"held" json:"-"`
	// UpdatedAt moves with every write of the post (see Thread.UpdatedAt).
	UpdatedAt time.Time `bson:"updated_at,omitempty" json:"-"`
}

// PostID is the ID of post n of a thread.
func PostID(threadID string, n int) string { return fmt.Sprintf("%s-%06d", threadID, n) }

// SplitPostID returns the thread and number a post's ID names (PostID);
// ok is false for anything else.
func SplitPostID(id string) (threadID string, n int, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 1 || PostID(id[:i], n) != id {
		return "", 0, false
	}
	return id[:i], n, true
}

// Visible reports whether the post's content shows to everyone.
func (p *Post) Visible() bool { return !p.Deleted && !p.Hidden && !p.Held }

// Subscription levels.
const (
	Watch = "watch" // every new post
	Track = "track" // replies to me, mentions, quotes; unread counts (default)
	Mute  = "mute"  // nothing, and no unread counts
)

// E-mail modes of notifications.
const (
	EmailOff    = "off"
	EmailEach   = "each"
	EmailDaily  = "daily"
	EmailWeekly = "weekly"
)

// EmailModes lists the choices in order.
var EmailModes = []string{EmailEach, EmailDaily, EmailWeekly, EmailOff}

// Notification kinds.
const (
	NoteReply      = "reply"      // a reply in a thread I started or watch
	NoteMention    = "mention"    // someone mentioned me
	NoteQuote      = "quote"      // someone quoted my post
	NoteAccepted   = "accepted"   // my answer was accepted
	NoteModeration = "moderation" // a moderator acted on my post or thread
	NoteApproved   = "approved"   // my held post was approved
)

// Notification tells a member about something in a thread.
type Notification struct {
	ID        string    `bson:"_id" json:"id"`
	MemberID  string    `bson:"member_id" json:"-"`
	Kind      string    `bson:"kind" json:"kind"`
	ThreadID  string    `bson:"thread_id" json:"thread_id"`
	Title     string    `bson:"title" json:"title"` // thread title at the time
	N         int       `bson:"n" json:"n"`
	ActorID   string    `bson:"actor_id,omitempty" json:"actor_id,omitempty"`
	Action    string    `bson:"action,omitempty" json:"action,omitempty"` // moderation action
	Reason    string    `bson:"reason,omitempty" json:"reason,omitempty"` // moderation reason
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	Read      bool      `bson:"read" json:"read"`
	// Mailed is set once the notification went out by e-mail (each or digest).
	Mailed bool `bson:"mailed" json:"-"`
}

// Prefs are a member's discussion settings.
type Prefs struct {
	MemberID string `bson:"_id" json:"-"`
	Email    string `bson:"email" json:"email"`
	// LastDigest is when the last digest was sent (or the mode chosen).
	LastDigest time.Time `bson:"last_digest" json:"last_digest"`
	// SeenAt is the member's latest visit to the discussions; PrevVisit
	// the start of the visit before, for "new since your last visit".
	SeenAt    time.Time `bson:"seen_at" json:"seen_at"`
	PrevVisit time.Time `bson:"prev_visit" json:"prev_visit"`
}

// Flag is a member's report of a post.
type Flag struct {
	ID         string    `bson:"_id" json:"id"`
	PostID     string    `bson:"post_id" json:"post_id"`
	ThreadID   string    `bson:"thread_id" json:"thread_id"`
	GroupID    string    `bson:"group_id" json:"-"`
	MemberID   string    `bson:"member_id" json:"-"`
	Reason     string    `bson:"reason" json:"reason"` // spam, offensive, off_topic, confidential, other
	Note       string    `bson:"note,omitempty" json:"note,omitempty"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	Open       bool      `bson:"open" json:"open"`
	ResolvedBy string    `bson:"resolved_by,omitempty" json:"-"`
}

// FlagReasons lists what a member may flag a post for.
var FlagReasons = []string{"spam", "offensive", "off_topic", "confidential", "other"}

// invalid returns a validation error on a form field.
func invalid(field, key string, args ...any) error {
	return fault.New(fault.Invalid, key, args...).OnField(field)
}
