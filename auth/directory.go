package auth

import (
	"context"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// DirectoryFilter narrows the member directory. Every field is matched
// literally: values never become query operators.
type DirectoryFilter struct {
	Q        string // words in name, organisation or job title
	Country  string
	OrgType  string
	Language string
	GroupID  string
}

// Directory returns approved members matching f, sorted by name. With a
// group filter the group's member list (already loaded) narrows by ID.
func (s *Store) Directory(ctx context.Context, f DirectoryFilter, groupMembers []string) ([]*Member, error) {
	return s.findMembers(ctx, directoryQuery(f, groupMembers), options.Find().SetSort(bson.D{{Key: "name", Value: 1}}).SetLimit(500))
}

// directoryQuery builds the filter; member input only ever lands in values
// compared for equality or in escaped regular expressions.
func directoryQuery(f DirectoryFilter, groupMembers []string) bson.M {
	filter := bson.M{"status": StatusApproved}
	if f.Country != "" {
		filter["country"] = f.Country
	}
	if f.OrgType != "" {
		filter["org_type"] = f.OrgType
	}
	if f.Language != "" {
		filter["languages"] = f.Language
	}
	if f.GroupID != "" {
		filter["_id"] = bson.M{"$in": groupMembers}
	}
	var and bson.A
	// Invalid UTF-8 would make the database refuse the pattern.
	for _, w := range strings.Fields(strings.ToValidUTF8(f.Q, "")) {
		if len(and) == 5 {
			break
		}
		// QuoteMeta: member input is searched as text, never as a pattern.
		re := bson.M{"$regex": regexp.QuoteMeta(w), "$options": "i"}
		and = append(and, bson.M{"$or": bson.A{bson.M{"name": re}, bson.M{"organisation": re}, bson.M{"job_title": re}}})
	}
	if len(and) > 0 {
		filter["$and"] = and
	}
	return filter
}
