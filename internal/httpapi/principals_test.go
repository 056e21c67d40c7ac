package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// userRecord is a user as the API sends it.
type userRecord struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisation_id"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	Enabled        bool   `json:"enabled"`
	Version        int64  `json:"version"`
}

// clientRecord is an API client as the API sends it; ClientSecret is only ever set on creation.
type clientRecord struct {
	ID             string     `json:"id"`
	OrganisationID string     `json:"organisation_id"`
	Name           string     `json:"name"`
	ClientID       string     `json:"client_id"`
	ClientSecret   string     `json:"client_secret"`
	Scopes         []string   `json:"scopes"`
	RevokedAt      *time.Time `json:"revoked_at"`
	Version        int64      `json:"version"`
}

// auditRecord is an audit event as the API sends it.
type auditRecord struct {
	ID             string    `json:"id"`
	Actor          string    `json:"actor"`
	OrganisationID *string   `json:"organisation_id"`
	Action         string    `json:"action"`
	ResourceType   string    `json:"resource_type"`
	ResourceID     string    `json:"resource_id"`
	Fields         []string  `json:"fields"`
	RequestID      string    `json:"request_id"`
	At             time.Time `json:"at"`
}

// recordPage is one page of any list.
type recordPage[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// principalsPassword is a valid password of exactly the minimum length (12).
const principalsPassword = "twelve chars"

// newEmail returns an email nobody has used yet.
func newEmail(prefix string) string {
	return prefix + "-" + uuid.NewString()[:8] + "@example.org"
}

func userBody(t *testing.T, email, password string, role domain.Role, org uuid.UUID) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"email": email, "password": password, "role": string(role), "organisation_id": org.String()})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustCreateUserVia creates a user through POST /v1/users as token and returns it.
func mustCreateUserVia(t *testing.T, env *apitest.Env, token string, org uuid.UUID, role domain.Role) (userRecord, string) {
	t.Helper()
	email := newEmail(string(role))
	res := env.Do(t, http.MethodPost, "/v1/users", token, userBody(t, email, principalsPassword, role, org))
	apitest.WantStatus(t, res, http.StatusCreated)
	var u userRecord
	res.Decode(t, &u)
	return u, email
}

// subjectID is the id in an access token's subject ("user:<id>" or "client:<id>").
func subjectID(t *testing.T, token string) string {
	t.Helper()
	sub, _ := apitest.Claims(t, token)["sub"].(string)
	_, id, ok := strings.Cut(sub, ":")
	if !ok {
		t.Fatalf("token subject %q", sub)
	}
	return id
}

// registerClient creates an API client of org through POST /v1/api-clients as an admin.
func registerClient(t *testing.T, env *apitest.Env, adminToken string, org uuid.UUID, scopes ...string) clientRecord {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": "HR system " + uuid.NewString()[:6], "organisation_id": org.String(), "scopes": scopes})
	if err != nil {
		t.Fatal(err)
	}
	res := env.Do(t, http.MethodPost, "/v1/api-clients", adminToken, string(b))
	apitest.WantStatus(t, res, http.StatusCreated)
	var c clientRecord
	res.Decode(t, &c)
	if c.ClientID == "" || c.ClientSecret == "" {
		t.Fatalf("no client_id or client_secret: %s", res.Body)
	}
	return c
}

// clientToken returns an access token of the API client c.
func clientToken(t *testing.T, env *apitest.Env, c clientRecord) string {
	t.Helper()
	return env.ClientToken(t, c.ClientID, c.ClientSecret)
}

func userIDs(users []userRecord) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// expectNoSecretFields fails when a user or API client body carries a password, a hash or a secret.
func expectNoSecretFields(t *testing.T, body []byte, secrets ...string) {
	t.Helper()
	lower := strings.ToLower(string(body))
	for _, word := range []string{"password", "hash", "secret", "$argon2"} {
		if strings.Contains(lower, word) {
			t.Errorf("the body mentions %q: %s", word, body)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(body), s) {
			t.Errorf("the body holds a secret: %s", body)
		}
	}
}

// --- users -------------------------------------------------------------------------------------

func TestUserCreateByOrgAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)

	email := newEmail("Coordinator") // upper case: stored and shown in lower case
	res := env.Do(t, http.MethodPost, "/v1/users", admin, userBody(t, email, principalsPassword, domain.RoleCoordinator, trust.ID))
	apitest.WantStatus(t, res, http.StatusCreated)
	var u userRecord
	res.Decode(t, &u)
	if u.ID == "" || u.OrganisationID != trust.ID.String() || u.Role != "coordinator" || !u.Enabled || u.Version != 1 ||
		u.Email != strings.ToLower(email) {
		t.Errorf("created %+v", u)
	}
	if loc := res.Header.Get("Location"); loc != "/v1/users/"+u.ID {
		t.Errorf("Location %q", loc)
	}
	if et := res.Header.Get("ETag"); et != apitest.ETag(u.Version) {
		t.Errorf("ETag %q, want %q", et, apitest.ETag(u.Version))
	}
	expectNoSecretFields(t, res.Body, principalsPassword)

	res = env.Do(t, http.MethodGet, "/v1/users/"+u.ID, admin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	expectNoSecretFields(t, res.Body, principalsPassword)
	if et := res.Header.Get("ETag"); et != apitest.ETag(1) {
		t.Errorf("GET ETag %q", et)
	}

	// The database keeps a hash, not the password.
	var hash string
	if err := env.DB.SQL().QueryRow(`SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash == "" || strings.Contains(hash, principalsPassword) {
		t.Errorf("password_hash %q", hash)
	}

	// The new user signs in, in any letter case of the email, and acts as a coordinator.
	token := env.SignIn(t, strings.ToUpper(email), principalsPassword)
	if id := subjectID(t, token); id != u.ID {
		t.Errorf("signed in as %s, want %s", id, u.ID)
	}
	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/participants", token, apitest.ParticipantBody(t, trust.ID)), http.StatusCreated)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/users", token, ""), http.StatusForbidden, "")

	// Its own rank is allowed.
	peer, _ := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleOrgAdmin)
	if peer.Role != "org_admin" {
		t.Errorf("peer %+v", peer)
	}
	// A higher rank is not, and nothing is created.
	before := env.MustQueryInt(t, `SELECT count(*) FROM users`)
	p := apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		userBody(t, newEmail("boss"), principalsPassword, domain.RoleNationalAdmin, trust.ID)), http.StatusForbidden, "")

	if !strings.Contains(p.Detail, "role") {
		t.Errorf("detail %q does not name the role", p.Detail)
	}
	// Nor a user of another organisation.
	other := env.Organisation(t, domain.KindTrust, "Hillside NHS Trust")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		userBody(t, newEmail("stray"), principalsPassword, domain.RoleViewer, other.ID)), http.StatusUnprocessableEntity, "organisation_id")

	if after := env.MustQueryInt(t, `SELECT count(*) FROM users`); after != before {
		t.Errorf("refused creations left %d users, want %d", after, before)
	}
}

func TestUserCreateByNationalAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nat, national := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")

	// Users anywhere, any role the organisation may hold.
	for _, c := range []struct {
		org  uuid.UUID
		role domain.Role
	}{{a.ID, domain.RoleOrgAdmin}, {b.ID, domain.RoleCoordinator}, {b.ID, domain.RoleViewer}, {nat.ID, domain.RoleNationalAdmin}} {
		u, email := mustCreateUserVia(t, env, national, c.org, c.role)
		if u.OrganisationID != c.org.String() || u.Role != string(c.role) {
			t.Errorf("created %+v, want %s in %s", u, c.role, c.org)
		}
		env.SignIn(t, email, principalsPassword)
	}
	// national_admin belongs to the national organisation only.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", national,
		userBody(t, newEmail("fake-national"), principalsPassword, domain.RoleNationalAdmin, a.ID)), http.StatusUnprocessableEntity, "role")

	if n := env.MustQueryInt(t, `SELECT count(*) FROM users WHERE organisation_id = $1 AND role = 'national_admin'`, a.ID); n != 0 {
		t.Errorf("%d national_admins in a trust", n)
	}
}

func TestUserCreateRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)

	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		userBody(t, newEmail("short"), "eleven char", domain.RoleViewer, trust.ID)), http.StatusBadRequest, "password")

	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		`{"email":"x@example.org","password":"long enough password","role":"overlord","organisation_id":"`+trust.ID.String()+`"}`),
		http.StatusBadRequest, "role")

	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		`{"email":"not-an-email","password":"long enough password","role":"viewer","organisation_id":"`+trust.ID.String()+`"}`),
		http.StatusBadRequest, "email")

	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
		`{"email":"x@example.org","password":"long enough password","role":"viewer","organisation_id":"`+trust.ID.String()+`","enabled":false}`),
		http.StatusBadRequest, "enabled")

	_, email := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleViewer)
	for _, dup := range []string{email, strings.ToUpper(email)} {
		apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/users", admin,
			userBody(t, dup, principalsPassword, domain.RoleCoordinator, trust.ID)), http.StatusConflict, "")

	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM users WHERE email = $1`, email); n != 1 {
		t.Errorf("%d users with the email", n)
	}
}

func TestUserListAndGetWithinReach(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	aAdmin := env.User(t, a.ID, domain.RoleOrgAdmin)
	bAdmin := env.User(t, b.ID, domain.RoleOrgAdmin)
	aCoord, _ := mustCreateUserVia(t, env, aAdmin, a.ID, domain.RoleCoordinator)
	aViewer, _ := mustCreateUserVia(t, env, aAdmin, a.ID, domain.RoleViewer)
	bCoord, _ := mustCreateUserVia(t, env, bAdmin, b.ID, domain.RoleCoordinator)
	aAdminID, bAdminID := subjectID(t, aAdmin), subjectID(t, bAdmin)
	aUsers := []string{aAdminID, aCoord.ID, aViewer.ID}
	bUsers := []string{bAdminID, bCoord.ID}

	if got := userIDs(apitest.AllPages[userRecord](t, env, "/v1/users", aAdmin, 500)); !apitest.SameSet(got, aUsers) {
		t.Errorf("trust A's admin lists %v, want %v", got, aUsers)
	}
	if got := userIDs(apitest.AllPages[userRecord](t, env, "/v1/users", bAdmin, 1)); !apitest.SameSet(got, bUsers) {
		t.Errorf("trust B's admin lists %v (page by page), want %v", got, bUsers)
	}
	if got := apitest.AllPages[userRecord](t, env, "/v1/users?organisation_id="+b.ID.String(), aAdmin, 500); len(got) != 0 {
		t.Errorf("trust A's admin lists trust B's users: %v", got)
	}
	if got := userIDs(apitest.AllPages[userRecord](t, env, "/v1/users?role=viewer", aAdmin, 500)); !apitest.SameSet(got, []string{aViewer.ID}) {
		t.Errorf("role=viewer lists %v", got)
	}
	res := env.Do(t, http.MethodGet, "/v1/users?limit=500", aAdmin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	expectNoSecretFields(t, res.Body)
	for _, id := range append(bUsers, b.ID.String()) {
		if strings.Contains(string(res.Body), id) {
			t.Errorf("trust A's list shows trust B's %s", id)
		}
	}

	// The national team sees both trusts' users.
	all := userIDs(apitest.AllPages[userRecord](t, env, "/v1/users", national, 500))
	for _, id := range append(slices.Clone(aUsers), bUsers...) {
		if !slices.Contains(all, id) {
			t.Errorf("the national admin's list lacks %s", id)
		}
	}
	if got := userIDs(apitest.AllPages[userRecord](t, env, "/v1/users?organisation_id="+b.ID.String(), national, 500)); !apitest.SameSet(got, bUsers) {
		t.Errorf("organisation_id=B lists %v, want %v", got, bUsers)
	}

	// One user: within reach it answers, out of reach it does not exist.
	res = env.Do(t, http.MethodGet, "/v1/users/"+aCoord.ID, aAdmin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var got userRecord
	res.Decode(t, &got)
	if got.ID != aCoord.ID || got.Role != "coordinator" {
		t.Errorf("got %+v", got)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/users/"+bCoord.ID, aAdmin, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/users/"+uuid.NewString(), aAdmin, ""), http.StatusNotFound, "")
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/users/"+bCoord.ID, national, ""), http.StatusOK)
}

func TestUserPatchRoleWithIfMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	u, email := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleCoordinator)
	path := "/v1/users/" + u.ID

	res := env.Patch(t, path, admin, `{"role":"viewer"}`, "If-Match", apitest.ETag(u.Version))
	apitest.WantStatus(t, res, http.StatusOK)
	var got userRecord
	res.Decode(t, &got)
	if got.Role != "viewer" || got.Version != u.Version+1 || !got.Enabled {
		t.Errorf("after the patch: %+v", got)
	}
	if et := res.Header.Get("ETag"); et != apitest.ETag(got.Version) {
		t.Errorf("ETag %q, want %q", et, apitest.ETag(got.Version))
	}
	// The stale version is refused and changes nothing.
	apitest.WantProblem(t, env.Patch(t, path, admin, `{"role":"org_admin"}`,
		"If-Match", apitest.ETag(u.Version)), http.StatusPreconditionFailed, "")

	var role string
	if err := env.DB.SQL().QueryRow(`SELECT role FROM users WHERE id = $1`, u.ID).Scan(&role); err != nil || role != "viewer" {
		t.Errorf("role %q (err %v), want viewer", role, err)
	}
	// A merge patch: a field left out is unchanged.
	res = env.Patch(t, path, admin, `{"role":"org_admin"}`, "If-Match", apitest.ETag(got.Version))
	apitest.WantStatus(t, res, http.StatusOK)
	res.Decode(t, &got)
	if got.Role != "org_admin" || !got.Enabled || got.Email != strings.ToLower(email) {
		t.Errorf("after the second patch: %+v", got)
	}
	// The new role reaches the user's next sign-in.
	if scope, _ := apitest.Claims(t, env.SignIn(t, email, principalsPassword))["scope"].(string); !strings.Contains(scope, "principals:admin") {
		t.Errorf("an org_admin's token has scope %q", scope)
	}
	// Bad patches.
	apitest.WantProblem(t, env.Patch(t, path, admin, `{"role":"overlord"}`), http.StatusBadRequest, "role")
	apitest.WantProblem(t, env.Patch(t, path, admin, `{"email":"new@example.org"}`), http.StatusBadRequest, "email")
	apitest.WantProblem(t, env.Patch(t, "/v1/users/"+uuid.NewString(), admin, `{"enabled":true}`), http.StatusNotFound, "")
}

func TestUserNobodyChangesTheirOwnRole(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)

	for _, c := range []struct {
		name, token, role, want string
	}{
		{"org_admin raises itself", admin, "national_admin", "org_admin"},
		{"org_admin lowers itself", admin, "viewer", "org_admin"},
		{"national_admin demotes itself", national, "org_admin", "national_admin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := subjectID(t, c.token)
			apitest.WantProblem(t, env.Patch(t, "/v1/users/"+id, c.token, `{"role":"`+c.role+`"}`),
				http.StatusForbidden, "")

			var role string
			var version int64
			if err := env.DB.SQL().QueryRow(`SELECT role, version FROM users WHERE id = $1`, id).Scan(&role, &version); err != nil {
				t.Fatal(err)
			}
			if role != c.want || version != 1 {
				t.Errorf("role %q version %d, want %q unchanged", role, version, c.want)
			}
		})
	}
}

func TestUserOrgAdminCannotGrantAHigherRole(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	u, _ := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleCoordinator)

	apitest.WantProblem(t, env.Patch(t, "/v1/users/"+u.ID, admin, `{"role":"national_admin"}`),
		http.StatusForbidden, "")

	// Nor can the national team make a trust's user a national_admin.
	apitest.WantProblem(t, env.Patch(t, "/v1/users/"+u.ID, national, `{"role":"national_admin"}`),
		http.StatusUnprocessableEntity, "role")

	var role string
	var version int64
	if err := env.DB.SQL().QueryRow(`SELECT role, version FROM users WHERE id = $1`, u.ID).Scan(&role, &version); err != nil {
		t.Fatal(err)
	}
	if role != "coordinator" || version != 1 {
		t.Errorf("role %q version %d, want coordinator unchanged", role, version)
	}
}

func TestUserDisabledLosesAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	u, email := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleCoordinator)
	token := env.SignIn(t, email, principalsPassword)
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/participants", token, ""), http.StatusOK)

	res := env.Patch(t, "/v1/users/"+u.ID, admin, `{"enabled":false}`)
	apitest.WantStatus(t, res, http.StatusOK)
	var got userRecord
	res.Decode(t, &got)
	if got.Enabled || got.Role != "coordinator" {
		t.Errorf("after disabling: %+v", got)
	}

	deadline := time.Now().Add(6 * time.Second)
	for {
		res := env.Do(t, http.MethodGet, "/v1/participants", token, "")
		if res.Status == http.StatusUnauthorized {
			res.Problem(t)
			break
		}
		if res.Status != http.StatusOK {
			t.Fatalf("while waiting: %d %s", res.Status, res.Body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the disabled user's token still works after 6 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	res = env.PostToken(t, apitest.PasswordGrant(email, principalsPassword))
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "invalid_grant") {
		t.Errorf("a disabled user signs in: %d %s", res.Status, res.Body)
	}
}

func TestUserReenabledSignsInAgain(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	u, email := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleCoordinator)
	apitest.WantStatus(t, env.Patch(t, "/v1/users/"+u.ID, admin, `{"enabled":false}`), http.StatusOK)
	if res := env.PostToken(t, apitest.PasswordGrant(email, principalsPassword)); res.Status != http.StatusBadRequest {
		t.Fatalf("a disabled user signs in: %d %s", res.Status, res.Body)
	}
	apitest.WantStatus(t, env.Patch(t, "/v1/users/"+u.ID, admin, `{"enabled":true}`), http.StatusOK)
	env.SignIn(t, email, principalsPassword)
}

// TestUserAndApiClientAdminNeedsPrincipalsAdmin: coordinators and viewers manage nobody.
func TestUserAndApiClientAdminNeedsPrincipalsAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	target, _ := mustCreateUserVia(t, env, admin, trust.ID, domain.RoleViewer)
	client := registerClient(t, env, admin, trust.ID, "participants:read")
	org := trust.ID.String()

	ops := []struct{ method, path, body string }{
		{http.MethodGet, "/v1/users", ""},
		{http.MethodPost, "/v1/users", userBody(t, newEmail("x"), principalsPassword, domain.RoleViewer, trust.ID)},
		{http.MethodGet, "/v1/users/" + target.ID, ""},
		{http.MethodPatch, "/v1/users/" + target.ID, `{"enabled":false}`},
		{http.MethodGet, "/v1/api-clients", ""},
		{http.MethodPost, "/v1/api-clients", `{"name":"X","organisation_id":"` + org + `","scopes":["participants:read"]}`},
		{http.MethodGet, "/v1/api-clients/" + client.ID, ""},
		{http.MethodDelete, "/v1/api-clients/" + client.ID, ""},
	}
	users, clients := env.MustQueryInt(t, `SELECT count(*) FROM users`), env.MustQueryInt(t, `SELECT count(*) FROM api_clients`)
	for _, role := range []domain.Role{domain.RoleCoordinator, domain.RoleViewer} {
		token := env.User(t, trust.ID, role)
		users++
		for _, op := range ops {
			t.Run(string(role)+" "+op.method+" "+op.path, func(t *testing.T) {
				var headers []string
				if op.method == http.MethodPatch {
					headers = []string{"Content-Type", "application/merge-patch+json"}
				}
				p := apitest.WantProblem(t, env.Do(t, op.method, op.path, token, op.body, headers...), http.StatusForbidden, "")
				if !strings.Contains(p.Detail, "principals:admin") {
					t.Errorf("detail %q does not name principals:admin", p.Detail)
				}
			})
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM users`); n != users {
		t.Errorf("%d users, want %d", n, users)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM api_clients WHERE revoked_at IS NULL`); n != clients {
		t.Errorf("%d live API clients, want %d", n, clients)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM users WHERE id = $1 AND enabled`, target.ID); n != 1 {
		t.Error("the target user was disabled")
	}
}

// --- API clients -------------------------------------------------------------------------------

func TestApiClientCreateShowsTheSecretOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)

	res := env.Do(t, http.MethodPost, "/v1/api-clients", admin,
		`{"name":"ESR bridge","organisation_id":"`+trust.ID.String()+`","scopes":["participants:read","organisations:read"]}`)
	apitest.WantStatus(t, res, http.StatusCreated)
	var c clientRecord
	res.Decode(t, &c)
	if c.ID == "" || c.ClientID == "" || len(c.ClientSecret) < 32 || c.Name != "ESR bridge" || c.OrganisationID != trust.ID.String() ||
		c.RevokedAt != nil || c.Version != 1 || !apitest.SameSet(c.Scopes, []string{"participants:read", "organisations:read"}) {
		t.Errorf("created %+v", c)
	}
	if loc := res.Header.Get("Location"); loc != "/v1/api-clients/"+c.ID {
		t.Errorf("Location %q", loc)
	}
	if et := res.Header.Get("ETag"); et != apitest.ETag(c.Version) {
		t.Errorf("ETag %q", et)
	}

	// Never again: not in one client, not in the list.
	res = env.Do(t, http.MethodGet, "/v1/api-clients/"+c.ID, admin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	expectNoSecretFields(t, res.Body, c.ClientSecret)
	var got clientRecord
	res.Decode(t, &got)
	if got.ClientID != c.ClientID || got.ClientSecret != "" {
		t.Errorf("got %+v", got)
	}
	res = env.Do(t, http.MethodGet, "/v1/api-clients?limit=500", admin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	expectNoSecretFields(t, res.Body, c.ClientSecret)
	if !strings.Contains(string(res.Body), c.ClientID) {
		t.Errorf("the list lacks the client: %s", res.Body)
	}

	// The secret signs the client in, with the scopes it was granted.
	token := clientToken(t, env, c)
	scope, _ := apitest.Claims(t, token)["scope"].(string)
	if !apitest.SameSet(strings.Fields(scope), c.Scopes) {
		t.Errorf("token scope %q, want %v", scope, c.Scopes)
	}
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/participants", token, ""), http.StatusOK)
	if res := env.PostToken(t, apitest.ClientGrant(c.ClientID, c.ClientSecret+"x")); res.Status != http.StatusUnauthorized {
		t.Errorf("a wrong secret: %d %s", res.Status, res.Body)
	}
}

// secretPlaces scans every text, JSON and bytea column of the tables for each needle and returns,
// for each needle found, the table.column places holding it.
func secretPlaces(t *testing.T, env *apitest.Env, tables []string, needles ...[]byte) map[string][]string {
	t.Helper()
	db := env.DB.SQL()
	rows, err := db.Query(`SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = ANY($1)
		AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')
		ORDER BY table_name, ordinal_position`, "{"+strings.Join(tables, ",")+"}")
	if err != nil {
		t.Fatal(err)
	}
	type column struct{ table, name, typ string }
	var cols []column
	seen := map[string]bool{}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
		seen[c.table] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		if !seen[table] {
			t.Fatalf("the scan sees no column of %s", table)
		}
	}
	found := map[string][]string{}
	for _, c := range cols {
		expr := `"` + c.name + `"`
		if c.typ != "bytea" {
			expr += "::text"
		}
		vals, err := db.Query(`SELECT ` + expr + ` FROM "` + c.table + `" WHERE "` + c.name + `" IS NOT NULL`)
		if err != nil {
			t.Fatalf("scan %s.%s: %v", c.table, c.name, err)
		}
		for vals.Next() {
			var v []byte
			if err := vals.Scan(&v); err != nil {
				t.Fatal(err)
			}
			for _, n := range needles {
				place := c.table + "." + c.name
				if bytes.Contains(v, n) && !slices.Contains(found[string(n)], place) {
					found[string(n)] = append(found[string(n)], place)
				}
			}
		}
		if err := vals.Err(); err != nil {
			t.Fatal(err)
		}
		vals.Close()
	}
	return found
}

func TestApiClientSecretIsNotStored(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	tables := []string{"api_clients", "audit_events", "idempotency_keys"}

	check := func(t *testing.T, c clientRecord, wantClientID ...string) {
		t.Helper()
		raw, err := base64.RawURLEncoding.DecodeString(c.ClientSecret)
		if err != nil {
			raw = []byte(c.ClientSecret)
		}
		found := secretPlaces(t, env, tables, []byte(c.ClientSecret), raw, []byte(c.ClientID))
		// Positive control: the scan does find what is stored.
		for _, place := range wantClientID {
			if !slices.Contains(found[c.ClientID], place) {
				t.Errorf("the scan did not find the client_id in %s (found it in %v): the scan is broken", place, found[c.ClientID])
			}
		}
		if places := append(found[c.ClientSecret], found[string(raw)]...); len(places) > 0 {
			t.Errorf("the client secret is stored in %v", places)
		}
	}

	t.Run("without Idempotency-Key", func(t *testing.T) {
		c := registerClient(t, env, admin, trust.ID, "participants:read")
		clientToken(t, env, c) // signing in writes an audit event too
		check(t, c, "api_clients.client_id")
	})
	t.Run("with Idempotency-Key", func(t *testing.T) {
		// The operation takes no Idempotency-Key (a reply to replay would be a stored secret):
		// a client that sends one anyway gets its client, and nothing is kept to replay.
		body := `{"name":"Retried","organisation_id":"` + trust.ID.String() + `","scopes":["participants:read"]}`
		res := env.Do(t, http.MethodPost, "/v1/api-clients", admin, body, "Idempotency-Key", "register-hr")
		apitest.WantStatus(t, res, http.StatusCreated)
		var c clientRecord
		res.Decode(t, &c)
		check(t, c, "api_clients.client_id")
		var stored int
		if err := env.DB.SQL().QueryRow(`SELECT count(*) FROM idempotency_keys WHERE key = 'register-hr'`).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("%d stored replies for the key (err %v), want none", stored, err)
		}
	})
}

func TestApiClientCreateRefusesBadScopes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	other := env.Organisation(t, domain.KindTrust, "Hillside NHS Trust")
	org := trust.ID.String()

	for _, c := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"unknown scope", `{"name":"X","organisation_id":"` + org + `","scopes":["participants:read","everything"]}`, http.StatusBadRequest, "scopes"},
		{"a user-only scope", `{"name":"X","organisation_id":"` + org + `","scopes":["principals:admin"]}`, http.StatusBadRequest, "scopes"},
		{"audit scope", `{"name":"X","organisation_id":"` + org + `","scopes":["audit:read"]}`, http.StatusBadRequest, "scopes"},
		{"no scopes", `{"name":"X","organisation_id":"` + org + `","scopes":[]}`, http.StatusBadRequest, "scopes"},
		{"scopes missing", `{"name":"X","organisation_id":"` + org + `"}`, http.StatusBadRequest, "scopes"},
		{"repeated scope", `{"name":"X","organisation_id":"` + org + `","scopes":["participants:read","participants:read"]}`, http.StatusBadRequest, "scopes"},
		{"empty name", `{"name":"","organisation_id":"` + org + `","scopes":["participants:read"]}`, http.StatusBadRequest, "name"},
		{"a secret of one's choosing", `{"name":"X","organisation_id":"` + org + `","scopes":["participants:read"],"client_secret":"mine"}`, http.StatusBadRequest, "client_secret"},
		{"another trust", `{"name":"X","organisation_id":"` + other.ID.String() + `","scopes":["participants:read"]}`, http.StatusUnprocessableEntity, "organisation_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := env.Do(t, http.MethodPost, "/v1/api-clients", admin, c.body)
			apitest.WantStatus(t, res, c.status)
			p := res.Problem(t)
			named := false
			for _, f := range p.Fields() {
				named = named || f == c.field || strings.HasPrefix(f, c.field+".")
			}
			if !named {
				t.Errorf("problem names %v, want %s: %s", p.Fields(), c.field, res.Body)
			}
		})
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM api_clients`); n != 0 {
		t.Errorf("%d API clients created by refused requests", n)
	}
}

func TestApiClientRevoke(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Organisation(t, domain.KindTrust, "Trust A")
	b := env.Organisation(t, domain.KindTrust, "Trust B")
	aAdmin := env.User(t, a.ID, domain.RoleOrgAdmin)
	bAdmin := env.User(t, b.ID, domain.RoleOrgAdmin)
	c := registerClient(t, env, aAdmin, a.ID, "participants:read")
	token := clientToken(t, env, c)
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/participants", token, ""), http.StatusOK)
	path := "/v1/api-clients/" + c.ID

	// Another trust's admin cannot see it, nor revoke it.
	apitest.WantProblem(t, env.Do(t, http.MethodGet, path, bAdmin, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path, bAdmin, ""), http.StatusNotFound, "")
	if res := env.Do(t, http.MethodGet, "/v1/api-clients?limit=500", bAdmin, ""); strings.Contains(string(res.Body), c.ID) {
		t.Errorf("trust B's list shows trust A's client: %s", res.Body)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM api_clients WHERE id = $1 AND revoked_at IS NULL`, c.ID); n != 1 {
		t.Fatal("trust B's admin revoked trust A's client")
	}

	res := env.Do(t, http.MethodDelete, path, aAdmin, "")
	apitest.WantStatus(t, res, http.StatusNoContent)
	if len(res.Body) != 0 {
		t.Errorf("204 with a body: %s", res.Body)
	}
	var revokedAt time.Time
	if err := env.DB.SQL().QueryRow(`SELECT revoked_at FROM api_clients WHERE id = $1 AND revoked_at IS NOT NULL`, c.ID).Scan(&revokedAt); err != nil {
		t.Fatalf("revoked_at: %v", err)
	}
	res = env.Do(t, http.MethodGet, path, aAdmin, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var got clientRecord
	res.Decode(t, &got)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
		t.Errorf("GET revoked_at %v, want %v", got.RevokedAt, revokedAt)
	}

	// Twice is harmless, and the first revocation stands.
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, path, aAdmin, ""), http.StatusNoContent)
	var again time.Time
	if err := env.DB.SQL().QueryRow(`SELECT revoked_at FROM api_clients WHERE id = $1`, c.ID).Scan(&again); err != nil || !again.Equal(revokedAt) {
		t.Errorf("revoked_at moved from %v to %v (err %v)", revokedAt, again, err)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'api_client.revoke' AND resource_id = $1`, c.ID); n != 1 {
		t.Errorf("%d revoke audit events, want 1", n)
	}

	// The client signs in no more, and its token stops working.
	if res := env.PostToken(t, apitest.ClientGrant(c.ClientID, c.ClientSecret)); res.Status != http.StatusUnauthorized {
		t.Errorf("a revoked client signs in: %d %s", res.Status, res.Body)
	}
	deadline := time.Now().Add(6 * time.Second)
	for {
		res := env.Do(t, http.MethodGet, "/v1/participants", token, "")
		if res.Status == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked client's token still answers %d after 6 s", res.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, "/v1/api-clients/"+uuid.NewString(), aAdmin, ""), http.StatusNotFound, "")
}

// --- audit events ------------------------------------------------------------------------------

// auditWorld is two trusts, each with a participant created by its coordinator.
type auditWorld struct {
	env                   *apitest.Env
	national              string
	a, b                  domain.Organisation
	aAdmin, bAdmin        string
	aCoord                string
	aPerson, bPerson      participantDoc
	aCoordID, aPersonName string
}

func newAuditWorld(t *testing.T) auditWorld {
	t.Helper()
	env := apitest.New(t)
	_, national := env.NationalAdmin(t)
	w := auditWorld{env: env, national: national,
		a: env.Organisation(t, domain.KindTrust, "Trust A"), b: env.Organisation(t, domain.KindTrust, "Trust B")}
	w.aAdmin, w.bAdmin = env.User(t, w.a.ID, domain.RoleOrgAdmin), env.User(t, w.b.ID, domain.RoleOrgAdmin)
	w.aCoord = env.User(t, w.a.ID, domain.RoleCoordinator)
	bCoord := env.User(t, w.b.ID, domain.RoleCoordinator)
	w.aCoordID = subjectID(t, w.aCoord)
	w.aPersonName = "Quillonia" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	w.aPerson = mustCreateParticipant(t, env, w.aCoord, apitest.ParticipantBody(t, w.a.ID, "given_name", w.aPersonName,
		"family_name", "Zembrowska", "email", "quillonia@example.org", "postcode", "M1 1AE"))
	w.bPerson = mustCreateParticipant(t, env, bCoord, apitest.ParticipantBody(t, w.b.ID))
	mustPatchParticipant(t, env, w.aCoord, w.aPerson.ID, `{"family_name":"Zembrowska-Hart"}`)
	return w
}

func (w auditWorld) events(t *testing.T, token string, query url.Values) []auditRecord {
	t.Helper()
	return apitest.AllPages[auditRecord](t, w.env, "/v1/audit-events?"+query.Encode(), token, 500)
}

func findEvent(events []auditRecord, action, resourceID string) (auditRecord, bool) {
	for _, e := range events {
		if e.Action == action && e.ResourceID == resourceID {
			return e, true
		}
	}
	return auditRecord{}, false
}

func TestAuditEventsWithinReach(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)

	aEvents := w.events(t, w.aAdmin, nil)
	if len(aEvents) == 0 {
		t.Fatal("trust A's admin sees no events")
	}
	for _, e := range aEvents {
		if e.OrganisationID == nil || *e.OrganisationID != w.a.ID.String() {
			t.Errorf("trust A's admin sees an event of organisation %v: %+v", e.OrganisationID, e)
		}
	}
	if _, ok := findEvent(aEvents, "participant.create", w.aPerson.ID); !ok {
		t.Error("trust A's admin does not see the creation of its participant")
	}
	if _, ok := findEvent(aEvents, "participant.create", w.bPerson.ID); ok {
		t.Error("trust A's admin sees trust B's participant")
	}
	if got := w.events(t, w.aAdmin, url.Values{"organisation_id": {w.b.ID.String()}}); len(got) != 0 {
		t.Errorf("organisation_id=B shows trust A's admin %d events", len(got))
	}
	if got := w.events(t, w.aAdmin, url.Values{"resource_id": {w.bPerson.ID}}); len(got) != 0 {
		t.Errorf("resource_id of trust B's participant shows trust A's admin %d events", len(got))
	}
	bEvents := w.events(t, w.bAdmin, nil)
	for _, e := range bEvents {
		if e.OrganisationID == nil || *e.OrganisationID != w.b.ID.String() {
			t.Errorf("trust B's admin sees an event of organisation %v", e.OrganisationID)
		}
	}

	all := w.events(t, w.national, nil)
	for _, want := range []string{w.aPerson.ID, w.bPerson.ID} {
		if _, ok := findEvent(all, "participant.create", want); !ok {
			t.Errorf("the national admin does not see the creation of %s", want)
		}
	}
	if len(all) < len(aEvents)+len(bEvents) {
		t.Errorf("the national admin sees %d events, fewer than A's %d and B's %d", len(all), len(aEvents), len(bEvents))
	}

	for _, role := range []domain.Role{domain.RoleCoordinator, domain.RoleViewer} {
		token := w.env.User(t, w.a.ID, role)
		p := apitest.WantProblem(t, w.env.Do(t, http.MethodGet, "/v1/audit-events", token, ""), http.StatusForbidden, "")
		if !strings.Contains(p.Detail, "audit:read") {
			t.Errorf("%s: detail %q does not name audit:read", role, p.Detail)
		}
	}
}

func TestAuditEventsFilters(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	all := w.events(t, w.national, nil)
	created, ok := findEvent(all, "participant.create", w.aPerson.ID)
	if !ok {
		t.Fatal("no participant.create event")
	}
	if created.Actor != "user:"+w.aCoordID || created.ResourceType != "participant" || created.RequestID == "" {
		t.Errorf("participant.create event %+v", created)
	}

	match := func(name string, query url.Values, keep func(e auditRecord) bool) {
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, e := range all {
				if keep(e) {
					want = append(want, e.ID)
				}
			}
			if len(want) == 0 {
				t.Fatalf("no event to find: the case proves nothing")
			}
			if len(want) == len(all) {
				t.Fatalf("every event matches: the case proves nothing")
			}
			var got []string
			for _, e := range w.events(t, w.national, query) {
				got = append(got, e.ID)
			}
			if !apitest.SameSet(got, want) {
				t.Errorf("%v: got %d events %v, want %d %v", query, len(got), got, len(want), want)
			}
		})
	}
	match("action", url.Values{"action": {"participant.create"}}, func(e auditRecord) bool { return e.Action == "participant.create" })
	match("resource_type", url.Values{"resource_type": {"participant"}}, func(e auditRecord) bool { return e.ResourceType == "participant" })
	match("resource_id", url.Values{"resource_id": {w.aPerson.ID}}, func(e auditRecord) bool { return e.ResourceID == w.aPerson.ID })
	match("actor", url.Values{"actor": {"user:" + w.aCoordID}}, func(e auditRecord) bool { return e.Actor == "user:"+w.aCoordID })
	match("organisation_id", url.Values{"organisation_id": {w.b.ID.String()}}, func(e auditRecord) bool {
		return e.OrganisationID != nil && *e.OrganisationID == w.b.ID.String()
	})
	match("action and actor", url.Values{"action": {"participant.update"}, "actor": {"user:" + w.aCoordID}}, func(e auditRecord) bool {
		return e.Action == "participant.update" && e.Actor == "user:"+w.aCoordID
	})
	at := created.At.UTC()
	match("from", url.Values{"from": {at.Format(time.RFC3339Nano)}}, func(e auditRecord) bool { return !e.At.Before(at) })
	match("to", url.Values{"to": {at.Format(time.RFC3339Nano)}}, func(e auditRecord) bool { return e.At.Before(at) })
	match("from and to", url.Values{"from": {at.Format(time.RFC3339Nano)}, "to": {at.Add(time.Microsecond).Format(time.RFC3339Nano)}},
		func(e auditRecord) bool { return !e.At.Before(at) && e.At.Before(at.Add(time.Microsecond)) })
	if got := w.events(t, w.national, url.Values{"action": {"no.such.action"}}); len(got) != 0 {
		t.Errorf("an unknown action lists %d events", len(got))
	}
	apitest.WantProblem(t, w.env.Do(t, http.MethodGet, "/v1/audit-events?from=yesterday", w.national, ""), http.StatusBadRequest, "from")
}

func TestAuditEventsCarryFieldNamesNotValues(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	for _, token := range []string{w.national, w.aAdmin} {
		res := w.env.Do(t, http.MethodGet, "/v1/audit-events?limit=500", token, "")
		apitest.WantStatus(t, res, http.StatusOK)
		body := strings.ToLower(string(res.Body))
		for _, value := range []string{w.aPersonName, "Zembrowska", "quillonia@example.org", "M1 1AE", "2000-01-01"} {
			if strings.Contains(body, strings.ToLower(value)) {
				t.Errorf("the audit trail holds the value %q: %s", value, res.Body)
			}
		}
		var page recordPage[auditRecord]
		res.Decode(t, &page)
		created, ok := findEvent(page.Data, "participant.create", w.aPerson.ID)
		if !ok {
			t.Fatal("no participant.create event")
		}
		for _, f := range []string{"given_name", "family_name", "email", "postcode"} {
			if !slices.Contains(created.Fields, f) {
				t.Errorf("participant.create fields %v lack %s", created.Fields, f)
			}
		}
		updated, ok := findEvent(page.Data, "participant.update", w.aPerson.ID)
		if !ok || !slices.Equal(updated.Fields, []string{"family_name"}) {
			t.Errorf("participant.update event %+v (found %v), want fields [family_name]", updated, ok)
		}
	}
	// Nor does the table itself hold them.
	var n int
	if err := w.env.DB.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE lower(audit_events::text) LIKE '%' || lower($1) || '%'`,
		w.aPersonName).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d audit rows hold the given name (err %v)", n, err)
	}
}

func TestAuditEventsPaginate(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	for _, token := range []string{w.national, w.aAdmin} {
		whole := w.events(t, token, nil)
		if len(whole) < 5 {
			t.Fatalf("only %d events: too few to page", len(whole))
		}
		paged := apitest.AllPages[auditRecord](t, w.env, "/v1/audit-events", token, 2)
		ids := func(events []auditRecord) []string {
			out := make([]string, len(events))
			for i, e := range events {
				out[i] = e.ID
			}
			return out
		}
		if !slices.Equal(ids(paged), ids(whole)) {
			t.Errorf("pages of 2 walk %v, want %v in the same order", ids(paged), ids(whole))
		}
		seen := map[string]bool{}
		for _, id := range ids(paged) {
			if seen[id] {
				t.Errorf("event %s on two pages", id)
			}
			seen[id] = true
		}
	}
	apitest.WantProblem(t, w.env.Do(t, http.MethodGet, "/v1/audit-events?limit=0", w.national, ""), http.StatusBadRequest, "limit")
	apitest.WantProblem(t, w.env.Do(t, http.MethodGet, "/v1/audit-events?limit=501", w.national, ""), http.StatusBadRequest, "limit")
}
