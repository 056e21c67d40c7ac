package httpapi_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/httpapi"
)

// TestContractListsEveryProblemType: the Problem schema's `type` explains every problem type the
// server can send (problem.go's table), and the contract mentions no type the server never
// sends, so that a client switching on `type` has the whole list.
func TestContractListsEveryProblemType(t *testing.T) {
	t.Parallel()
	doc := rawContract(t)
	problem := doc["components"].(map[string]any)["schemas"].(map[string]any)["Problem"].(map[string]any)
	typeSchema, _ := problem["properties"].(map[string]any)["type"].(map[string]any)
	listed, _ := typeSchema["description"].(string)
	sent := httpapi.ProblemTypes()
	if len(sent) < 10 {
		t.Fatalf("ProblemTypes() = %v: too few to be the server's table", sent)
	}
	for _, typ := range sent {
		if !regexp.MustCompile("(?m)^- `" + regexp.QuoteMeta(typ) + "`.*: .+").MatchString(listed) {
			t.Errorf("the server sends problem type %s, which Problem.type's description does not explain (a line \"- `%s` (status): meaning\")", typ, typ)
		}
	}
	mentioned := regexp.MustCompile("/problems/[a-z_]+").FindAllString(string(api.Spec), -1)
	sort.Strings(mentioned)
	for _, typ := range slices.Compact(mentioned) {
		if !slices.Contains(sent, typ) {
			t.Errorf("the contract mentions problem type %s, which the server never sends", typ)
		}
	}
}

// TestContractExplainsEveryEnumValue: every enum of the contract, whether a named schema, a
// property or a parameter's, explains each of its values in its own description, as a Markdown
// list item "- `value`: meaning" (or "- `value` (400): meaning"), so that a new value without an explanation fails here.
func TestContractExplainsEveryEnumValue(t *testing.T) {
	t.Parallel()
	doc := rawContract(t)
	enums := 0
	var bad []string
	eachSchema(doc, func(path string, s map[string]any) {
		values, ok := s["enum"].([]any)
		if !ok {
			return
		}
		enums++
		description, _ := s["description"].(string)
		for _, v := range values {
			if v == nil { // null is explained by nullable, and by the named schema's own description
				continue
			}
			item := regexp.MustCompile("(?m)^- `" + regexp.QuoteMeta(fmt.Sprint(v)) + "`[^:\n]*: .+")
			if !item.MatchString(description) {
				bad = append(bad, fmt.Sprintf("%s: value %q is not explained in its description (a line \"- `%v`: meaning\")", path, v, v))
			}
		}
	})
	if enums < 30 {
		t.Fatalf("found %d enums: the walk misses some", enums)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}
