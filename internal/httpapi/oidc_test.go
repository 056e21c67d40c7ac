package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// The federated sign-in tests run an OpenID provider in the test process: a discovery document,
// a key set, and ID tokens signed with its ES256 key, as NHS CIS2 or Entra ID would issue them.

const (
	opAudience     = "p4w-northgate"
	idTokenType    = "urn:ietf:params:oauth:token-type:id_token"
	accessType     = "urn:ietf:params:oauth:token-type:access_token"
	exchangeGrant  = "urn:ietf:params:oauth:grant-type:token-exchange"
	northgateODS   = "RXN"
	southgateODS   = "RXS"
	entraTenant    = "9188040d-6c67-4c5b-b112-36a304b66dad"
	coordinatorGrp = "p4w-coordinators"
)

// openIDProvider is a minimal OpenID provider: what p4w fetches from one, and a signer.
type openIDProvider struct {
	srv         *httptest.Server
	mu          sync.Mutex
	key         *ecdsa.PrivateKey
	kid         string
	down        atomic.Bool  // answers 503 to everything
	discoveries atomic.Int32 // fetches of the discovery document
}

func newOpenIDProvider(t testing.TB) *openIDProvider {
	t.Helper()
	op := &openIDProvider{}
	op.rotate(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		op.discoveries.Add(1)
		writeJSON(w, map[string]any{"issuer": op.srv.URL, "jwks_uri": op.srv.URL + "/keys",
			"authorization_endpoint": op.srv.URL + "/authorize", "token_endpoint": op.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		defer op.mu.Unlock()
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: op.key.Public(), KeyID: op.kid, Algorithm: "ES256", Use: "sig"}}})
	})
	op.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(op.srv.Close)
	return op
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// rotate gives the provider a new signing key under a new key id.
func (op *openIDProvider) rotate(t testing.TB) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	op.key, op.kid = key, "key-"+apitest.Unique()
}

// claims are an ID token's for subject, valid for five minutes, with more claims added.
func (op *openIDProvider) claims(subject string, more map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": op.srv.URL, "sub": subject, "aud": opAudience,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range more {
		c[k] = v
	}
	return c
}

// signES256 signs claims with key under kid, as ES256.
func signES256(t testing.TB, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// token is an ID token of the provider for subject.
func (op *openIDProvider) token(t testing.TB, subject string, more map[string]any) string {
	t.Helper()
	op.mu.Lock()
	key, kid := op.key, op.kid
	op.mu.Unlock()
	return signES256(t, key, kid, op.claims(subject, more))
}

// unsigned builds a JWT with header and claims and a signature made by mac (nil: none).
func unsigned(t *testing.T, header map[string]any, claims map[string]any, mac []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	if mac == nil {
		return input + "."
	}
	m := hmac.New(sha256.New, mac)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cis2Roles is an NHS CIS2 nhsid_nrbac_roles claim with a role at each ODS code.
func cis2Roles(codes ...string) []map[string]any {
	var out []map[string]any
	for i, c := range codes {
		out = append(out, map[string]any{"person_roleid": "5552" + string(rune('0'+i)), "org_code": c,
			"role_name": `"Admin & Clerical":"Admin & Clerical":"Clerical Worker"`, "role_code": "S8000:G8000:R8001"})
	}
	return out
}

// federatedWorld is p4w trusting the provider: Northgate and Southgate, one participant each.
type federatedWorld struct {
	env                    *apitest.Env
	op                     *openIDProvider
	northgate, southgate   domain.Organisation
	northAdmin, southAdmin string
	northP, southP         string // a participant of each
}

// newFederatedWorld starts p4w trusting op with CIS2-shaped and Entra-shaped rules: a member of
// the coordinators group is a coordinator at the trust whose ODS code their CIS2 role names;
// anyone of the Entra tenant a viewer at Southgate; anyone else with a CIS2 role a viewer there.
func newFederatedWorld(t *testing.T) *federatedWorld {
	t.Helper()
	op := newOpenIDProvider(t)
	cfg := apitest.Config(t, pgtest.NewURL(t))
	issuers, err := json.Marshal([]map[string]any{{
		"issuer":    op.srv.URL,
		"audiences": []string{"api://p4w", opAudience},
		"rules": []map[string]any{
			// A misconfigured rule: national_admin at a trust, which p4w refuses at sign-in.
			{"when": map[string]string{"groups": "hee-national-team"}, "ods_code": southgateODS, "role": "national_admin"},
			{"when": map[string]string{"groups": coordinatorGrp}, "ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "coordinator"},
			{"when": map[string]string{"tid": entraTenant}, "ods_code": southgateODS, "role": "viewer"},
			{"ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "viewer"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.OIDCIssuers = string(issuers)
	env := apitest.NewOn(t, cfg, io.Discard)
	w := &federatedWorld{env: env, op: op}
	w.northgate = w.trust(t, "Northgate Teaching Hospitals NHS Foundation Trust", northgateODS)
	w.southgate = w.trust(t, "Southgate Community NHS Trust", southgateODS)
	w.northAdmin = env.User(t, w.northgate.ID, domain.RoleOrgAdmin)
	w.southAdmin = env.User(t, w.southgate.ID, domain.RoleOrgAdmin)
	w.northP = env.MustCreate(t, "/v1/participants", w.northAdmin, apitest.ParticipantBody(t, w.northgate.ID))
	w.southP = env.MustCreate(t, "/v1/participants", w.southAdmin, apitest.ParticipantBody(t, w.southgate.ID))
	return w
}

func (w *federatedWorld) trust(t *testing.T, name, ods string) domain.Organisation {
	t.Helper()
	region := "north_west"
	o, err := w.env.Services.Organisations.Create(apitest.System(), domain.Organisation{Kind: domain.KindTrust, Name: name,
		ODSCode: &ods, Region: &region}, []string{"kind", "name", "ods_code", "region"})
	if err != nil {
		t.Fatalf("create trust: %v", err)
	}
	return o
}

func exchange(t *testing.T, env *apitest.Env, token, tokenType string) apitest.Response {
	t.Helper()
	return env.PostToken(t, apitest.Form("grant_type", exchangeGrant, "subject_token", token, "subject_token_type", tokenType))
}

// wantRefusal checks an OAuth 2 error (wantOAuthError) whose error_description mentions what is wrong.
func wantRefusal(t *testing.T, res apitest.Response, status int, code, mentions string) {
	t.Helper()
	if e := wantOAuthError(t, res, status, code); !strings.Contains(e.Description, mentions) {
		t.Errorf("error_description %q does not mention %q", e.Description, mentions)
	}
}

// A person of a trusted provider exchanges its ID token for a p4w access token that works on
// the records of the trust the provider's claims map them to, and on no other; the person is a
// p4w user the trust's admin sees; a change of group at the provider changes the role at the
// next exchange.
func TestTokenExchangeSignsInAFederatedPerson(t *testing.T) {
	t.Parallel()
	w := newFederatedWorld(t)
	env, op := w.env, w.op
	coordinator := map[string]any{"email": "Casey.Morgan@northgate.nhs.example", "groups": []string{"p4w-staff", coordinatorGrp},
		"nhsid_nrbac_roles": cis2Roles(northgateODS)}

	res := exchange(t, env, op.token(t, "910000000001", coordinator), idTokenType)
	tok := wantToken(t, res)
	var issued struct {
		IssuedTokenType string `json:"issued_token_type"`
	}
	res.Decode(t, &issued)
	if issued.IssuedTokenType != accessType {
		t.Errorf("issued_token_type = %q, want %s (RFC 8693 §2.2.1)", issued.IssuedTokenType, accessType)
	}
	if tok.RefreshToken != nil {
		t.Error("a token exchange answered a refresh token; the provider must stay the judge of the session")
	}
	claims := apitest.Claims(t, tok.AccessToken)
	if claims["org"] != w.northgate.ID.String() || claims["role"] != "coordinator" {
		t.Errorf("exchanged token: org %v role %v, want Northgate's coordinator", claims["org"], claims["role"])
	}

	// It reads and writes Northgate's participants, and Southgate's do not exist for it.
	ids := func(token string) []string {
		var out []string
		for _, p := range apitest.FirstPage[struct{ ID string }](t, env, "/v1/participants", token, nil) {
			out = append(out, p.ID)
		}
		return out
	}
	if got := ids(tok.AccessToken); len(got) != 1 || got[0] != w.northP {
		t.Errorf("the federated coordinator lists %v, want Northgate's participant %s alone", got, w.northP)
	}
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/participants/"+w.southP, tok.AccessToken, ""), http.StatusNotFound)
	if res := env.Do(t, http.MethodPost, "/v1/participants", tok.AccessToken, apitest.ParticipantBody(t, w.southgate.ID)); res.Status/100 != 4 {
		t.Errorf("the federated coordinator created a participant of Southgate: %d %s", res.Status, res.Body)
	}
	env.MustCreate(t, "/v1/participants", tok.AccessToken, apitest.ParticipantBody(t, w.northgate.ID))

	// Northgate's admin lists the person, with the provider's email; Southgate's does not.
	type listed struct {
		Email, Role      string
		IdentityProvider *string `json:"identity_provider"`
	}
	users := func(token string) map[string]listed {
		out := map[string]listed{}
		for _, u := range apitest.AllPages[listed](t, env, "/v1/users", token, 100) {
			out[u.Email] = u
		}
		return out
	}
	northUsers := users(w.northAdmin)
	if u := northUsers["casey.morgan@northgate.nhs.example"]; u.Role != "coordinator" || u.IdentityProvider == nil || *u.IdentityProvider != op.srv.URL {
		t.Errorf("Northgate's users list the federated person as %+v, want a coordinator of identity provider %s", u, op.srv.URL)
	}
	for email, u := range northUsers {
		if email != "casey.morgan@northgate.nhs.example" && u.IdentityProvider != nil {
			t.Errorf("%s, a user with a password, is listed with identity_provider %s", email, *u.IdentityProvider)
		}
	}
	if _, seen := users(w.southAdmin)["casey.morgan@northgate.nhs.example"]; seen {
		t.Error("Southgate's admin sees Northgate's federated user")
	}
	// Its sign-ins are audited in its own name, as password sign-ins are.
	var uid string
	if err := env.DB.SQL().QueryRow(`SELECT id::text FROM users WHERE federated_subject = '910000000001'`).Scan(&uid); err != nil {
		t.Fatalf("the federated user: %v", err)
	}
	subject := "user:" + uid
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.token_exchange' AND actor = $1 AND organisation_id = $2`,
		subject, w.northgate.ID); n != 1 {
		t.Errorf("%d auth.token_exchange events of the person, want 1", n)
	}

	// Out of the coordinators group at the provider: a viewer from the next exchange, still one user.
	coordinator["groups"] = []string{"p4w-staff"}
	viewer := wantToken(t, exchange(t, env, op.token(t, "910000000001", coordinator), idTokenType))
	if role := apitest.Claims(t, viewer.AccessToken)["role"]; role != "viewer" {
		t.Errorf("after leaving the group the role is %v, want viewer", role)
	}
	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/participants", viewer.AccessToken, apitest.ParticipantBody(t, w.northgate.ID)), http.StatusForbidden)
	if n := env.MustQueryInt(t, `SELECT count(*) FROM users WHERE federated_subject = '910000000001'`); n != 1 {
		t.Errorf("%d users for one identity after two exchanges, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'user.update' AND actor = $1 AND fields ? 'role'`, subject); n != 1 {
		t.Errorf("%d audited role changes, want 1", n)
	}

	// Entra ID's shape: an access token for p4w's API, mapped by tenant, to Southgate.
	entra := wantToken(t, exchange(t, env, op.token(t, "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		map[string]any{"aud": "api://p4w", "tid": entraTenant, "roles": []string{"Reader"}}), accessType))
	if got := ids(entra.AccessToken); len(got) != 1 || got[0] != w.southP {
		t.Errorf("the Entra ID viewer lists %v, want Southgate's participant %s alone", got, w.southP)
	}

	// The person cannot sign in with a password, whatever they try.
	wantRefusal(t, env.PostToken(t, apitest.PasswordGrant("casey.morgan@northgate.nhs.example", "")), 400, "invalid_request", "password")
	wantRefusal(t, env.PostToken(t, apitest.PasswordGrant("casey.morgan@northgate.nhs.example", apitest.Password)), 400, "invalid_grant", "email or password")

	// An admin who disables the person in p4w keeps them out, whatever the provider says.
	apitest.WantStatus(t, env.Patch(t, "/v1/users/"+uid, w.northAdmin, `{"enabled": false}`), http.StatusOK)
	wantRefusal(t, exchange(t, env, op.token(t, "910000000001", coordinator), idTokenType), 400, "invalid_grant", "disabled")
}

// Every token p4w must not trust is refused with invalid_grant, saying why, and makes no user:
// forged, expired, for another audience, of another issuer, unsigned, signed with a shared
// secret, or of an identity no rule maps.
func TestTokenExchangeRefusesTokensItMustNotTrust(t *testing.T) {
	t.Parallel()
	w := newFederatedWorld(t)
	env, op := w.env, w.op
	mapped := map[string]any{"nhsid_nrbac_roles": cis2Roles(northgateODS)}
	// A token that would be accepted: the cases below change one thing each.
	wantToken(t, exchange(t, env, op.token(t, "good", mapped), idTokenType))

	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other := newOpenIDProvider(t) // a provider p4w does not trust, with keys of its own
	expired := op.claims("expired", mapped)
	expired["exp"] = time.Now().Add(-time.Minute).Unix()
	header := map[string]any{"alg": "none", "typ": "JWT", "kid": op.kid}

	cases := []struct {
		name, token, tokenType, mentions string
	}{
		{"forged: signed with another key under the provider's key id", signES256(t, attacker, op.kid, op.claims("forged", mapped)), idTokenType, "signature"},
		{"forged: signed with another key under a new key id", signES256(t, attacker, "rotated?", op.claims("forged2", mapped)), idTokenType, "signature"},
		{"expired", signES256(t, op.key, op.kid, expired), idTokenType, "expired"},
		{"for another audience", op.token(t, "elsewhere", map[string]any{"aud": "another-app", "nhsid_nrbac_roles": cis2Roles(northgateODS)}), idTokenType, "aud"},
		{"of an issuer p4w does not trust", other.token(t, "stranger", mapped), idTokenType, "iss"},
		{"of another issuer, claiming to be the trusted one", signES256(t, other.key, other.kid, op.claims("impostor", mapped)), idTokenType, "signature"},
		{"alg none", unsigned(t, header, op.claims("unsigned", mapped), nil), idTokenType, "alg"},
		{"HS256 with the client id as secret", unsigned(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": op.kid},
			op.claims("hmac", mapped), []byte(opAudience)), idTokenType, "alg"},
		{"an opaque access token", "2YotnFZFEjr1zCsicMWpAA", accessType, "not a JWT"},
		{"an identity no rule maps", op.token(t, "unmapped", map[string]any{"groups": []string{coordinatorGrp}}), idTokenType,
			"claims looked at: groups, nhsid_nrbac_roles[].org_code, tid"},
		{"an ODS code p4w does not know", op.token(t, "unknown-trust", map[string]any{"nhsid_nrbac_roles": cis2Roles("RZZ")}), idTokenType, "no rule"},
		{"national_admin from a rule that names a trust", op.token(t, "national", map[string]any{"groups": []string{"hee-national-team"}}),
			idTokenType, "not the national team"},
		{"roles at two trusts, no telling which", op.token(t, "two-trusts", map[string]any{"nhsid_nrbac_roles": cis2Roles(northgateODS, southgateODS)}),
			idTokenType, "names 2 p4w organisations"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefusal(t, exchange(t, env, c.token, c.tokenType), http.StatusBadRequest, "invalid_grant", c.mentions)
		})
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM users WHERE federated_issuer IS NOT NULL`); n != 1 {
		t.Errorf("%d federated users, want only the good token's", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.exchange_failed' AND actor = 'anonymous'`); n != len(cases) {
		t.Errorf("%d refused exchanges audited, want %d", n, len(cases))
	}
	// A parameter missing or a token type p4w does not take is the request's fault.
	wantRefusal(t, env.PostToken(t, apitest.Form("grant_type", exchangeGrant, "subject_token", op.token(t, "x", mapped))), 400, "invalid_request", "subject_token_type")
	wantRefusal(t, exchange(t, env, op.token(t, "x", mapped), "urn:ietf:params:oauth:token-type:saml2"), 400, "invalid_request", "subject_token_type")
}

// The provider's discovery document is fetched on the first exchange, not at start, and once;
// a provider down answers temporarily_unavailable (the token may be good), and p4w recovers
// when it is back; a rotated key is fetched when a token names it.
func TestTokenExchangeFetchesTheProviderLazily(t *testing.T) {
	t.Parallel()
	w := newFederatedWorld(t)
	env, op := w.env, w.op
	mapped := map[string]any{"nhsid_nrbac_roles": cis2Roles(northgateODS)}
	if n := op.discoveries.Load(); n != 0 {
		t.Errorf("p4w fetched the discovery document %d times before any exchange", n)
	}
	op.down.Store(true)
	res := exchange(t, env, op.token(t, "patient-zero", mapped), idTokenType)
	wantRefusal(t, res, http.StatusServiceUnavailable, "temporarily_unavailable", "identity provider")
	if res.Header.Get("Retry-After") == "" {
		t.Error("temporarily_unavailable without Retry-After")
	}
	op.down.Store(false)
	for range 3 {
		wantToken(t, exchange(t, env, op.token(t, "patient-zero", mapped), idTokenType))
	}
	if n := op.discoveries.Load(); n != 1 { // the outage's answers are not counted
		t.Errorf("the discovery document was served %d times for three exchanges, want once", n)
	}
	op.rotate(t)
	wantToken(t, exchange(t, env, op.token(t, "patient-zero", mapped), idTokenType))
	// The keys cannot be fetched when a token names a new one: unavailable, not forged.
	op.rotate(t)
	op.down.Store(true)
	wantRefusal(t, exchange(t, env, op.token(t, "patient-zero", mapped), idTokenType), http.StatusServiceUnavailable, "temporarily_unavailable", "retry")
}

// Without P4W_OIDC_ISSUERS the grant is not supported.
func TestTokenExchangeNeedsATrustedIssuer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	wantRefusal(t, exchange(t, env, "a.b.c", idTokenType), http.StatusBadRequest, "unsupported_grant_type", "P4W_OIDC_ISSUERS")
}

// BenchmarkTokenExchange measures the exchange of a provider's ID token for a p4w access token
// by a person already linked (the signature check with the provider's keys cached, the
// mapping, the user's row, the audit event), beside a password sign-in as the baseline.
func BenchmarkTokenExchange(b *testing.B) {
	op := newOpenIDProvider(b)
	cfg := apitest.Config(b, pgtest.NewURL(b))
	cfg.TokenRatePerMinute = 1 << 30
	issuers, _ := json.Marshal([]map[string]any{{"issuer": op.srv.URL, "audiences": []string{opAudience},
		"rules": []map[string]any{{"ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "viewer"}}}})
	cfg.OIDCIssuers = string(issuers)
	env := apitest.NewOn(b, cfg, io.Discard)
	region, ods := "north_west", northgateODS
	trust, err := env.Services.Organisations.Create(apitest.System(), domain.Organisation{Kind: domain.KindTrust, Name: "Northgate",
		ODSCode: &ods, Region: &region}, []string{"kind", "name", "ods_code", "region"})
	if err != nil {
		b.Fatal(err)
	}
	_, email := env.MustCreateUser(b, trust.ID, domain.RoleViewer)
	token := op.token(b, "910000000001", map[string]any{"nhsid_nrbac_roles": cis2Roles(northgateODS)})
	forms := map[string]string{
		"token_exchange":      apitest.Form("grant_type", exchangeGrant, "subject_token", token, "subject_token_type", idTokenType),
		"password (baseline)": apitest.PasswordGrant(email, apitest.Password),
	}
	for _, name := range []string{"token_exchange", "password (baseline)"} {
		post := func(b *testing.B) {
			res, err := http.Post(env.URL+"/v1/auth/token", formType, strings.NewReader(forms[name]))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("%s: %d", name, res.StatusCode)
			}
		}
		post(b) // the discovery document, the keys and the user, once
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				post(b)
			}
		})
	}
}
