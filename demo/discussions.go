package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/forum"
)

type demoPost struct {
	who  string // person key
	body string
}

type demoThread struct {
	category string // slug
	title    string
	kind     string
	tags     string
	daysAgo  int
	posts    []demoPost
	accepted int
}

var demoCategories = []struct {
	group string // group slug, "" portal-wide
	forum.Category
}{
	{"", forum.Category{Slug: "criteria-and-labels", Name: "Criteria and labels", Description: "Award criteria, ecolabels and how to verify them.", Colour: "green", Visibility: "members"}},
	{"", forum.Category{Slug: "contracts", Name: "Contract management", Description: "Leasing, end of life, audits and contract clauses in practice.", Colour: "purple", Visibility: "members"}},
	{"transparency-cop", forum.Category{Slug: "due-diligence", Name: "Due diligence and supply chains", Description: "Factory lists, supplier questionnaires and what the new due-diligence rules change.", Colour: "teal"}},
}

var demoThreads = []demoThread{
	{"criteria-and-labels", "How do you verify “or equivalent” to a label?", forum.KindQuestion, "labels, verification", 40, []demoPost{
		{"buyer", "Our tender asks for TCO Certified **or equivalent**. A bidder now offers a laptop with its own test report instead of a certificate. How do you judge whether that is equivalent without becoming a testing lab yourselves?"},
		{"claire", "We list the label's criteria that matter for the lot (e.g. battery replacement, supply-chain audits) and ask bidders who offer an equivalent to show, criterion by criterion, who verified it. A self-declaration is not enough; a third-party report against the same criteria is."},
		{"pieter", "Same here. We also ask for the date of the verification: a report on last year's model does not cover the one offered."},
		{"buyer", "Thank you both, the criterion-by-criterion table is what I was missing. @[Claire Dubois](/members/%claire%) would you share your template?"},
		{"claire", "Uploaded it to the library under *Equivalence table for ICT labels*."},
	}, 2},
	{"due-diligence", "A reseller refuses to disclose the factories", forum.KindDiscussion, "factory-list, resellers", 30, []demoPost{
		{"mateo", "Our contract requires a list of final assembly factories. The reseller says the manufacturer considers it confidential and will not give it. Has anyone enforced this clause?"},
		{"elena", "We accepted disclosure to us only, under a confidentiality clause, not publication. The manufacturer agreed within three weeks."},
		{"facilitator", "In our case escalation to the manufacturer's public sector team worked better than pushing the reseller. Make the clause a contract condition, not an award criterion, so it is enforceable."},
		{"pieter", "> **[Lucas Martin](/threads/%thread%/posts/3)**\n> Make the clause a contract condition\n\nAgreed: we had it as a criterion once and could do nothing afterwards."},
	}, 0},
	{"criteria-and-labels", "Minimum battery health for refurbished phones", forum.KindQuestion, "refurbished, batteries, phones", 21, []demoPost{
		{"aoife", "We are buying refurbished smartphones for the first time. What minimum battery health do you require, and how do you check it on delivery?"},
		{"mette", "We require 85 % of the original capacity, reported per device in the delivery file, and we sample 5 % of devices with a diagnostic app."},
		{"james", "80 % plus a battery replacement guarantee for 12 months. Anything higher cut the supply too much in our market."},
		{"aoife", "Going with 85 % and sampling, thanks Mette."},
	}, 2},
	{"due-diligence", "What does the due-diligence law change for our supplier questions?", forum.KindDiscussion, "due-diligence, questionnaires", 14, []demoPost{
		{"lena", "With the corporate sustainability due-diligence rules coming, large suppliers will have their own obligations. Should we simplify our questionnaires or keep asking the same?"},
		{"buyer", "We plan to ask for their due-diligence report instead of our own questions, and keep only the questions specific to the contract (products, factories, remediation)."},
		{"elena", "Careful: smaller resellers fall outside the scope, so the questionnaire still matters for them."},
	}, 0},
	{"contracts", "Sharing audit costs between buyers", forum.KindDiscussion, "audits", 9, []demoPost{
		{"jonas", "A factory audit costs us around 15,000 euros. Has anyone shared audit costs with other buyers using the same supplier?"},
		{"olivia", "We pooled through a buyer network: each buyer pays in proportion to contract value, and the audit report is shared with all."},
		{"amara", "As a monitoring organisation we can help coordinate; what matters is that findings lead to remediation, not only a report."},
	}, 0},
	{"contracts", "Leasing versus buying at the end of the lease", forum.KindQuestion, "leasing, end-of-life", 4, []demoPost{
		{"mateo", "Our laptop lease ends next year. Do you buy the devices back at residual value, or return them to the lessor? What happens to them next?"},
		{"pieter", "We return them, but the contract says the lessor must report reuse versus recycling per device, with certificates of data wiping."},
		{"coordinator", "We bought back 30 % for schools at residual value; the rest went back. Ask for the reuse report in the original lease, it is hard to add later."},
	}, 3},
}

// SeedDiscussions adds the demo's discussion categories and threads once:
// when the first demo category exists, it does nothing.
func SeedDiscussions(ctx context.Context, a *auth.Store, f *forum.Store) error {
	if _, err := f.CategoryBySlug(ctx, demoCategories[0].Slug); err == nil {
		return nil
	} else if !errors.Is(err, forum.ErrNotFound) {
		return fmt.Errorf("demo: discussions: %w", err)
	}
	ids := map[string]string{}
	for _, p := range people {
		m, err := a.MemberByIdentity(ctx, auth.DemoProvider, p.key)
		if err != nil {
			return fmt.Errorf("demo: discussions: member %s: %w", p.key, err)
		}
		ids[p.key] = m.ID
	}
	cats := map[string]*forum.Category{}
	for _, dc := range demoCategories {
		c := dc.Category
		if dc.group != "" {
			g, err := a.GroupBySlug(ctx, dc.group)
			if err != nil {
				return fmt.Errorf("demo: discussions: group %s: %w", dc.group, err)
			}
			c.GroupID = g.ID
		}
		saved, err := f.CreateCategory(ctx, c)
		if err != nil {
			return fmt.Errorf("demo: discussions: category %s: %w", c.Slug, err)
		}
		cats[c.Slug] = saved
	}
	now := time.Now().UTC().Truncate(time.Minute)
	for _, dt := range demoThreads {
		start := now.Add(-time.Duration(dt.daysAgo) * 24 * time.Hour)
		body := func(p demoPost, threadID string) string {
			b := p.body
			for key, id := range ids {
				b = strings.ReplaceAll(b, "%"+key+"%", id)
			}
			return strings.ReplaceAll(b, "%thread%", threadID)
		}
		t, _, err := f.CreateThread(ctx, forum.NewThread{Category: cats[dt.category], AuthorID: ids[dt.posts[0].who], Title: dt.title,
			Body: body(dt.posts[0], ""), Kind: dt.kind, Tags: dt.tags, At: start})
		if err != nil {
			return fmt.Errorf("demo: discussions: %s: %w", dt.title, err)
		}
		for i, p := range dt.posts[1:] {
			at := start.Add(time.Duration(i+1) * 7 * time.Hour)
			if _, err := f.Reply(ctx, t.ID, ids[p.who], body(p, t.ID), false, at); err != nil {
				return fmt.Errorf("demo: discussions: %s: %w", dt.title, err)
			}
		}
		if dt.accepted > 0 {
			if err := f.Accept(ctx, t.ID, dt.accepted); err != nil {
				return fmt.Errorf("demo: discussions: %w", err)
			}
		}
	}
	return nil
}
