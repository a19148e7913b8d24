package main

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/circularfairict/portal/glossary"
)

// vocab holds, per language, the glossary's terms: the procurement words
// the generated text is made of, so searches and facets meet the words
// members really write.
type vocab struct {
	terms map[string][]string
}

func newVocab() *vocab {
	v := &vocab{terms: map[string][]string{}}
	for _, c := range glossary.Default().Concepts() {
		for _, l := range langs {
			v.terms[l] = append(v.terms[l], c.Terms[l]...)
		}
	}
	return v
}

var langs = []string{"en", "fr", "nl", "de"}

// templates are clause-like sentences per language; each %s takes a term.
var templates = map[string][]string{
	"en": {
		"The contractor shall provide evidence of %s for every device delivered under this contract.",
		"Bidders describe how they address %s and %s, with the verification they offer.",
		"Points are awarded for %s where the tenderer demonstrates %s by an independent report.",
		"The contracting authority may request an audit of %s at any time during the contract.",
		"Within six months the supplier reports on %s, including the corrective actions taken on %s.",
		"Spare parts and repair information remain available; %s is verified at delivery.",
		"Where %s is not met, the supplier proposes a remediation plan agreed with the buyer.",
		"The market consultation showed that %s is offered by most manufacturers, but %s by few.",
	},
	"fr": {
		"Le titulaire fournit la preuve de %s pour chaque appareil livré au titre du marché.",
		"Les soumissionnaires décrivent comment ils traitent %s et %s, avec la vérification proposée.",
		"Des points sont attribués pour %s lorsque le candidat démontre %s par un rapport indépendant.",
		"Le pouvoir adjudicateur peut demander un audit de %s à tout moment pendant l'exécution.",
		"Dans les six mois, le fournisseur rend compte de %s, y compris des mesures correctives sur %s.",
		"Les pièces détachées et les informations de réparation restent disponibles ; %s est vérifié à la livraison.",
		"Si %s n'est pas respecté, le fournisseur propose un plan de remédiation convenu avec l'acheteur.",
		"La consultation du marché a montré que %s est proposé par la plupart des fabricants, mais %s par peu.",
	},
	"nl": {
		"De opdrachtnemer levert bewijs van %s voor elk apparaat dat onder deze overeenkomst wordt geleverd.",
		"Inschrijvers beschrijven hoe zij %s en %s aanpakken, met de verificatie die zij bieden.",
		"Punten worden toegekend voor %s wanneer de inschrijver %s aantoont met een onafhankelijk rapport.",
		"De aanbestedende dienst kan op elk moment tijdens de looptijd een audit van %s vragen.",
		"Binnen zes maanden rapporteert de leverancier over %s, inclusief de corrigerende maatregelen voor %s.",
		"Reserveonderdelen en reparatie-informatie blijven beschikbaar; %s wordt bij levering gecontroleerd.",
		"Als niet aan %s wordt voldaan, stelt de leverancier een herstelplan voor in overleg met de koper.",
		"De marktconsultatie liet zien dat %s door de meeste fabrikanten wordt aangeboden, maar %s door weinigen.",
	},
	"de": {
		"Der Auftragnehmer weist %s für jedes im Rahmen dieses Vertrags gelieferte Gerät nach.",
		"Bieter beschreiben, wie sie %s und %s behandeln, und welche Überprüfung sie anbieten.",
		"Punkte werden für %s vergeben, wenn der Bieter %s durch einen unabhängigen Bericht belegt.",
		"Der öffentliche Auftraggeber kann jederzeit während der Vertragslaufzeit ein Audit von %s verlangen.",
		"Innerhalb von sechs Monaten berichtet der Lieferant über %s, einschließlich der Abhilfemaßnahmen zu %s.",
		"Ersatzteile und Reparaturinformationen bleiben verfügbar; %s wird bei der Lieferung geprüft.",
		"Wird %s nicht erfüllt, schlägt der Lieferant einen mit dem Käufer abgestimmten Abhilfeplan vor.",
		"Die Markterkundung zeigte, dass %s von den meisten Herstellern angeboten wird, %s jedoch von wenigen.",
	},
}

func (v *vocab) term(rng *rand.Rand, lang string) string {
	t := v.terms[lang]
	return t[rng.Intn(len(t))]
}

// sentence fills one template of lang with terms.
func (v *vocab) sentence(rng *rand.Rand, lang string) string {
	tpl := templates[lang][rng.Intn(len(templates[lang]))]
	n := strings.Count(tpl, "%s")
	args := make([]any, n)
	for i := range args {
		args[i] = v.term(rng, lang)
	}
	return fmt.Sprintf(tpl, args...)
}

// paragraphs returns n paragraphs of four to seven sentences.
func (v *vocab) paragraphs(rng *rand.Rand, lang string, n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := 4 + rng.Intn(4); j > 0; j-- {
			b.WriteString(v.sentence(rng, lang))
			b.WriteByte(' ')
		}
		out[i] = strings.TrimSpace(b.String())
	}
	return out
}

// title is a short noun phrase of lang.
func (v *vocab) title(rng *rand.Rand, lang string) string {
	a, b := v.term(rng, lang), v.term(rng, lang)
	joiner := map[string]string{"en": " and ", "fr": " et ", "nl": " en ", "de": " und "}[lang]
	r := []rune(a)
	return strings.ToUpper(string(r[:1])) + string(r[1:]) + joiner + b
}

// Names, organisations and countries for the members.
var (
	firstNames = strings.Fields(`Anna Lucas Sophie Pieter Claire Jonas Aoife Mateo Lena Mette Olivia James Amara Tomasz Elena
		Marie Jan Eva Thomas Julia Lars Ingrid Paolo Giulia Carmen Javier Nuno Inês Katarzyna Piotr Zuzana Tereza Ana Luka
		Sanne Bram Femke Koen Hélène Étienne Margot Théo Jürgen Friederike Björn Åsa Sören Niamh Ciarán Eleni Nikos Ayşe Mehmet
		Chloé Noé Zoë Maël Renée Jörg Grete Ole Kaisa Mikko Aino Rasmus Freya Amélie Benoît`)
	lastNames = strings.Fields(`de Vries Martin Keller Janssens Dubois Berg Byrne García Hofer Nielsen Tremblay Walker Okafor
		Nowak Rossi Peeters Müller Schmidt Lefèvre Moreau Bakker Visser Jansen Smit Fischer Weber Wagner Becker Hoffmann Bianchi
		Romano Ferrari Fernández López Silva Santos Kowalski Wiśniewski Novák Horváth Virtanen Korhonen Johansson Andersson Olsen
		Hansen Murphy Kelly O'Brien Papadopoulos Yılmaz Lambert Fontaine Girard Vermeulen Claes Maes Wouters Lindqvist`)
	orgKinds = []struct{ en, kind string }{
		{"Ministry of Finance, procurement unit", "ministry"}, {"Ministry of Health, ICT purchasing", "ministry"},
		{"Regional council, digital services", "region"}, {"City of %s, IT department", "municipality"},
		{"Central purchasing body of %s", "central_purchasing_body"}, {"University of %s, procurement office", "university"},
		{"%s university hospital, purchasing", "hospital"}, {"National digital agency", "agency"},
		{"Supply-chain monitoring NGO", "ngo"}, {"Municipal shared service centre of %s", "municipality"},
	}
	cities = strings.Fields(`Ghent Lyon Utrecht Leipzig Cork Aarhus Graz Turku Porto Bilbao Lille Liège Bremen Malmö Gdańsk
		Brno Trento Tartu Kaunas Ljubljana Eindhoven Nantes Antwerp Freiburg Galway Bergen Uppsala Coimbra Sevilla Namur`)
	countries = strings.Fields(`NL BE FR DE IE DK AT FI PT ES SE PL CZ IT EE LT SI NO LU GR CA AU`)
	jobTitles = []string{"ICT buyer", "Procurement officer", "Category manager ICT", "Sustainable procurement adviser",
		"Head of purchasing", "Contract manager", "Legal adviser, public contracts", "Strategic sourcing lead"}
)

// firstRunes cuts s to at most n characters, at a character boundary.
func firstRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
