package textindex

// stopWords are frequent function words, folded. The lists are short on
// purpose: they keep the term arrays small without hiding words buyers
// search for.
var stopWords = map[string]map[string]struct{}{
	"en": set("a an and are as at be by for from has have in is it its of on or that the this to was were will with which not no but can may shall should than then there these those their they we you your our"),
	"fr": set("a au aux avec ce ces cet cette dans de des du elle en est et il ils je la le les leur leurs l d qu un une ou par pas pour qui que sur se sont son sa ses nous vous ne ni y c s n m t j"),
	"nl": set("de het een en van in is op te dat die voor met zijn aan er als bij door of om tot uit ook naar niet maar dan nog wel ze zij hij we wij u je deze dit"),
	"de": set("der die das den dem des ein eine einer eines einem einen und oder in im ist sind zu zum zur von vom mit auf aus bei fur als auch an am es sie er wir ihr nicht dass so wie nach uber"),
}

func set(words string) map[string]struct{} {
	m := map[string]struct{}{}
	w := ""
	for _, r := range words + " " {
		if r == ' ' {
			if w != "" {
				m[w] = struct{}{}
			}
			w = ""
			continue
		}
		w += string(r)
	}
	return m
}
