package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/httpapi"
)

// PostgreSQL refuses a NUL character in text, and text that is not UTF-8; the contract refuses
// them first, naming the field, wherever they come: body, query or form.
func TestTextPostgreSQLCannotStoreIsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	_, admin := env.NationalAdmin(t)
	id := env.MustCreate(t, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID))

	cases := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		field        string
	}{
		{"NUL in a JSON field", http.MethodPost, "/v1/participants",
			apitest.ParticipantBody(t, trust.ID, "given_name", "a\x00b"), nil, "given_name"},
		// Named by its path; the scope's enum would refuse it too, after.
		{"NUL in an array", http.MethodPost, "/v1/api-clients",
			apitest.JSON(t, "name", "Rota sync", "organisation_id", trust.ID.String(), "scopes", []string{"participants:read", "x\x00"}), nil, "scopes.1"},
		{"NUL in a merge patch", http.MethodPatch, "/v1/participants/" + id, `{"family_name":"T\u0000"}`,
			[]string{"Content-Type", "application/merge-patch+json"}, "family_name"},
		{"NUL in the search", http.MethodGet, "/v1/participants?q=a%00b", "", nil, "q"},
		{"search not UTF-8", http.MethodGet, "/v1/participants?q=a%FFb", "", nil, "q"},
	}
	// The token endpoint's form fields too, refused as OAuth 2 errors (RFC 6749 §5.2) that name
	// the field.
	for _, tc := range []struct{ name, form string }{
		{"NUL in a form field", apitest.PasswordGrant(email+"\x00", "whatever")},
		{"form field not UTF-8", "grant_type=password&username=a%FF&password=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantOAuthError(t, env.PostToken(t, tc.form), http.StatusBadRequest, "invalid_request")
			if !strings.Contains(e.Description, "username") {
				t.Errorf("error_description %q does not name username", e.Description)
			}
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			as := token
			if tc.path == "/v1/api-clients" {
				as = admin
			}
			apitest.WantProblem(t, env.Do(t, tc.method, tc.path, as, tc.body, tc.headers...), http.StatusBadRequest, tc.field)
		})
	}
}

// Go's decoder turns bytes that are not UTF-8, and half a surrogate pair, into U+FFFD, and
// reads the first JSON value of a body and ignores the rest; p4w refuses both.
func TestJSONBodyIsOneValueOfUTF8(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	valid := apitest.ParticipantBody(t, trust.ID)
	named := func(given string) string {
		return strings.Replace(valid, `"given_name":"Alex"`, `"given_name":"`+given+`"`, 1)
	}
	if named("X") == valid {
		t.Fatalf("the body has no given_name to replace: %s", valid)
	}

	cases := []struct {
		name, body, field string
	}{
		{"a byte that is not UTF-8", named("A\xffB"), "given_name"},
		{"a truncated UTF-8 sequence", named("A\xc3"), "given_name"},
		{"a lone high surrogate", named(`A\ud83dB`), "given_name"},
		{"a lone low surrogate", named(`A\ude00B`), "given_name"},
		{"a second value", valid + ` {}`, "body"},
		{"a second copy", valid + valid, "body"},
		{"text after the value", valid + `xyz`, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/participants", token, tc.body), http.StatusBadRequest, tc.field)
		})
	}

	// The controls: what looks like them but is sound is stored as sent.
	for _, tc := range []struct{ name, body, want string }{
		{"a surrogate pair", named(`A\ud83d\ude00B`), "A😀B"},
		{"U+FFFD sent as itself", named("A\uFFFDB"), "A\uFFFDB"},
		{"U+FFFD sent escaped", named(`A\ufffdB`), "A\uFFFDB"},
		{"an escaped backslash before u", named(`A\\ud800`), `A\ud800`},
		{"white space after the value", valid + "\r\n\t ", "Alex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/participants", token, tc.body)
			apitest.WantStatus(t, res, http.StatusCreated)
			var got struct {
				GivenName string `json:"given_name"`
			}
			res.Decode(t, &got)
			if got.GivenName != tc.want {
				t.Errorf("given_name %q, want %q", got.GivenName, tc.want)
			}
		})
	}
}

// If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches, even of the
// current version.
func TestIfMatchComparesStrongly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	create := func(t *testing.T) string {
		t.Helper()
		return "/v1/participants/" + env.MustCreate(t, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID))
	}

	// Each names version 1 of a participant at version 1, in a form that is not its tag.
	for _, tag := range []string{`W/"1"`, `w/"1"`, `1`, `"01"`, `"+1"`, `"1", "2"`} {
		t.Run(tag, func(t *testing.T) {
			apitest.WantProblem(t, env.Patch(t, create(t), token, `{"family_name":"Weak"}`, "If-Match", tag), http.StatusPreconditionFailed, "")
		})
	}
	path := create(t)
	apitest.WantStatus(t, env.Patch(t, path, token, `{"family_name":"Strong"}`, "If-Match", `"1"`), http.StatusOK)
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path, token, "", "If-Match", `W/"2"`), http.StatusPreconditionFailed, "")
}

// A header block over the documented limit answers 431 as problem+json, not Go's plain text.
func TestHeaderBlockOverTheLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	p := apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/participants", token, "",
		"X-Padding", strings.Repeat("a", httpapi.MaxHeaderBytes)), http.StatusRequestHeaderFieldsTooLarge, "")
	if p.Type != "/problems/headers_too_large" {
		t.Errorf("problem type %q", p.Type)
	}
	// Many fields, each small, count together.
	var many []string
	for i := range 20 {
		many = append(many, "X-Padding-"+strings.Repeat("b", i+1), strings.Repeat("c", httpapi.MaxHeaderBytes/16))
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/participants", token, "", many...), http.StatusRequestHeaderFieldsTooLarge, "")

	// Under the limit, the request is served.
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/participants", token, "",
		"X-Padding", strings.Repeat("a", httpapi.MaxHeaderBytes-4<<10)), http.StatusOK)
}
