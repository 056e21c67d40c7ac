package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/oapi-codegen/runtime"

	"github.com/p4w-nhs/p4w/pkg/client"
)

// A resource is a collection of the contract, with the generated operations that read it.
type resource struct {
	name    string   // as in the path: /v1/<name>
	columns []string // the table's columns: fields of the record, dotted for nested ones
	csv     bool     // the list answers Accept: text/csv (an export)
	list    listFunc
	check   func(url.Values) error // refuses query parameters list would refuse, sending nothing
	filters []string               // the list's query parameters, from the contract
	get     readFunc               // nil when the contract has no read of one record
}

// readFunc sends the request reading the record id.
type readFunc func(ctx context.Context, c *client.Client, id uuid.UUID, editors ...client.RequestEditorFn) (*http.Response, error)

// listFunc sends the list request with the query parameters q, checked and typed by the
// generated parameters.
type listFunc func(ctx context.Context, c *client.Client, q url.Values, editors ...client.RequestEditorFn) (*http.Response, error)

// resources is every collection of openapi.yaml a caller can list.
var resources = []resource{
	res("participants", lister((*client.Client).ListParticipants), (*client.Client).GetParticipant, true,
		"id", "external_ref", "given_name", "family_name", "date_of_birth", "benefit_status", "withheld"),
	res("cohorts", lister((*client.Client).ListCohorts), (*client.Client).GetCohort, false,
		"id", "name", "starts_on", "ends_on", "status", "places_taken", "capacity"),
	res("enrolments", lister((*client.Client).ListEnrolments), (*client.Client).GetEnrolment, true,
		"id", "participant_id", "cohort_id", "status", "referred_on", "started_on"),
	res("placements", lister((*client.Client).ListPlacements), (*client.Client).GetPlacement, true,
		"id", "participant_id", "kind", "role_area", "starts_on", "ends_on", "status"),
	res("outcomes", lister((*client.Client).ListOutcomes), (*client.Client).GetOutcome, true,
		"id", "participant_id", "destination", "positive", "starts_on", "sustained_3_months.result"),
	res("mentors", lister((*client.Client).ListMentors), (*client.Client).GetMentor, false,
		"id", "kind", "given_name", "family_name", "active"),
	res("mentoring-matches", lister((*client.Client).ListMentoringMatches), (*client.Client).GetMentoringMatch, true,
		"id", "mentor_id", "participant_id", "starts_on", "planned_end_on", "status"),
	res("vacancies", lister((*client.Client).ListVacancies), (*client.Client).GetVacancy, false,
		"id", "employer_name", "role", "band", "closing_on", "status"),
	res("interviews", lister((*client.Client).ListInterviews), (*client.Client).GetInterview, false,
		"id", "vacancy_id", "participant_id", "held_on", "result"),
	res("organisations", lister((*client.Client).ListOrganisations), (*client.Client).GetOrganisation, false,
		"id", "kind", "name", "ods_code", "region"),
	res("programmes", lister((*client.Client).ListProgrammes), (*client.Client).GetProgramme, false,
		"id", "code", "name", "category"),
	res("users", lister((*client.Client).ListUsers), (*client.Client).GetUser, false,
		"id", "email", "role", "organisation_id", "enabled"),
	res("api-clients", lister((*client.Client).ListApiClients), (*client.Client).GetApiClient, false,
		"id", "name", "client_id", "purpose", "revoked_at"),
	res("audit-events", lister((*client.Client).ListAuditEvents), nil, false,
		"at", "actor", "action", "resource_type", "resource_id"),
}

type getFunc = func(*client.Client, context.Context, uuid.UUID, ...client.RequestEditorFn) (*http.Response, error)

func res(name string, l listOp, get getFunc, csv bool, columns ...string) resource {
	r := resource{name: name, list: l.send, check: l.check, filters: l.params, csv: csv, columns: columns}
	if get != nil {
		r.get = func(ctx context.Context, c *client.Client, id uuid.UUID, eds ...client.RequestEditorFn) (*http.Response, error) {
			return get(c, ctx, id, eds...)
		}
	}
	return r
}

// listOp is a generated list operation and the names of its query parameters.
type listOp struct {
	send   listFunc
	check  func(url.Values) error
	params []string
}

// lister adapts a generated list operation, whose parameters P are a struct with a field
// for each query parameter, to listFunc.
func lister[P any](op func(*client.Client, context.Context, *P, ...client.RequestEditorFn) (*http.Response, error)) listOp {
	names := paramNames(reflect.TypeFor[P]())
	check := func(q url.Values) error {
		var p P
		return bindParams(&p, q, names)
	}
	return listOp{params: names, check: check, send: func(ctx context.Context, c *client.Client, q url.Values, eds ...client.RequestEditorFn) (*http.Response, error) {
		var p P
		if err := bindParams(&p, q, names); err != nil {
			return nil, err
		}
		return op(c, ctx, &p, eds...)
	}}
}

// paramNames are the query parameters of a generated parameters struct, from its form tags.
func paramNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("form"), ","); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// bindParams sets p's fields from q as the server would read them, so that a malformed
// value (a date, an id, a number) is refused here, naming the filter, before any request.
func bindParams(p any, q url.Values, names []string) error {
	for k := range q {
		if !slices.Contains(names, k) {
			return usageError("unknown filter %q; this list takes %s", k, strings.Join(filterNames(names), ", "))
		}
	}
	v := reflect.ValueOf(p).Elem()
	for f := range v.Type().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("form"), ",")
		if name == "" || !q.Has(name) {
			continue
		}
		if err := runtime.BindRawQueryParameter("form", true, false, name, q.Encode(), v.FieldByIndex(f.Index).Addr().Interface()); err != nil {
			return usageError("filter %s=%q: %v", name, q.Get(name), unwrapBind(err))
		}
	}
	return nil
}

// unwrapBind shortens the runtime's binding errors to their cause.
func unwrapBind(err error) error {
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err
}

// filterNames are the parameters a user gives with --filter: all but the paging ones, which
// have flags of their own.
func filterNames(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "limit" || n == "cursor" })
}
