package demo

import (
	"bytes"
	"context"
	"fmt"

	"github.com/circularfairict/portal/auth"
	"github.com/circularfairict/portal/resources"
	"github.com/circularfairict/portal/resources/samples"
)

// demoResource is one resource of the demo library; its file is generated
// at seed time, so the repository carries no binary fixtures.
type demoResource struct {
	key   string // stable key: the seed is idempotent through it
	owner string // person key
	group string // group slug when visibility is "group"
	meta  resources.Meta
	name  string
	file  func() []byte
	good  bool
}

func demoLibrary() []demoResource {
	pub, mem, grp := resources.VisibilityPublic, resources.VisibilityMembers, resources.VisibilityGroup
	return []demoResource{
		{key: "laptop-spec", owner: "buyer", good: true, name: "laptop-specifications.pdf",
			meta: resources.Meta{Title: "Laptop specifications: lifetime and repairability criteria", Summary: "Technical specifications and award criteria for notebook computers: a six-year lifetime, spare parts and repair information for seven years, a replaceable battery and TCO Certified or equivalent.",
				Type: "criteria_set", Stages: []string{"technical_specifications", "award_criteria"}, Products: []string{"laptops"}, Themes: []string{"lifetime_extension", "repairability", "ecolabels"}, Frameworks: []string{"eu_gpp", "tco"},
				Ambition: "comprehensive", Languages: []string{"en"}, Country: "NL", Organisation: "Ministry of the Interior, ICT procurement", Year: 2025, Licence: "cc_by", Award: "pre_award", Visibility: pub},
			file: func() []byte {
				return samples.PDF("Laptop specifications: lifetime and repairability criteria",
					"1. Lifetime. The tenderer guarantees that the offered laptops remain supported with security updates for at least six years after delivery.",
					"2. Spare parts. Batteries, keyboards, displays, chargers and storage are available for at least seven years at a published price.",
					"3. Repairability. The battery can be replaced without special tools; repair manuals are publicly available.",
					"4. Label or equivalent. TCO Certified Notebooks, or equivalent proof of compliance, is accepted as evidence.")
			}},
		{key: "dd-clause", owner: "claire", group: "ethics-working-group", name: "due-diligence-clause.docx",
			meta: resources.Meta{Title: "Due-diligence and factory-disclosure contract clause", Summary: "A contract performance clause asking the supplier to disclose final assembly factories, carry out human-rights due diligence following the OECD guidance and cooperate with independent monitoring.",
				Type: "contract_clause", Stages: []string{"contract_performance"}, Products: []string{"all_ict"}, Themes: []string{"hrdd", "transparency", "labour_rights", "remediation"}, Frameworks: []string{"electronics_watch", "oecd_dd"},
				Languages: []string{"en"}, Country: "FR", Year: 2024, Licence: "cc_by_sa", Award: "post_award", Visibility: grp},
			file: func() []byte {
				return samples.DOCX("Contract clause: due diligence and factory disclosure",
					"The Contractor shall disclose, within 30 days of signature, the names and addresses of the factories where the goods are assembled.",
					"The Contractor shall carry out human-rights due diligence in its supply chain in line with the OECD Due Diligence Guidance for Responsible Business Conduct.",
					"Where an independent monitor finds violations of labour rights, the Contractor shall agree a remediation plan with the Contracting Authority.")
			}},
		{key: "refurb-phones", owner: "claire", name: "smartphones-reconditionnes.odt",
			meta: resources.Meta{Title: "Lot de smartphones reconditionnés : cahier des charges", Summary: "Spécifications pour l'achat de smartphones reconditionnés : état esthétique, capacité minimale de la batterie, garantie de deux ans et effacement certifié des données.",
				Type: "tender_specification", Stages: []string{"technical_specifications"}, Products: []string{"smartphones"}, Themes: []string{"refurbished", "lifetime_extension"},
				Languages: []string{"fr"}, Country: "FR", Organisation: "Direction des achats de l'État", Year: 2025, Licence: "cc_by", Award: "pre_award", Visibility: pub},
			file: func() []byte {
				return samples.ODT("Smartphones reconditionnés",
					"Les appareils sont reconditionnés par un opérateur qui garantit une capacité de batterie d'au moins 85 %.",
					"La garantie est de deux ans ; les données des précédents utilisateurs sont effacées selon une méthode certifiée.",
					"La réparabilité et la disponibilité des pièces détachées sont évaluées.")
			}},
		{key: "monitor-consultation", owner: "pieter", name: "marktconsultatie-beeldschermen.docx",
			meta: resources.Meta{Title: "Marktconsultatie beeldschermen: vragenlijst", Summary: "Vragenlijst voor een marktconsultatie over beeldschermen: levensduur, repareerbaarheid, gerecycled plastic en informatie over de toeleveringsketen.",
				Type: "market_engagement", Stages: []string{"preparation"}, Products: []string{"monitors"}, Themes: []string{"repairability", "recycled_content", "transparency"},
				Languages: []string{"nl"}, Country: "BE", Organisation: "Stad Gent, IT-afdeling", Year: 2025, Licence: "cc_by", Visibility: mem},
			file: func() []byte {
				return samples.DOCX("Marktconsultatie beeldschermen",
					"Vraag 1. Hoeveel jaar garanderen de leveranciers de beschikbaarheid van reserveonderdelen voor beeldschermen?",
					"Vraag 2. Welk aandeel gerecycled plastic bevatten de behuizingen?",
					"Vraag 3. Kunt u de fabrieken in de toeleveringsketen bekendmaken?")
			}},
		{key: "laptop-refresh", owner: "aoife", good: true, name: "laptop-refresh-case-study.md",
			meta: resources.Meta{Title: "Case study: extending the laptop refresh cycle from four to six years", Summary: "How a university moved its laptop refresh cycle from four to six years with battery replacements and a repair contract, and what it saved.",
				Type: "case_study", Stages: []string{"use_phase", "contract_management"}, Products: []string{"laptops"}, Themes: []string{"lifetime_extension", "repairability"},
				Languages: []string{"en"}, Country: "IE", Organisation: "National university, procurement office", Year: 2024, Licence: "cc_by", Award: "post_award", Visibility: pub},
			file: func() []byte {
				return []byte("# Extending the laptop refresh cycle\n\nThe university used to replace staff laptops every four years.\n\n" +
					"## What changed\n\n- A repair contract covering batteries, keyboards and screens\n- Battery replacement in year four\n- A reuse programme for devices that leave service\n\n" +
					"## Results\n\nThe average lifetime rose to six years; purchases fell by a third.\n")
			}},
		{key: "supply-chain-worksheet", owner: "amara", group: "transparency-cop", name: "supply-chain-mapping.xlsx",
			meta: resources.Meta{Title: "Supply-chain mapping worksheet", Summary: "A worksheet to record the supplier's answers about factories, tiers and smelters, with columns for audits and follow-up.",
				Type: "monitoring_template", Stages: []string{"contract_management"}, Products: []string{"all_ict"}, Themes: []string{"transparency", "conflict_minerals", "hrdd"}, Frameworks: []string{"eu_2017_821", "oecd_dd"},
				Languages: []string{"en"}, Country: "NL", Year: 2025, Licence: "cc_by_sa", Visibility: grp},
			file: func() []byte {
				return samples.XLSX([][]string{
					{"Tier", "Factory or smelter", "Country", "Product", "Last audit", "Follow-up"},
					{"1", "Final assembly plant", "", "Laptops", "", ""},
					{"2", "Printed circuit board supplier", "", "Mainboards", "", ""},
					{"3", "Tin, tantalum, tungsten and gold smelters", "", "Components", "", ""},
				})
			}},
		{key: "award-grid", owner: "coordinator", name: "bewertungsmatrix-guetezeichen.csv",
			meta: resources.Meta{Title: "Bewertungsmatrix: Gütezeichen oder gleichwertig", Summary: "Zuschlagskriterien mit Punkten für Umweltzeichen wie TCO Certified oder EPEAT und gleichwertige Nachweise.",
				Type: "tool", Stages: []string{"award_criteria"}, Products: []string{"laptops", "desktops", "monitors"}, Themes: []string{"ecolabels"}, Frameworks: []string{"tco", "epeat"},
				Languages: []string{"de"}, Country: "DE", Organisation: "Beschaffungsamt", Year: 2025, Licence: "cc0", Visibility: pub},
			file: func() []byte {
				return []byte("Kriterium;Nachweis;Punkte\nTCO Certified oder gleichwertig;Zertifikat oder technisches Dossier;20\nEPEAT Gold oder gleichwertig;Registrierung oder Prüfbericht;15\nErsatzteile sieben Jahre;Erklärung des Herstellers;10\n")
			}},
		{key: "contract-checklist", owner: "jonas", name: "contract-management-checklist.ods",
			meta: resources.Meta{Title: "Contract-management checklist for ICT hardware", Summary: "A checklist for the first year of a hardware contract: delivery, factory list received, monitoring reports, spare parts and take-back.",
				Type: "tool", Stages: []string{"contract_management"}, Products: []string{"all_ict"}, Themes: []string{"labour_rights", "transparency", "take_back"},
				Languages: []string{"en"}, Country: "SE", Organisation: "Regional health authority", Year: 2024, Licence: "cc_by", Visibility: mem},
			file: func() []byte {
				return samples.ODS([][]string{
					{"Step", "When", "Done"},
					{"Factory list received from the supplier", "Month 1", ""},
					{"Monitoring report discussed with the supplier", "Month 6", ""},
					{"Spare parts prices checked", "Month 9", ""},
					{"Take-back of replaced devices organised", "Month 12", ""},
				})
			}},
		{key: "datacentre", owner: "lena", name: "data-centre-criteria.pptx",
			meta: resources.Meta{Title: "Data-centre and server criteria", Summary: "Slides summarising criteria for servers, data centres and cloud services: energy efficiency, renewable electricity, waste heat reuse and component reuse.",
				Type: "criteria_set", Stages: []string{"technical_specifications", "award_criteria"}, Products: []string{"servers", "cloud"}, Themes: []string{"energy_climate", "lifetime_extension"}, Frameworks: []string{"eu_gpp"},
				Ambition: "core", Languages: []string{"en"}, Country: "AT", Year: 2025, Licence: "cc_by", Visibility: pub},
			file: func() []byte {
				return samples.PPTX("Data-centre and server criteria",
					"Energy efficiency of servers and power usage effectiveness of the data centre",
					"Renewable electricity and reuse of waste heat",
					"Firmware updates and reuse of components at end of use")
			}},
		{key: "end-of-use", owner: "buyer", group: "national-buyers", name: "clausule-einde-gebruik.odt",
			meta: resources.Meta{Title: "Clausule einde gebruik: terugname en hergebruik", Summary: "Contractclausule over het terugnemen van laptops en smartphones aan het einde van het gebruik, met voorrang voor hergebruik en gecertificeerde gegevenswissing.",
				Type: "contract_clause", Stages: []string{"end_of_life", "contract_performance"}, Products: []string{"laptops", "smartphones"}, Themes: []string{"take_back", "refurbished"},
				Languages: []string{"nl"}, Country: "NL", Year: 2025, Licence: "members_only", Award: "post_award", Visibility: grp},
			file: func() []byte {
				return samples.ODT("Clausule einde gebruik",
					"De opdrachtnemer neemt de apparaten aan het einde van het gebruik terug.",
					"Apparaten worden bij voorkeur hergebruikt; de gegevens worden gewist met een gecertificeerde methode.",
					"De opdrachtnemer rapporteert jaarlijks hoeveel apparaten zijn hergebruikt en gerecycled.")
			}},
		{key: "managed-print", owner: "facilitator", name: "impression-geree-criteres.pdf",
			meta: resources.Meta{Title: "Pack de critères pour l'impression gérée", Summary: "Critères pour un marché d'impression gérée : consommation d'énergie, cartouches reconditionnées, papier recyclé et substances dangereuses.",
				Type: "criteria_set", Stages: []string{"technical_specifications", "award_criteria"}, Products: []string{"printers"}, Themes: []string{"energy_climate", "recycled_content", "hazardous_substances"},
				Languages: []string{"fr"}, Country: "BE", Organisation: "Centrale d'achat régionale de Wallonie", Year: 2024, Licence: "cc_by", Visibility: pub},
			file: func() []byte {
				return samples.PDF("Pack de critères pour l'impression gérée",
					"Les imprimeurs et multifonctions respectent les exigences d'efficacité énergétique.",
					"Les cartouches de toner sont reconditionnées et reprises par le fournisseur.",
					"Les substances dangereuses sont limitées conformément à la réglementation.")
			}},
		{key: "dd-law-briefing", owner: "facilitator", name: "note-devoir-de-vigilance.pdf",
			meta: resources.Meta{Title: "Note d'information : la loi sur le devoir de vigilance", Summary: "Ce que la directive sur le devoir de vigilance (CSDDD) change pour les acheteurs publics de matériel informatique.",
				Translations: []resources.Translation{{Lang: "nl", Title: "Briefing: de wet op de gepaste zorgvuldigheid", Summary: "Wat de richtlijn over gepaste zorgvuldigheid (CSDDD) verandert voor publieke ICT-inkopers."}},
				Type:         "legal_reference", Stages: []string{"needs"}, Products: []string{"all_ict"}, Themes: []string{"hrdd"}, Frameworks: []string{"csddd", "oecd_dd"},
				Languages: []string{"fr", "nl"}, Country: "BE", Year: 2025, Licence: "cc_by", Visibility: pub},
			file: func() []byte {
				return samples.PDF("Devoir de vigilance / Gepaste zorgvuldigheid",
					"La directive impose aux grandes entreprises d'identifier et de prévenir les atteintes aux droits humains dans leur chaîne de valeur.",
					"De richtlijn verplicht grote ondernemingen om schendingen van mensenrechten in hun waardeketen te voorkomen.",
					"Les acheteurs publics peuvent s'appuyer sur ces obligations dans leurs clauses contractuelles.")
			}},
	}
}

// SeedLibrary adds the demo library. It is idempotent: each resource is
// created with an idempotency key, so a restart finds it instead of adding
// it again.
func SeedLibrary(ctx context.Context, a *auth.Store, lib *resources.Service) error {
	ids := map[string]string{}
	for _, p := range people {
		m, err := a.MemberByIdentity(ctx, auth.DemoProvider, p.key)
		if err != nil {
			return fmt.Errorf("demo: library: member %s: %w", p.key, err)
		}
		ids[p.key] = m.ID
	}
	created := map[string]string{}
	for _, d := range demoLibrary() {
		m := d.meta
		if d.group != "" {
			g, err := a.GroupBySlug(ctx, d.group)
			if err != nil {
				return fmt.Errorf("demo: library: group %s: %w", d.group, err)
			}
			m.GroupID = g.ID
		}
		sp, err := lib.Receive(ctx, bytes.NewReader(d.file()), d.name)
		if err != nil {
			return fmt.Errorf("demo: library: %s: %w", d.key, err)
		}
		r, isNew, err := lib.Create(ctx, ids[d.owner], m, sp, "", "demo:"+d.key)
		sp.Close()
		if err != nil {
			return fmt.Errorf("demo: library: %s: %w", d.key, err)
		}
		created[d.key] = r.ID
		if !isNew {
			continue
		}
		if d.good {
			if err := lib.SetGoodPractice(ctx, r.ID, true); err != nil {
				return err
			}
		}
	}
	// Only on the first run: a second version, a typed link and marks.
	r, err := lib.Resource(ctx, created["laptop-spec"])
	if err != nil {
		return err
	}
	if r.Latest == 1 {
		v2 := samples.PDF("Laptop specifications: lifetime and repairability criteria (2026)",
			"1. Lifetime. Security updates for at least eight years after delivery.",
			"2. Spare parts for ten years at a published price; repair manuals public.")
		sp, err := lib.Receive(ctx, bytes.NewReader(v2), "laptop-specifications-2026.pdf")
		if err != nil {
			return err
		}
		_, err = lib.AddVersion(ctx, r.ID, ids["buyer"], sp, "Eight years of security updates and ten years of spare parts, after the market consultation.")
		sp.Close()
		if err != nil {
			return fmt.Errorf("demo: library: version: %w", err)
		}
		if err := lib.AddLink(ctx, created["laptop-refresh"], resources.Link{Kind: resources.LinkPartOf, Target: created["laptop-spec"]}); err != nil {
			return err
		}
		for _, u := range []struct {
			who, where string
			year       int
		}{{"pieter", "City of Ghent laptop framework", 2025}, {"mette", "Municipal shared service, notebooks lot", 2025}, {"olivia", "Provincial end-user devices tender", 2024}} {
			if err := lib.MarkUsed(ctx, r.ID, ids[u.who], u.where, u.year); err != nil {
				return err
			}
		}
	}
	return nil
}

// LibraryIDs returns the IDs of the demo library's resources by their
// stable key ("laptop-spec", ...), as SeedLibrary creates them; tests and
// benchmarks that judge search results refer to demo resources this way.
func LibraryIDs(ctx context.Context, a *auth.Store) (map[string]string, error) {
	owners := map[string]string{}
	for _, p := range people {
		m, err := a.MemberByIdentity(ctx, auth.DemoProvider, p.key)
		if err != nil {
			return nil, fmt.Errorf("demo: library: member %s: %w", p.key, err)
		}
		owners[p.key] = m.ID
	}
	out := map[string]string{}
	for _, d := range demoLibrary() {
		out[d.key] = resources.ResourceID(owners[d.owner], "demo:"+d.key)
	}
	return out, nil
}
