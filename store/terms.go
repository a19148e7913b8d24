package store

import "go.mongodb.org/mongo-driver/bson"

// TermsFilter is the filter for one group of search words over an analysed
// terms array (see textindex): a document matches when, for one of the
// alternatives, field holds a value of every clause. One alternative is a
// plain conjunction; several (a glossary concept's terms in other
// languages) become an $or of conjunctions, which MongoDB and FerretDB both
// answer, MongoDB from the multikey index.
func TermsFilter(field string, alternatives [][][]string) bson.M {
	and := func(clauses [][]string) bson.A {
		all := bson.A{}
		for _, c := range clauses {
			all = append(all, bson.M{field: bson.M{"$in": c}})
		}
		return all
	}
	if len(alternatives) == 1 {
		return bson.M{"$and": and(alternatives[0])}
	}
	or := bson.A{}
	for _, alt := range alternatives {
		or = append(or, bson.M{"$and": and(alt)})
	}
	return bson.M{"$or": or}
}
