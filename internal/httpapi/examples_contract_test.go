package httpapi_test

import (
	"fmt"
	"slices"
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
// components/examples and reached by $ref, from an operation, a shared answer or a parameter,
// is valid against the schema it illustrates, and every named example is used, so none escapes
// the check. A front end developer copies these; a wrong one is a bug report.
func TestContractExamplesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	problems, checked := exampleProblems(contract(t))
	for _, p := range problems {
		t.Error(p)
	}
	if checked < 100 {
		t.Errorf("checked %d examples: the walk misses some", checked)
	}
}

// exampleProblems checks every example of doc and says what is wrong with each that fails,
// and how many it checked.
func exampleProblems(doc *openapi3.T) (problems []string, checked int) {
	used := map[*openapi3.Example]bool{}
	// A named example used in many places is reported once for each schema it breaks.
	type use struct {
		example *openapi3.Example
		schema  *openapi3.Schema
	}
	reported := map[use]bool{}
	check := func(where, name string, schema *openapi3.Schema, value any, named *openapi3.Example, request bool) {
		checked++
		err := schema.VisitJSON(value, exampleOptions(request)...)
		if err == nil || named != nil && reported[use{named, schema}] {
			return
		}
		reported[use{named, schema}] = true
		problems = append(problems, fmt.Sprintf("%s: example %s does not match its schema:\n%v", where, name, err))
	}
	named := func(where string, schema *openapi3.Schema, examples openapi3.Examples, request bool) {
		for _, name := range sortedKeys(examples) {
			ex := examples[name]
			switch {
			case ex == nil || ex.Value == nil:
				problems = append(problems, fmt.Sprintf("%s: example %s resolves to nothing", where, name))
			case ex.Value.Value == nil:
				problems = append(problems, fmt.Sprintf("%s: example %s has no value (externalValue is not checked; write the value)", where, name))
			default:
				used[ex.Value] = true
				check(where, name, schema, ex.Value.Value, ex.Value, request)
			}
		}
	}
	for _, c := range mediaTypesOf(doc) {
		if c.media.Schema == nil || c.media.Schema.Value == nil {
			if c.media.Example != nil || len(c.media.Examples) > 0 {
				problems = append(problems, c.where+": examples but no schema to check them against")
			}
			continue
		}
		if c.media.Example != nil {
			check(c.where, "(inline)", c.media.Schema.Value, c.media.Example, nil, c.request)
		}
		named(c.where, c.media.Schema.Value, c.media.Examples, c.request)
	}
	for _, p := range parametersOf(doc) {
		schema := p.param.Schema.Value
		if p.param.Example != nil {
			check(p.where, "(inline)", schema, p.param.Example, nil, true)
		}
		if schema.Example != nil {
			check(p.where+" schema", "(inline)", schema, schema.Example, nil, true)
		}
		named(p.where, schema, p.param.Examples, true)
	}
	// A schema's own example (as TenderRound's) is checked against that schema.
	for _, name := range sortedKeys(doc.Components.Schemas) {
		if s := doc.Components.Schemas[name].Value; s.Example != nil {
			check("#/components/schemas/"+name, "(inline)", s, s.Example, nil, false)
		}
	}
	for _, name := range sortedKeys(doc.Components.Examples) {
		if ex := doc.Components.Examples[name]; ex.Value == nil || !used[ex.Value] {
			problems = append(problems, "#/components/examples/"+name+" is used nowhere, so nothing checks it against a schema")
		}
	}
	return problems, checked
}

// parameter is one parameter of the contract, with where it is.
type parameter struct {
	where string
	param *openapi3.Parameter
}

// parametersOf lists the parameters of every path, operation and components/parameters.
func parametersOf(doc *openapi3.T) []parameter {
	var out []parameter
	add := func(where string, params openapi3.Parameters) {
		for _, p := range params {
			if p.Value != nil && p.Value.Schema != nil && p.Value.Schema.Value != nil {
				out = append(out, parameter{where + " parameter " + p.Value.Name, p.Value})
			}
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		add(path, item.Parameters)
		for method, op := range item.Operations() {
			add(method+" "+path, op.Parameters)
		}
	}
	for _, name := range sortedKeys(doc.Components.Parameters) {
		add("#/components/parameters/"+name, openapi3.Parameters{doc.Components.Parameters[name]})
	}
	return out
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

// TestContractExamplesAreCheckedForReal breaks a named example reached by $ref from an
// operation, one of a shared answer, and a parameter's, and sees the check refuse each: a check
// that passed everything would look like a clean contract.
func TestContractExamplesAreCheckedForReal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(doc *openapi3.T) bool
		want  string
	}{
		{"a cohort's capacity as text", func(doc *openapi3.T) bool {
			return breakField(doc.Components.Examples["Cohort"], "capacity")
		}, "example Cohort does not match"},
		{"a problem's status as text", func(doc *openapi3.T) bool {
			return breakField(doc.Components.Examples["ProblemNotFound"], "status")
		}, "example ProblemNotFound does not match"},
		{"a parameter's example outside its pattern", func(doc *openapi3.T) bool {
			p := doc.Components.Parameters["Cursor"]
			if p == nil {
				return false
			}
			p.Value.Example = "not a cursor!"
			return true
		}, "parameter cursor"},
	} {
		doc := contract(t)
		if !tc.spoil(doc) {
			t.Fatalf("%s: nothing to break", tc.name)
		}
		problems, _ := exampleProblems(doc)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
			t.Errorf("%s passed the check (problems: %q)", tc.name, problems)
		}
	}
}

// breakField sets a field of a named example's object to a string, which no number accepts.
func breakField(ex *openapi3.ExampleRef, field string) bool {
	if ex == nil || ex.Value == nil {
		return false
	}
	value, ok := ex.Value.Value.(map[string]any)
	if ok {
		value[field] = "not a number"
	}
	return ok
}
