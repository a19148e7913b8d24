package workshops

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/workshops/live"
)

// Count is one line of an attendance breakdown.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// AttendanceCounts is who attended, as the outcome may show it: counts
// for everyone, names only of those who consented.
type AttendanceCounts struct {
	Total     int      `json:"total"`
	ByCountry []Count  `json:"by_country"`
	ByOrgType []Count  `json:"by_org_type"`
	Named     []string `json:"named"`
}

// ActionItem is a checkbox line from the room's or a group's notes.
type ActionItem struct {
	Text  string `json:"text"`
	Done  bool   `json:"done"`
	Group string `json:"group,omitempty"` // breakout group name; "" for the room's notes
}

// OutcomeData is what the outcome document is made from: the room's
// Outcome (its fields inline) with attendance and action items.
type OutcomeData struct {
	live.Outcome
	Attendance  AttendanceCounts `json:"attendance"`
	ActionItems []ActionItem     `json:"action_items"`
}

// OutcomeDraft is a workshop's outcome document while the facilitator
// reviews it, and after; one per workshop (_id is the workshop ID).
type OutcomeDraft struct {
	WorkshopID  string      `bson:"_id"`
	Markdown    string      `bson:"markdown"`
	Data        OutcomeData `bson:"-"`
	DataJSON    string      `bson:"data"` // Data as JSON: the room's types carry JSON tags only
	Visibility  string      `bson:"visibility"`
	ResourceID  string      `bson:"resource_id,omitempty"` // set once published
	AssembledAt time.Time   `bson:"assembled_at"`
	UpdatedAt   time.Time   `bson:"updated_at"`
	UpdatedBy   string      `bson:"updated_by,omitempty"`
	// Named are the consenting attendees whose names the document holds,
	// so that erasing a member can take their name out again.
	Named       []NamedRef `bson:"named,omitempty"`
	PublishedAt *time.Time `bson:"published_at,omitempty"`
}

// NamedRef is a member named in an outcome.
type NamedRef struct {
	ID   string `bson:"id"`
	Name string `bson:"name"`
}

// Published reports whether the draft is in the library.
func (d *OutcomeDraft) Published() bool { return d != nil && d.ResourceID != "" }

// OpenActionItems are the items not yet done.
func (d *OutcomeDraft) OpenActionItems() []ActionItem {
	var out []ActionItem
	for _, a := range d.Data.ActionItems {
		if !a.Done {
			out = append(out, a)
		}
	}
	return out
}

func (d *OutcomeDraft) decode() {
	if d.DataJSON != "" {
		_ = json.Unmarshal([]byte(d.DataJSON), &d.Data)
	}
}

// Outcome returns a workshop's draft.
func (s *Store) Outcome(ctx context.Context, workshopID string) (*OutcomeDraft, error) {
	var d OutcomeDraft
	if err := s.col(colOutcomes).FindOne(ctx, bson.M{"_id": workshopID}).Decode(&d); err != nil {
		if store.IsNoDocuments(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("workshops: outcome: %w", err)
	}
	d.decode()
	return &d, nil
}

// OutcomesByWorkshop returns the drafts of several workshops in one query.
func (s *Store) OutcomesByWorkshop(ctx context.Context, ids []string) (map[string]*OutcomeDraft, error) {
	out := map[string]*OutcomeDraft{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.col(colOutcomes).Find(ctx, bson.M{"_id": bson.M{"$in": ids}}, options.Find().SetProjection(bson.M{"markdown": 0, "data": 0}))
	if err != nil {
		return nil, fmt.Errorf("workshops: outcomes: %w", err)
	}
	var ds []*OutcomeDraft
	if err := cur.All(ctx, &ds); err != nil {
		return nil, fmt.Errorf("workshops: outcomes: %w", err)
	}
	for _, d := range ds {
		out[d.WorkshopID] = d
	}
	return out, nil
}

// SaveAssembled stores a freshly assembled draft; the visibility chosen
// and the link to a published resource are kept.
func (s *Store) SaveAssembled(ctx context.Context, workshopID, by, markdown string, data OutcomeData, named []NamedRef, defaultVisibility string) (*OutcomeDraft, error) {
	if named == nil {
		named = []NamedRef{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("workshops: outcome: %w", err)
	}
	now := s.now()
	_, err = s.col(colOutcomes).UpdateOne(ctx, bson.M{"_id": workshopID}, bson.M{
		"$set":         bson.M{"markdown": markdown, "data": string(raw), "assembled_at": now, "updated_at": now, "updated_by": by, "named": named},
		"$setOnInsert": bson.M{"visibility": defaultVisibility},
	}, options.Update().SetUpsert(true))
	if err != nil {
		return nil, fmt.Errorf("workshops: outcome: %w", err)
	}
	return s.Outcome(ctx, workshopID)
}

// SaveEdit stores the facilitator's edited text and chosen visibility.
func (s *Store) SaveEdit(ctx context.Context, workshopID, by, markdown, visibility string) error {
	res, err := s.col(colOutcomes).UpdateOne(ctx, bson.M{"_id": workshopID}, bson.M{"$set": bson.M{
		"markdown": markdown, "visibility": visibility, "updated_at": s.now(), "updated_by": by}})
	if err != nil {
		return fmt.Errorf("workshops: outcome: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkPublished links the draft to its library resource.
func (s *Store) MarkPublished(ctx context.Context, workshopID, resourceID string) error {
	now := s.now()
	if _, err := s.col(colOutcomes).UpdateOne(ctx, bson.M{"_id": workshopID},
		bson.M{"$set": bson.M{"resource_id": resourceID, "published_at": now}}); err != nil {
		return fmt.Errorf("workshops: outcome: %w", err)
	}
	return nil
}

// PreviousInSeries returns the latest workshop of w's series that started
// before it and that visible accepts, or nil. A series is only a name, so
// workshops of other groups may carry it: visible applies the viewer's
// rights, and a workshop they may not see is skipped, never shown.
func (s *Store) PreviousInSeries(ctx context.Context, w *Workshop, visible func(*Workshop) bool) (*Workshop, error) {
	if w.Series == "" {
		return nil, nil
	}
	cur, err := s.col(colWorkshops).Find(ctx, bson.M{"series": w.Series, "starts_at": bson.M{"$lt": w.StartsAt}},
		options.Find().SetSort(bson.D{{Key: "starts_at", Value: -1}}).SetLimit(200))
	if err != nil {
		return nil, fmt.Errorf("workshops: series: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var prev Workshop
		if err := cur.Decode(&prev); err != nil {
			return nil, fmt.Errorf("workshops: series: %w", err)
		}
		if visible(&prev) {
			return &prev, nil
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("workshops: series: %w", err)
	}
	return nil, nil
}

// SeriesNames lists the series names of the workshops visible accepts, for
// the form's suggestions: a name seen only on workshops the viewer may not
// see is not suggested.
func (s *Store) SeriesNames(ctx context.Context, visible func(*Workshop) bool) ([]string, error) {
	cur, err := s.col(colWorkshops).Find(ctx, bson.M{"series": bson.M{"$exists": true, "$ne": ""}},
		options.Find().SetProjection(bson.M{"series": 1, "group_id": 1, "facilitators": 1}).SetSort(bson.D{{Key: "starts_at", Value: -1}}).SetLimit(500))
	if err != nil {
		return nil, fmt.Errorf("workshops: series: %w", err)
	}
	var ws []*Workshop
	if err := cur.All(ctx, &ws); err != nil {
		return nil, fmt.Errorf("workshops: series: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, w := range ws {
		if !seen[w.Series] && visible(w) {
			seen[w.Series] = true
			out = append(out, w.Series)
		}
	}
	sort.Strings(out)
	return out, nil
}

// taskRe matches a Markdown task-list line: "- [ ] text" or "- [x] text".
var taskRe = regexp.MustCompile(`^\s*[-*+]\s+\[([ xX])\]\s+(\S.*)$`)

// actionRe matches a line that starts with an action word, in any of the
// portal's languages, whatever the case, with or without a list marker and
// with French typography's space before the colon: "Action: …",
// "TODO: …", "- Actie: …", "Aufgabe: …", "Maßnahme: …", "Action : …".
// People write these in shared notes more often than task boxes; the notes
// editor's hint names them (room.notes.actions_hint).
var actionRe = regexp.MustCompile(`(?i)^\s*(?:[-*+]\s+)?(?:action|todo|to do|à faire|actie|actiepunt|aufgabe|maßnahme|massnahme)\s*[:：]\s*(\S.*)$`)

// ActionItems collects the action lines (task boxes, and lines that start
// with an action word) of the room's notes and of each breakout group's
// notes, in document order.
func ActionItems(o live.Outcome, l Labels) []ActionItem {
	out := []ActionItem{}
	add := func(notes, group string) {
		for _, line := range strings.Split(notes, "\n") {
			line = strings.TrimRight(line, "\r")
			if m := taskRe.FindStringSubmatch(line); m != nil {
				out = append(out, ActionItem{Text: strings.TrimSpace(m[2]), Done: m[1] != " ", Group: group})
			} else if m := actionRe.FindStringSubmatch(line); m != nil {
				out = append(out, ActionItem{Text: strings.TrimSpace(m[1]), Group: group})
			}
		}
	}
	add(o.Notes, "")
	for _, b := range o.Breakouts {
		add(b.Notes, GroupName(b, l))
	}
	return out
}

// GroupName is what the room and the outcome call a breakout group: the
// name a facilitator gave it; for a group by attribute, what it gathers in
// the document's language ("Netherlands", "French speakers"); else "Group
// N" (its number), as the room page shows it; never a code or its ID.
func GroupName(b live.BreakoutView, l Labels) string {
	switch {
	case b.Name != "":
		return b.Name
	case b.Attr == "country" && b.Key == "":
		return l.T("breakout.country_none")
	case b.Attr == "country":
		return l.Country(b.Key)
	case b.Attr == "language" && b.Key == "":
		return l.T("breakout.lang_none")
	case b.Attr == "language":
		return l.T("breakout.lang_group", l.Language(b.Key))
	}
	return l.T("breakout.group_n", strings.TrimPrefix(b.ID, "g"))
}

// CountAttendance turns attendees' profiles into counts; profiles maps a
// member ID to its country and organisation type, named to its name when
// the member consented.
func CountAttendance(ids []string, country, orgType func(id string) string, named func(id string) (string, bool)) AttendanceCounts {
	a := AttendanceCounts{Total: len(ids), ByCountry: []Count{}, ByOrgType: []Count{}, Named: []string{}}
	byC, byO := map[string]int{}, map[string]int{}
	for _, id := range ids {
		byC[country(id)]++
		byO[orgType(id)]++
		if n, ok := named(id); ok {
			a.Named = append(a.Named, n)
		}
	}
	a.ByCountry, a.ByOrgType = sortedCounts(byC), sortedCounts(byO)
	sort.Strings(a.Named)
	return a
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Labels turn codes into words of the document's language.
type Labels struct {
	T        func(key string, args ...any) string
	Country  func(code string) string // "" is "not given"
	Language func(code string) string // a language's name
	OrgType  func(code string) string
	Format   func(f Format) string
	Group    string // the workshop's group name, "" for none
}

// RenderOutcome writes the outcome document as Markdown: the workshop,
// attendance, then each tool's part, then the action items. What members
// wrote is escaped so that it cannot change the document's structure;
// shared notes are Markdown already and go in as they are.
func RenderOutcome(w *Workshop, d OutcomeData, l Labels) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s\n\n", inline(w.Title))
	p("- **%s:** %s – %s\n", l.T("outcome.md.date"), w.StartsAt.UTC().Format("2006-01-02 15:04"), w.EndsAt.UTC().Format("2006-01-02 15:04 UTC"))
	if l.Group != "" {
		p("- **%s:** %s\n", l.T("outcome.md.group"), inline(l.Group))
	}
	p("- **%s:** %s\n", l.T("outcome.md.format"), l.Format(w.Format))
	if w.Series != "" {
		p("- **%s:** %s\n", l.T("outcome.md.series"), inline(w.Series))
	}
	if len(w.Agenda) > 0 {
		p("\n## %s\n\n", l.T("outcome.md.agenda"))
		for i, a := range w.Agenda {
			p("%d. %s (%s)\n", i+1, inline(a.Title), l.T("workshop.minutes", a.Minutes))
		}
	}

	p("\n## %s\n\n%s\n", l.T("outcome.md.attendance"), l.T("outcome.md.attended", d.Attendance.Total))
	if len(d.Attendance.ByCountry) > 0 {
		p("\n| %s | %s |\n|---|---:|\n", l.T("outcome.md.country"), l.T("outcome.md.people"))
		for _, c := range d.Attendance.ByCountry {
			p("| %s | %d |\n", cell(l.Country(c.Key)), c.N)
		}
	}
	if len(d.Attendance.ByOrgType) > 0 {
		p("\n| %s | %s |\n|---|---:|\n", l.T("outcome.md.org_type"), l.T("outcome.md.people"))
		for _, c := range d.Attendance.ByOrgType {
			p("| %s | %d |\n", cell(l.OrgType(c.Key)), c.N)
		}
	}
	if len(d.Attendance.Named) > 0 {
		names := make([]string, len(d.Attendance.Named))
		for i, n := range d.Attendance.Named {
			names[i] = inline(n)
		}
		p("\n%s %s\n", l.T("outcome.md.named"), strings.Join(names, ", "))
	}

	if len(d.Polls) > 0 {
		p("\n## %s\n", l.T("outcome.md.polls"))
		for _, pv := range d.Polls {
			p("\n### %s\n\n| %s | %s |\n|---|---:|\n", inline(pv.Question), l.T("outcome.md.option"), l.T("outcome.md.votes"))
			for i, o := range pv.Options {
				n := 0
				if i < len(pv.Counts) {
					n = pv.Counts[i]
				}
				p("| %s | %d |\n", cell(o), n)
			}
			p("\n%s\n", l.T("outcome.md.voters", pv.Total))
		}
	}

	if len(d.Questions) > 0 {
		p("\n## %s\n\n", l.T("outcome.md.questions"))
		for i, q := range d.Questions {
			p("%d. %s (%s)", i+1, inline(q.Text), l.T("outcome.md.n_votes", q.Votes))
			if q.Author != nil {
				p(" — %s", l.T("outcome.md.asked_by", inline(q.Author.Name)))
			}
			if q.Answered {
				p("\n   - %s", l.T("outcome.md.answered"))
				if q.Answer != "" {
					p(": %s", inline(q.Answer))
				}
			}
			p("\n")
		}
	}

	if len(d.Boards) > 0 {
		p("\n## %s\n", l.T("outcome.md.boards"))
		for _, bv := range d.Boards {
			p("\n### %s\n", inline(bv.Prompt))
			for _, c := range bv.Clusters {
				name := c.Name
				if name == "" {
					name = l.T("outcome.md.unclustered")
				}
				total := 0
				for _, n := range c.Notes {
					total += n.Votes
				}
				p("\n#### %s (%s)\n\n", inline(name), l.T("outcome.md.n_votes", total))
				for _, n := range c.Notes {
					p("- %s (%s)\n", inline(n.Text), l.T("outcome.md.n_votes", n.Votes))
				}
			}
		}
	}

	if strings.TrimSpace(d.Notes) != "" {
		p("\n## %s\n\n%s\n", l.T("outcome.md.notes"), strings.TrimSpace(d.Notes))
	}
	if len(d.Breakouts) > 0 {
		p("\n## %s\n", l.T("outcome.md.breakouts"))
		for _, g := range d.Breakouts {
			p("\n### %s (%s)\n", inline(GroupName(g, l)), l.T("outcome.md.members", g.Members))
			if strings.TrimSpace(g.Notes) != "" {
				p("\n%s\n", strings.TrimSpace(g.Notes))
			}
		}
	}

	p("\n## %s\n\n", l.T("outcome.md.action_items"))
	if len(d.ActionItems) == 0 {
		p("%s\n", l.T("outcome.md.no_action_items"))
	}
	for _, a := range d.ActionItems {
		box := " "
		if a.Done {
			box = "x"
		}
		p("- [%s] %s", box, inline(a.Text))
		if a.Group != "" {
			p(" (%s)", inline(a.Group))
		}
		p("\n")
	}
	return b.String()
}

// inline makes member text safe on one Markdown line: no line breaks,
// and the characters that would start a heading, list, quote, HTML or a
// link escaped.
func inline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer(`\`, `\\`, "<", `\<`, ">", `\>`, "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`, "`", "\\`", "#", `\#`, "|", `\|`)
	s = r.Replace(s)
	switch {
	case s == "":
	case s[0] == '-' || s[0] == '+':
		// A list marker at the start would make a list inside a list item.
		s = `\` + s
	case s[0] >= '0' && s[0] <= '9':
		if i := strings.IndexAny(s, ".)"); i > 0 && allDigits(s[:i]) {
			s = s[:i] + `\` + s[i:]
		}
	}
	return s
}

func allDigits(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func cell(s string) string { return inline(s) }
