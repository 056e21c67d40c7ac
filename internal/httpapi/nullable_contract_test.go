package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// rawContract is openapi.yaml as plain maps and lists, $refs and siblings as written: the
// loader would resolve a $ref and drop what stands beside it.
func rawContract(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(api.Spec, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	return doc
}

// eachSchema calls fn with every schema in the document (components, parameters, bodies,
// answers and everything nested in them), and the JSON pointer that reaches it.
func eachSchema(doc map[string]any, fn func(path string, s map[string]any)) {
	var schema func(path string, v any)
	schema = func(path string, v any) {
		s, ok := v.(map[string]any)
		if !ok {
			return
		}
		fn(path, s)
		for _, k := range []string{"items", "additionalProperties", "not"} {
			schema(path+"/"+k, s[k])
		}
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			list, _ := s[k].([]any)
			for i, sub := range list {
				schema(fmt.Sprintf("%s/%s/%d", path, k, i), sub)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for name, sub := range props {
			schema(path+"/properties/"+name, sub)
		}
	}
	// Elsewhere a schema is the value of a "schema" key (parameters, media types, headers).
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if k == "schema" {
					schema(path+"/schema", sub)
					continue
				}
				walk(path+"/"+k, sub)
			}
		case []any:
			for i, sub := range v {
				walk(fmt.Sprintf("%s/%d", path, i), sub)
			}
		}
	}
	walk("#/paths", doc["paths"])
	components, _ := doc["components"].(map[string]any)
	for k, v := range components {
		if k == "schemas" {
			all, _ := v.(map[string]any)
			for name, s := range all {
				schema("#/components/schemas/"+name, s)
			}
			continue
		}
		walk("#/components/"+k, v)
	}
}

// TestContractNullableIsWrittenToWork: in OpenAPI 3.0, nullable adds null only to the type
// written beside it; without a type it does nothing, and a $ref, allOf or enum beside it still
// refuse null. Strict validators (and Redocly) then refuse answers p4w really sends.
func TestContractNullableIsWrittenToWork(t *testing.T) {
	t.Parallel()
	doc := rawContract(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var bad []string
	eachSchema(doc, func(path string, s map[string]any) {
		if s["nullable"] != true {
			return
		}
		if _, ok := s["type"].(string); !ok {
			bad = append(bad, path+": nullable without a type")
		}
		for _, k := range []string{"$ref", "allOf", "anyOf", "oneOf"} {
			if _, ok := s[k]; ok {
				bad = append(bad, path+": nullable beside "+k+", which refuses null")
			}
		}
		if enum, ok := s["enum"].([]any); ok && !containsNull(enum) {
			bad = append(bad, path+": nullable enum without null among its values")
		}
		// An inline copy of a named schema (x-go-type names it for oapi-codegen) must say what
		// the named one says, or the contract would drift apart from itself.
		if name, ok := s["x-go-type"].(string); ok {
			named, ok := schemas[name].(map[string]any)
			if !ok {
				bad = append(bad, path+": x-go-type "+name+" names no schema of the contract")
				return
			}
			if got, want := comparable(s), comparable(named); !reflect.DeepEqual(got, want) {
				bad = append(bad, fmt.Sprintf("%s: differs from %s: %v, want %v", path, name, got, want))
			}
		}
	})
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

func containsNull(list []any) bool {
	for _, v := range list {
		if v == nil {
			return true
		}
	}
	return false
}

// comparable is a schema without what a nullable copy adds or may word differently.
func comparable(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		switch k {
		case "nullable", "description", "x-go-type":
			continue
		case "enum":
			var values []any
			for _, e := range v.([]any) {
				if e != nil {
					values = append(values, e)
				}
			}
			v = values
		}
		out[k] = v
	}
	return out
}

// jsonSchemaOf turns the contract's component schemas into one JSON Schema (draft 4, which
// OpenAPI 3.0's schemas extend) the way strict tools do: nullable with a type becomes
// type [t, "null"]; nullable without one has no effect, as OpenAPI 3.0 says.
func jsonSchemaOf(t *testing.T, doc map[string]any) *jsonschema.Compiler {
	t.Helper()
	var convert func(v any) any
	convert = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, sub := range v {
				switch {
				case k == "$ref":
					out[k] = strings.Replace(sub.(string), "#/components/schemas/", "#/definitions/", 1)
				case k == "properties":
					props := map[string]any{}
					for name, p := range sub.(map[string]any) {
						props[name] = convert(p)
					}
					out[k] = props
				case k == "nullable", k == "readOnly", k == "writeOnly", k == "example", k == "discriminator",
					strings.HasPrefix(k, "x-"):
				default:
					out[k] = convert(sub)
				}
			}
			if typ, ok := v["type"].(string); ok && v["nullable"] == true {
				out["type"] = []any{typ, "null"}
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, sub := range v {
				out[i] = convert(sub)
			}
			return out
		}
		return v
	}
	defs := convert(doc["components"].(map[string]any)["schemas"])
	b, err := json.Marshal(map[string]any{"$schema": "http://json-schema.org/draft-04/schema#", "definitions": defs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("contract.json", res); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContractAdmitsRealAnswersWithNulls sends answers with each nullable field null (the
// national team has no region; an outcome may have no sector and no sustainment check yet)
// and validates them against the contract: with kin-openapi, as every answer of these tests is
// (apitest's transport), and with a strict JSON Schema validator, after compiling every schema.
func TestContractAdmitsRealAnswersWithNulls(t *testing.T) {
	t.Parallel()
	doc := rawContract(t)
	c := jsonSchemaOf(t, doc)
	compiled := map[string]*jsonschema.Schema{}
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		s, err := c.Compile("contract.json#/definitions/" + name)
		if err != nil {
			t.Errorf("schema %s does not compile: %v", name, err)
			continue
		}
		compiled[name] = s
	}

	env := apitest.New(t)
	national, err := env.Services.Organisations.Create(apitest.System(),
		domain.Organisation{Kind: domain.KindNational, Name: "Health Education England"}, []string{"kind", "name"})
	if err != nil {
		t.Fatalf("create the national team: %v", err)
	}
	admin := env.User(t, national.ID, domain.RoleNationalAdmin)
	trust := env.Organisation(t, domain.KindTrust, "Northgate").ID.String()
	coordinator := env.User(t, uuidOf(t, trust), domain.RoleCoordinator)

	participant := apitest.JSON(t, "organisation_id", trust, "given_name", "Sam", "family_name", "Okafor",
		"date_of_birth", "2001-04-05", "benefit_status", "universal_credit", "consent", map[string]any{"processing": true})
	p := env.Do(t, http.MethodPost, "/v1/participants", coordinator, participant)
	var pid struct {
		ID string `json:"id"`
	}
	p.Decode(t, &pid)
	outcome := env.Do(t, http.MethodPost, "/v1/outcomes", coordinator, outcomeBody(t, pid.ID))
	// A merge patch clears with null: the patch schemas must admit it too.
	patched := env.Do(t, http.MethodPatch, "/v1/participants/"+pid.ID, coordinator,
		`{"external_ref":null,"phone":null,"postcode":null,"referral_source":null}`, "Content-Type", "application/merge-patch+json")

	// A nullable enum lists null among its values; a refusal offers only the real ones.
	bad := env.Do(t, http.MethodPatch, "/v1/participants/"+pid.ID, coordinator, `{"referral_source":"astronaut"}`,
		"Content-Type", "application/merge-patch+json")
	if msg := bad.Problem(t).Message("referral_source"); !strings.HasPrefix(msg, "must be one of [jobcentre_plus") || strings.Contains(msg, "nil") {
		t.Errorf("an unknown referral_source: message %q, want the values without null", msg)
	}

	for _, tc := range []struct {
		name   string
		res    apitest.Response
		status int
		schema string
		nulls  []string
	}{
		{"the national team", env.Do(t, http.MethodGet, "/v1/organisations/"+national.ID.String(), admin, ""), 200, "Organisation", []string{"region"}},
		{"a participant", p, 201, "Participant", []string{"referral_source", "phone", "postcode", "external_ref"}},
		{"a patched participant", patched, 200, "Participant", []string{"referral_source", "external_ref"}},
		{"an outcome", outcome, 201, "Outcome", []string{"sector", "sustained_3_months", "sustained_6_months"}},
	} {
		if tc.res.Status != tc.status {
			t.Fatalf("%s: %d, want %d: %s", tc.name, tc.res.Status, tc.status, tc.res.Body)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(tc.res.Body))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tc.nulls {
			if got, ok := v.(map[string]any)[f]; !ok || got != nil {
				t.Errorf("%s: %s = %v, want null (the test would prove nothing)", tc.name, f, got)
			}
		}
		if s := compiled[tc.schema]; s != nil {
			if err := s.Validate(v); err != nil {
				t.Errorf("%s does not validate against %s: %v", tc.name, tc.schema, err)
			}
		}
	}

	// The patch bodies with null in every nullable field, as a client sends them.
	for schema, body := range map[string]string{
		"OrganisationPatch": `{"ods_code":null,"region":null}`,
		"ParticipantPatch":  `{"external_ref":null,"phone":null,"postcode":null,"referral_source":null}`,
		"OutcomePatch":      `{"sector":null,"sustained_3_months":null,"sustained_6_months":null}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if s := compiled[schema]; s != nil {
			if err := s.Validate(v); err != nil {
				t.Errorf("%s refuses %s: %v", schema, body, err)
			}
		}
	}
}
