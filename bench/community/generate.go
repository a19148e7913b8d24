package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/resources/samples"
	"github.com/circularfairict/portal/server"
	"github.com/circularfairict/portal/store"
	"github.com/circularfairict/portal/workshops"
	"github.com/circularfairict/portal/workshops/live"
)

// sizes is the community's size at -scale 1.
type sizes struct {
	members, groups, resources, threads, posts, workshops, events int
}

func scaled(scale float64) sizes {
	n := func(full int) int { return max(1, int(float64(full)*scale+0.5)) }
	return sizes{members: n(2000), groups: n(20), resources: n(10000), threads: n(5000), posts: n(50000), workshops: n(500), events: n(200000)}
}

// LongThreadTitle names the thread that gets the most replies, which the
// page benchmark opens at its first and last page.
const longThreadTitle = "Long-running exchange: repairability clauses that worked"

type generator struct {
	ctx   context.Context
	st    *store.Store
	srv   *server.Server
	a     *auth.Store
	f     *forum.Store
	ws    *workshops.Store
	v     *vocab
	rng   *rand.Rand
	start time.Time

	members []*auth.Member
	groups  []*auth.Group
	cats    []*forum.Category
	threads []*forum.Thread
	buyer   *auth.Member
	past    []*workshops.Workshop
}

func (g *generator) step(what string, n int, since time.Time) {
	fmt.Printf("%-40s %8d in %6.1f s (total %6.1f s)\n", what, n, time.Since(since).Seconds(), time.Since(g.start).Seconds())
}

// progress prints a line every tenth of a long step.
func progress(what string, i, n int) {
	if n >= 1000 && i > 0 && i%(n/10) == 0 {
		fmt.Printf("  %s: %d/%d\n", what, i, n)
	}
}

// stepFunc is one step of the generator: what it makes and how many.
type stepFunc struct {
	what string
	n    int
	f    func(n int) error
}

func (g *generator) steps(steps ...stepFunc) error {
	for _, step := range steps {
		t0 := time.Now()
		if err := step.f(step.n); err != nil {
			return fmt.Errorf("%s: %w", step.what, err)
		}
		g.step(step.what, step.n, t0)
	}
	return nil
}

// fork returns a copy of g with its own random source, for a lane that
// runs beside others: the lanes share nothing but the database and what
// the steps before them made.
func (g *generator) fork(seed int64) *generator {
	l := *g
	l.rng = rand.New(rand.NewSource(seed))
	return &l
}

// run makes the members and groups, then three lanes at once, as each
// writes collections the others neither read nor write: the library, the
// discussions with their notifications, the workshops with their rooms.
// One lane alone leaves a core idle while the embedded database writes.
func (g *generator) run(sz sizes) error {
	var err error
	if g.buyer, err = g.a.MemberByIdentity(g.ctx, auth.DemoProvider, "buyer"); err != nil {
		return err
	}
	if err := g.steps(
		stepFunc{"members", sz.members, g.genMembers},
		stepFunc{"groups and categories", sz.groups, g.genGroups},
	); err != nil {
		return err
	}
	lib, disc, wsl := g.fork(2), g.fork(3), g.fork(4)
	lanes := []func() error{
		func() error { return lib.steps(stepFunc{"resources", sz.resources, lib.genResources}) },
		func() error {
			return disc.steps(
				stepFunc{"inboxes of the members", sz.members, disc.genInboxes},
				stepFunc{"threads", sz.threads, disc.genThreads},
				stepFunc{"posts", sz.posts, disc.genPosts},
				stepFunc{"notifications of the demo buyer", 300, disc.genNotifications},
				stepFunc{"notifications of the other members", sz.members * memberNotifications, disc.genMemberNotifications},
			)
		},
		func() error {
			return wsl.steps(
				stepFunc{"workshops", sz.workshops, wsl.genWorkshops},
				stepFunc{"live-room events", sz.events, wsl.genEvents},
			)
		},
	}
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lane()
		}()
	}
	wg.Wait()
	g.threads, g.past = disc.threads, wsl.past
	return errors.Join(errs...)
}

// parallel calls f(w, 0) to f(w, n-1) on two goroutines (the machine's
// cores), w being the goroutine's number (0 or 1, for state of its own),
// and returns the first error; after one, the rest are not started.
func parallel(n int, f func(w, i int) error) error {
	var mu sync.Mutex
	next := 0
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= n || firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
				if err := f(w, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (g *generator) pick(list []*auth.Member) *auth.Member { return list[g.rng.Intn(len(list))] }

// genMembers creates members through auth.ImportMembers, 200 at a time.
func (g *generator) genMembers(n int) error {
	now := time.Now().UTC()
	var batch []auth.NewMember
	flush := func() error {
		ms, err := g.a.ImportMembers(g.ctx, batch)
		if err != nil {
			return err
		}
		g.members, batch = append(g.members, ms...), nil
		return nil
	}
	for i := 0; i < n; i++ {
		progress("members", i, n)
		ok := orgKinds[g.rng.Intn(len(orgKinds))]
		org := ok.en
		if strings.Contains(org, "%s") {
			org = fmt.Sprintf(org, cities[g.rng.Intn(len(cities))])
		}
		lang := langs[g.rng.Intn(len(langs))]
		m := auth.Member{Name: firstNames[g.rng.Intn(len(firstNames))] + " " + lastNames[g.rng.Intn(len(lastNames))],
			Role: auth.RoleMember, Status: auth.StatusApproved, Organisation: org, OrgType: auth.OrgType(ok.kind),
			Country: countries[g.rng.Intn(len(countries))], Languages: []string{lang, "en"}, JobTitle: jobTitles[g.rng.Intn(len(jobTitles))],
			PublicBuyer: ok.kind != "ngo" && ok.kind != "supplier", Email: "member" + strconv.Itoa(i) + "@example.org"}
		if lang == "en" {
			m.Languages = []string{"en"}
		}
		if i%40 == 0 {
			m.Role = auth.RoleFacilitator
		}
		m.CreatedAt = now.Add(-time.Duration(g.rng.Intn(700*24)) * time.Hour)
		m.ConductAcceptedAt, m.ProfileCompletedAt = m.CreatedAt, m.CreatedAt
		batch = append(batch, auth.NewMember{Identity: auth.Identity{Provider: "oidc", Subject: "bench-" + strconv.Itoa(i)}, Member: m})
		if len(batch) == 200 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// What was written reads back through the sign-in lookup.
	last := g.members[len(g.members)-1]
	got, err := g.a.MemberByIdentity(g.ctx, "oidc", "bench-"+strconv.Itoa(n-1))
	if err != nil || got.ID != last.ID || got.Name != last.Name {
		return fmt.Errorf("member bench-%d does not read back: %v", n-1, err)
	}
	return nil
}

func (g *generator) genGroups(n int) error {
	gs, err := g.a.Groups(g.ctx)
	if err != nil {
		return err
	}
	g.groups = append(g.groups, gs...)
	for i := 0; i < n; i++ {
		c := countries[i%len(countries)]
		lang := langs[i%len(langs)]
		vis := []auth.Visibility{auth.VisibilityMembers, auth.VisibilityPublic, auth.VisibilityGroup}[i%3]
		coord := g.members[g.rng.Intn(len(g.members))]
		grp, err := g.a.CreateGroup(g.ctx, auth.GroupInput{Slug: "buyers-" + strings.ToLower(c) + "-" + strconv.Itoa(i), Name: "ICT buyers " + c + " " + strconv.Itoa(i+1),
			Description: g.v.sentence(g.rng, lang), Languages: []string{lang, "en"}, Visibility: vis, JoinPolicy: auth.JoinOpen}, coord.ID)
		if err != nil {
			return err
		}
		g.groups = append(g.groups, grp)
		// Group sizes vary from a handful to about a fifth of the community.
		size := 5 + g.rng.Intn(max(1, len(g.members)/5))
		joining := make([]string, 0, size+1)
		for j := 0; j < size; j++ {
			joining = append(joining, g.pick(g.members).ID)
		}
		// The demo buyer is in a few of them, as an active member would be.
		if i < 3 {
			joining = append(joining, g.buyer.ID)
		}
		if err := g.join(grp, joining); err != nil {
			return err
		}
		cat, err := g.f.CreateCategory(g.ctx, forum.Category{Slug: "group-" + grp.Slug, Name: "Discussions of " + grp.Name,
			Description: g.v.sentence(g.rng, lang), Colour: forum.Colours[i%len(forum.Colours)], GroupID: grp.ID})
		if err != nil {
			return err
		}
		g.cats = append(g.cats, cat)
	}
	for i, name := range []string{"Repairability and lifetime", "Refurbished devices", "Data centres and cloud", "Market dialogue", "Take-back and recycling", "Social criteria"} {
		cat, err := g.f.CreateCategory(g.ctx, forum.Category{Slug: forum.Slugify(name), Name: name, Description: g.v.sentence(g.rng, "en"),
			Colour: forum.Colours[i%len(forum.Colours)], Visibility: "members"})
		if err != nil {
			return err
		}
		g.cats = append(g.cats, cat)
	}
	all, err := g.f.Categories(g.ctx)
	if err != nil {
		return err
	}
	g.cats = all
	return nil
}

// join adds members to a new group as auth.Store.JoinGroup would, one
// after the other (a member already in it or coordinating it is skipped,
// each gets a join date), but in one write through auth.Store.PutGroup,
// the seed's and imports' path: JoinGroup's filter is not a bare _id, so
// on the embedded database each join read and rewrote every group, and at
// full scale (4,000 joins of groups of up to 400) the step took 31
// minutes.
func (g *generator) join(grp *auth.Group, memberIDs []string) error {
	now := time.Now().UTC()
	if grp.Joined == nil {
		grp.Joined = map[string]time.Time{}
	}
	for _, id := range memberIDs {
		if slices.Contains(grp.Members, id) || slices.Contains(grp.Coordinators, id) {
			continue
		}
		grp.Members = append(grp.Members, id)
		grp.Joined[id] = now
	}
	_, err := g.a.PutGroup(g.ctx, *grp)
	return err
}

// genInboxes has every member open a page once (the bell reads their
// inbox, building it from their notifications) before the notifications
// steps. Building an inbox is the one read by member_id, which the
// embedded database answers by reading every notification: done here,
// while there are few, rather than at each member's first notification,
// when there are up to 40,000.
func (g *generator) genInboxes(int) error {
	build := func(i int) error {
		_, err := g.f.UnreadNotifications(g.ctx, g.members[i].ID)
		return err
	}
	// The first inbox creates the collection. The embedded database's _id
	// lookup index is added to it at once (the serving portal's sweep does
	// so within a pass): without it each inbox read and write, here and in
	// every Notify, scans all the inboxes (0.5 s a member at full scale).
	if err := build(0); err != nil {
		return err
	}
	if err := g.st.IndexIDLookups(g.ctx); err != nil {
		return err
	}
	return parallel(len(g.members)-1, func(_, i int) error { return build(i + 1) })
}

// genResources creates resources through the library service (as an
// upload does: spooled, checked, extracted, stored in GridFS), two at a
// time for the two cores. Most files are Markdown of three pages' text;
// one in twenty is a PDF made by samples.
func (g *generator) genResources(n int) error {
	lib := g.srv.Library()
	types := lib.Tax.Terms(resources.VocType)
	themes := lib.Tax.Terms(resources.VocTheme)
	products := lib.Tax.Terms(resources.VocProduct)
	stages := lib.Tax.Terms(resources.VocStage)
	rngs := []*rand.Rand{rand.New(rand.NewSource(100)), rand.New(rand.NewSource(101))}
	return parallel(n, func(w, i int) error {
		rng := rngs[w]
		progress("resources", i, n)
		lang := langs[rng.Intn(len(langs))]
		title := g.v.title(rng, lang) + " (" + strconv.Itoa(i) + ")"
		paras := g.v.paragraphs(rng, lang, 12)
		var file []byte
		name := "resource-" + strconv.Itoa(i)
		if i%20 == 0 {
			file, name = samples.PDF(title, paras...), name+".pdf"
		} else {
			file, name = []byte("# "+title+"\n\n"+strings.Join(paras, "\n\n")+"\n"), name+".md"
		}
		owner := g.members[rng.Intn(len(g.members))]
		m := resources.Meta{Title: title, Summary: firstRunes(paras[0], 280),
			Type: types[rng.Intn(len(types))].ID, Themes: []string{themes[rng.Intn(len(themes))].ID},
			Products: []string{products[rng.Intn(len(products))].ID}, Stages: []string{stages[rng.Intn(len(stages))].ID},
			Languages: []string{lang}, Licence: "cc_by", Visibility: resources.VisibilityMembers,
			Country: countries[rng.Intn(len(countries))], Organisation: owner.Organisation, Year: 2019 + rng.Intn(8)}
		switch r := rng.Intn(20); {
		case r < 8:
			m.Visibility = resources.VisibilityPublic
		case r < 11:
			m.Visibility, m.GroupID = resources.VisibilityGroup, g.groups[rng.Intn(len(g.groups))].ID
		}
		sp, err := lib.Receive(g.ctx, bytes.NewReader(file), name)
		if err != nil {
			return fmt.Errorf("resource %d: %w", i, err)
		}
		defer sp.Close()
		if _, _, err = lib.Create(g.ctx, owner.ID, m, sp, "", "bench:"+strconv.Itoa(i)); err != nil {
			return fmt.Errorf("resource %d: %w", i, err)
		}
		return nil
	})
}

func (g *generator) genThreads(n int) error {
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		progress("threads", i, n)
		cat := g.cats[g.rng.Intn(len(g.cats))]
		lang := langs[g.rng.Intn(len(langs))]
		title := g.v.title(g.rng, lang) + "?"
		if i == 0 {
			title, cat = longThreadTitle, g.catNamed("criteria-and-labels")
		}
		kind := forum.KindDiscussion
		if i%3 == 0 {
			kind = forum.KindQuestion
		}
		t, _, err := g.f.CreateThread(g.ctx, forum.NewThread{Category: cat, AuthorID: g.pick(g.members).ID, Title: title,
			Body: strings.Join(g.v.paragraphs(g.rng, lang, 1+g.rng.Intn(2)), "\n\n"), Kind: kind, Tags: "bench",
			At: now.Add(-time.Duration(g.rng.Intn(400*24)) * time.Hour)})
		if err != nil {
			return err
		}
		g.threads = append(g.threads, t)
	}
	return nil
}

func (g *generator) catNamed(slug string) *forum.Category {
	for _, c := range g.cats {
		if c.Slug == slug {
			return c
		}
	}
	return g.cats[0]
}

// genPosts spreads n replies over the threads (a tenth of them to the long
// thread, the rest to a fifth of the threads, as a few threads draw most
// replies), each thread's replies in imports of 500, two threads at a time.
func (g *generator) genPosts(n int) error {
	per := make([]int, max(1, len(g.threads)/5))
	per[0] = n / 10
	for i := n / 10; i < n; i++ {
		per[g.rng.Intn(len(per))]++
	}
	// Written first, with the lane's random source, so the text does not
	// depend on which goroutine imports which thread.
	replies := make([][]forum.ImportedReply, len(per))
	for ti, k := range per {
		t := g.threads[ti]
		lang := langs[g.rng.Intn(len(langs))]
		rs := make([]forum.ImportedReply, k)
		at := t.CreatedAt
		for j := range rs {
			at = at.Add(time.Duration(1+g.rng.Intn(300)) * time.Minute)
			rs[j] = forum.ImportedReply{AuthorID: g.pick(g.members).ID, Body: strings.Join(g.v.paragraphs(g.rng, lang, 1), ""), At: at}
		}
		replies[ti] = rs
	}
	var mu sync.Mutex
	done := 0
	return parallel(len(replies), func(_, ti int) error {
		rs := replies[ti]
		for from := 0; from < len(rs); from += 500 {
			if err := g.f.ImportReplies(g.ctx, g.threads[ti].ID, rs[from:min(len(rs), from+500)]); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		done += len(rs)
		if done*10/n != (done-len(rs))*10/n {
			fmt.Printf("  posts: %d/%d\n", done, n)
		}
		return nil
	})
}

// genNotifications gives the demo buyer a notification page to open.
func (g *generator) genNotifications(n int) error {
	ns := make([]*forum.Notification, n)
	for i := range ns {
		t := g.threads[g.rng.Intn(len(g.threads))]
		ns[i] = &forum.Notification{MemberID: g.buyer.ID, Kind: "reply", ThreadID: t.ID, Title: t.Title, N: 1, ActorID: g.pick(g.members).ID, Read: i > 20}
	}
	return g.f.Notify(g.ctx, ns...)
}

// memberNotifications is how many notifications each generated member has:
// the bell count and the list must cost what the member's own
// notifications cost, not everyone's.
const memberNotifications = 20

// genMemberNotifications gives every generated member notifications, a few
// of them unread, one Notify per member as the server sends them, two
// members at a time (each Notify holds only its member's inbox lock).
func (g *generator) genMemberNotifications(n int) error {
	var all [][]*forum.Notification
	for done := 0; done < n && len(all) < len(g.members); done += memberNotifications {
		m := g.members[len(all)]
		ns := make([]*forum.Notification, memberNotifications)
		for i := range ns {
			t := g.threads[g.rng.Intn(len(g.threads))]
			ns[i] = &forum.Notification{MemberID: m.ID, Kind: "reply", ThreadID: t.ID, Title: t.Title, N: 1, ActorID: g.pick(g.members).ID, Read: i > 3}
		}
		all = append(all, ns)
	}
	return parallel(len(all), func(_, i int) error {
		progress("member notifications", i*memberNotifications, n)
		return g.f.Notify(g.ctx, all[i]...)
	})
}

func (g *generator) genWorkshops(n int) error {
	now := time.Now().UTC().Truncate(time.Minute)
	formats := []workshops.Format{workshops.FormatCaseClinic, workshops.FormatMarketDialogue, workshops.FormatWebinar}
	var facilitators []*auth.Member
	for _, m := range g.members {
		if m.Role == auth.RoleFacilitator {
			facilitators = append(facilitators, m)
		}
	}
	if len(facilitators) == 0 {
		facilitators = g.members[:1]
	}
	for i := 0; i < n; i++ {
		progress("workshops", i, n)
		lang := langs[g.rng.Intn(len(langs))]
		// Four in five are past (the live-room events are theirs), the rest ahead.
		start := now.Add(time.Duration(-g.rng.Intn(600)*24) * time.Hour)
		if i%5 == 0 {
			start = now.Add(time.Duration(1+g.rng.Intn(90)*24) * time.Hour)
		}
		w := &workshops.Workshop{ID: fmt.Sprintf("%016x%08x", 0xbe0c, i), Title: g.v.title(g.rng, lang), Description: strings.Join(g.v.paragraphs(g.rng, lang, 1), ""),
			Format: formats[i%len(formats)], StartsAt: start, EndsAt: start.Add(90 * time.Minute), TimeZone: "Europe/Brussels",
			Capacity: []int{0, 25, 60}[i%3], Languages: []string{lang}, Facilitators: []string{facilitators[g.rng.Intn(len(facilitators))].ID},
			Agenda: []workshops.AgendaItem{{Title: g.v.term(g.rng, lang), Minutes: 30}, {Title: g.v.term(g.rng, lang), Minutes: 60}},
			Polls:  []workshops.Poll{}, Materials: []string{}, CreatedAt: start.Add(-30 * 24 * time.Hour), UpdatedAt: start.Add(-30 * 24 * time.Hour)}
		if i%4 == 1 {
			w.GroupID = g.groups[g.rng.Intn(len(g.groups))].ID
		}
		if err := g.ws.Put(g.ctx, w); err != nil {
			return err
		}
		if w.Past(now) {
			g.past = append(g.past, w)
			continue
		}
		ids := make([]string, 5+g.rng.Intn(30))
		for j := range ids {
			ids[j] = g.pick(g.members).ID
		}
		if err := g.register(w, ids); err != nil {
			return err
		}
	}
	return nil
}

// register registers members for w as workshops.Store.Register would, one
// after the other (a member named twice keeps the first
// registration; those past the capacity wait), but settles the seats once:
// Register settles after each registration, and Settle reads every
// registration of every workshop on the embedded database (a filter on
// workshop_id), so at full scale the step took 406 s for 2,000
// registrations. Settle gives the same statuses once as after each step,
// as it orders by registration time.
func (g *generator) register(w *workshops.Workshop, memberIDs []string) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	seen := map[string]bool{}
	for _, id := range memberIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		at := now.Add(time.Duration(len(seen)) * time.Millisecond)
		if err := g.ws.PutRegistration(g.ctx, workshops.Registration{WorkshopID: w.ID, MemberID: id, Status: workshops.Registered, CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
	}
	_, err := g.ws.Settle(g.ctx, w)
	return err
}

// genEvents stores the chat of past workshops' rooms through the live
// engine's own store (AppendMany: one ordered insert per burst), as the
// room writes them.
func (g *generator) genEvents(n int) error {
	if len(g.past) == 0 {
		return nil
	}
	es := live.NewMongoStore(g.st.DB)
	if g.st.Embedded {
		es.ReadByID()
	}
	per := n / len(g.past)
	done := 0
	for wi, w := range g.past {
		k := per
		if wi == len(g.past)-1 {
			k = n - done
		}
		lang := w.Languages[0]
		for from := 0; from < k; from += 500 {
			batch := make([]*live.Event, 0, 500)
			for j := from; j < min(k, from+500); j++ {
				m := g.pick(g.members)
				data, _ := json.Marshal(map[string]string{"text": g.v.sentence(g.rng, lang)})
				batch = append(batch, &live.Event{Room: w.ID, Key: m.ID + "/bench-" + strconv.Itoa(j), Type: "chat",
					Actor: live.Person{ID: m.ID, Name: m.Name, Organisation: m.Organisation, Role: live.RoleParticipant, Country: m.Country}, Data: data, At: w.StartsAt.Add(time.Duration(j) * time.Second)})
			}
			_, errs := es.AppendMany(g.ctx, batch)
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
		}
		done += k
		progress("live-room events", wi*per, n)
	}
	return nil
}
