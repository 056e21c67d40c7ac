package httpapi_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// exampleCheck is one media type of the contract whose examples are checked: where it is,
// its schema, and whether it is a request's (readOnly fields refused) or an answer's
// (writeOnly fields refused).
type exampleCheck struct {
	where   string
	media   *openapi3.MediaType
	request bool
}

// mediaTypesOf lists every media type of the contract's operations and shared answers: request
// bodies, every answer of every operation, and components/responses and requestBodies (which
// the operations reach by $ref, but are checked also on their own, in case none does).
func mediaTypesOf(doc *openapi3.T) []exampleCheck {
	var out []exampleCheck
	add := func(where string, content openapi3.Content, request bool) {
		for _, name := range sortedKeys(content) {
			out = append(out, exampleCheck{where: where + " " + name, media: content[name], request: request})
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			where := method + " " + path
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				add(where+" request", op.RequestBody.Value.Content, true)
			}
			for status, r := range op.Responses.Map() {
				if r.Value != nil {
					add(where+" "+status, r.Value.Content, false)
				}
			}
		}
	}
	for name, r := range doc.Components.Responses {
		add("#/components/responses/"+name, r.Value.Content, false)
	}
	for name, b := range doc.Components.RequestBodies {
		add("#/components/requestBodies/"+name, b.Value.Content, true)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// exampleOptions validates as the server does: kin-openapi checks date and date-time by
// itself, and uuid and email only when told, as the server's validator tells it.
func exampleOptions(request bool) []openapi3.SchemaValidationOption {
	opts := []openapi3.SchemaValidationOption{
		openapi3.MultiErrors(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	}
	if request {
		return append(opts, openapi3.VisitAsRequest())
	}
	return append(opts, openapi3.VisitAsResponse())
}

// TestContractExamplesMatchTheirSchemas: every example in the contract, written inline or in
// components/examples and reached by $ref, from an operation or a shared answer, is valid
// against the schema of the media type it illustrates, and every named example is used, so
// none escapes the check. A front end developer copies these; a wrong one is a bug report.
func TestContractExamplesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	doc := contract(t)
	checked := map[*openapi3.Example]bool{}
	// A named example used in many places is reported once for each schema it breaks.
	type use struct {
		example *openapi3.Example
		schema  *openapi3.Schema
	}
	reported := map[use]bool{}
	count := 0
	for _, c := range mediaTypesOf(doc) {
		if c.media.Schema == nil || c.media.Schema.Value == nil {
			if c.media.Example != nil || len(c.media.Examples) > 0 {
				t.Errorf("%s: examples but no schema to check them against", c.where)
			}
			continue
		}
		schema := c.media.Schema.Value
		check := func(name string, value any, named *openapi3.Example) {
			count++
			if err := schema.VisitJSON(value, exampleOptions(c.request)...); err != nil && !reported[use{named, schema}] {
				reported[use{named, schema}] = named != nil
				t.Errorf("%s: example %s does not match its schema:\n%v", c.where, name, err)
			}
		}
		if c.media.Example != nil {
			check("(inline)", c.media.Example, nil)
		}
		for _, name := range sortedKeys(c.media.Examples) {
			ex := c.media.Examples[name]
			if ex == nil || ex.Value == nil {
				t.Errorf("%s: example %s resolves to nothing", c.where, name)
				continue
			}
			if ex.Value.Value == nil {
				t.Errorf("%s: example %s has no value (externalValue is not checked; write the value)", c.where, name)
				continue
			}
			checked[ex.Value] = true
			check(name, ex.Value.Value, ex.Value)
		}
	}
	for _, name := range sortedKeys(doc.Components.Examples) {
		if ex := doc.Components.Examples[name]; ex.Value == nil || !checked[ex.Value] {
			t.Errorf("#/components/examples/%s is used by no media type, so nothing checks it against a schema", name)
		}
	}
	// A schema's own example (as TenderRound's) is checked against that schema.
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name].Value
		if s.Example != nil {
			count++
			if err := s.VisitJSON(s.Example, exampleOptions(false)...); err != nil {
				t.Errorf("#/components/schemas/%s: its example does not match it:\n%v", name, err)
			}
		}
	}
	if count == 0 {
		t.Fatal("found no example to check")
	}
	t.Logf("checked %d examples", count)
}

// TestContractOperationsHaveExamples: every operation shows an example of each body it takes
// (in each content type) and of each successful answer with a body, and every shared error
// answer shows one, so that a new operation without examples fails here, not in review.
func TestContractOperationsHaveExamples(t *testing.T) {
	t.Parallel()
	doc := contract(t)
	var missing []string
	for _, c := range mediaTypesOf(doc) {
		if c.media.Example != nil || len(c.media.Examples) > 0 {
			continue
		}
		needed := c.request || strings.HasPrefix(c.where, "#/components/responses/")
		if fields := strings.Fields(c.where); !needed && len(fields) >= 3 {
			status := fields[2]
			needed = len(status) == 3 && status[0] == '2'
		}
		if needed {
			missing = append(missing, c.where)
		}
	}
	for _, m := range missing {
		t.Errorf("%s: no example", m)
	}
}

// TestContractExamplesAreCheckedForReal breaks one example of each kind the checks above walk
// (a named example reached by $ref from an operation, one of a shared answer) and sees the
// check refuse it: a check that passes everything would otherwise look like a clean contract.
func TestContractExamplesAreCheckedForReal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ example, field string }{
		{"Cohort", "capacity"},        // reached from GET /v1/cohorts/{cohort_id}
		{"ProblemNotFound", "status"}, // reached from components/responses/NotFound
	} {
		doc := contract(t)
		ex, ok := doc.Components.Examples[tc.example]
		if !ok {
			t.Fatalf("no #/components/examples/%s to break", tc.example)
		}
		value, ok := ex.Value.Value.(map[string]any)
		if !ok {
			t.Fatalf("#/components/examples/%s is not an object", tc.example)
		}
		value[tc.field] = "not a number"
		refused := false
		for _, c := range mediaTypesOf(doc) {
			for _, e := range c.media.Examples {
				if e.Value == ex.Value && c.media.Schema.Value.VisitJSON(e.Value.Value, exampleOptions(c.request)...) != nil {
					refused = true
				}
			}
		}
		if !refused {
			t.Errorf("%s with %s = %q passed the check", tc.example, tc.field, value[tc.field])
		}
	}
}
