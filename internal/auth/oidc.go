package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Federation verifies tokens of the external OpenID Connect issuers an installation trusts (NHS
// Care Identity Service 2, Microsoft Entra ID, ...) and maps their identities to a p4w
// organisation and role by the issuers' rules. It is configured by P4W_OIDC_ISSUERS.
//
// Each issuer's discovery document is fetched on the first token that names the issuer, not at
// start (an identity provider down must not stop p4w), and kept for the life of the process;
// its keys are fetched then and again whenever a token names a key it has not seen (the
// provider rotated them). Signatures are checked with the algorithms the issuer publishes,
// asymmetric ones only.
type Federation struct {
	issuers map[string]*issuer
	client  *http.Client
}

// IssuerConfig is one trusted issuer, as P4W_OIDC_ISSUERS lists it.
type IssuerConfig struct {
	// Issuer is the issuer's URL, exactly as its tokens' iss and its discovery document say.
	Issuer string `json:"issuer"`
	// Audiences are the client ids (ID tokens) and API identifiers (access tokens) of p4w at
	// this issuer: a token's aud must name one of them.
	Audiences []string `json:"audiences"`
	// Rules map an identity to an organisation and a role; the first rule that matches wins.
	Rules []Rule `json:"rules"`
}

// Rule maps the identities whose claims hold every value of When to Role at an organisation:
// the one OrganisationID or ODSCode names, or the one whose ODS code the claim ODSCodeClaim
// holds (exactly one of the three).
//
// Claims are named by paths: "tid", "groups", "realm_access.roles", and "[]" to look into each
// element of an array of objects, as in "nhsid_nrbac_roles[].org_code". A claim holds a value
// when it equals it or, an array, contains it.
type Rule struct {
	When           map[string]string `json:"when,omitempty"`
	OrganisationID *uuid.UUID        `json:"organisation_id,omitempty"`
	ODSCode        string            `json:"ods_code,omitempty"`
	ODSCodeClaim   string            `json:"ods_code_claim,omitempty"`
	Role           domain.Role       `json:"role"`
}

type issuer struct {
	IssuerConfig
	mu       sync.Mutex // held while the discovery document is fetched, so that one fetch serves all
	verifier *oidc.IDTokenVerifier
	algs     []string
}

// Identity is a verified token's person at its issuer.
type Identity struct {
	Issuer  string
	Subject string
	Email   string         // the email claim, when the token has one
	Claims  map[string]any // every claim, for the rules
}

// Refused says why a token was not accepted; Reason is written for the developer who sent it,
// and holds no value of the token's claims.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return e.Reason }

// Unavailable says an issuer's discovery document or keys could not be fetched: the token may
// be good, p4w cannot tell now.
type Unavailable struct {
	Issuer string
	Err    error
}

func (e *Unavailable) Error() string {
	return fmt.Sprintf("the issuer %s cannot be reached: %v", e.Issuer, e.Err)
}

func (e *Unavailable) Unwrap() error { return e.Err }

// Federation's limits on what it fetches from an issuer.
const (
	fetchTimeout  = 10 * time.Second
	maxFetchBytes = 1 << 20
	maxClaimCodes = 20 // ODS codes looked up from one claim
)

// asymmetric are the signature algorithms p4w accepts from an issuer, when the issuer
// publishes them: never none, never a shared secret (HS256), which anyone holding the client
// secret could sign with.
var asymmetric = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// LoadFederation reads P4W_OIDC_ISSUERS: a JSON array of issuers, or the path of a file holding
// one. Empty: no issuer, and nil. Errors name the setting and what is wrong.
func LoadFederation(setting string) (*Federation, error) {
	setting = strings.TrimSpace(setting)
	if setting == "" {
		return nil, nil
	}
	text := []byte(setting)
	if !strings.HasPrefix(setting, "[") {
		b, err := os.ReadFile(setting)
		if err != nil {
			return nil, fmt.Errorf("P4W_OIDC_ISSUERS: %w", err)
		}
		text = b
	}
	var issuers []IssuerConfig
	d := json.NewDecoder(bytes.NewReader(text))
	d.DisallowUnknownFields() // a misspelt key would otherwise be a rule that matches everyone
	if err := d.Decode(&issuers); err != nil {
		return nil, fmt.Errorf("P4W_OIDC_ISSUERS: %w", err)
	}
	f, err := NewFederation(issuers, nil)
	if err != nil {
		return nil, fmt.Errorf("P4W_OIDC_ISSUERS: %w", err)
	}
	return f, nil
}

// NewFederation checks the issuers' configuration. client fetches discovery documents and
// keys; nil: one with p4w's time and size limits.
func NewFederation(issuers []IssuerConfig, client *http.Client) (*Federation, error) {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout, Transport: limitedTransport{http.DefaultTransport}}
	}
	f := &Federation{issuers: map[string]*issuer{}, client: client}
	for i, c := range issuers {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("issuer %d (%s): %w", i+1, c.Issuer, err)
		}
		if _, dup := f.issuers[c.Issuer]; dup {
			return nil, fmt.Errorf("issuer %s is listed twice", c.Issuer)
		}
		f.issuers[c.Issuer] = &issuer{IssuerConfig: c}
	}
	return f, nil
}

var (
	odsCode   = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)
	claimPath = regexp.MustCompile(`^[A-Za-z0-9_:/\-]+(\[\])?(\.[A-Za-z0-9_:/\-]+(\[\])?)*$`)
)

func (c IssuerConfig) check() error {
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("issuer must be an absolute URL without query or fragment")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return errors.New("issuer must be https (plain http is allowed on a loopback address only, for tests)")
	}
	if len(c.Audiences) == 0 || slices.Contains(c.Audiences, "") {
		return errors.New("audiences must list p4w's client id or API identifier at the issuer")
	}
	if len(c.Rules) == 0 {
		return errors.New("rules must map at least one identity to an organisation and a role")
	}
	for i, r := range c.Rules {
		if err := r.check(); err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	return nil
}

func (r Rule) check() error {
	if _, ok := domain.RoleRank[r.Role]; !ok {
		return errors.New("role must be org_admin, coordinator, viewer or national_admin")
	}
	named := 0
	for _, set := range []bool{r.OrganisationID != nil, r.ODSCode != "", r.ODSCodeClaim != ""} {
		if set {
			named++
		}
	}
	if named != 1 {
		return errors.New("exactly one of organisation_id, ods_code and ods_code_claim must name the organisation")
	}
	if r.ODSCode != "" && !odsCode.MatchString(r.ODSCode) {
		return errors.New("ods_code must be 3 to 6 capital letters and digits")
	}
	if r.ODSCodeClaim != "" && !claimPath.MatchString(r.ODSCodeClaim) {
		return fmt.Errorf("ods_code_claim %q is not a claim path such as nhsid_nrbac_roles[].org_code", r.ODSCodeClaim)
	}
	for path, value := range r.When {
		if !claimPath.MatchString(path) || value == "" {
			return fmt.Errorf("when: %q must be a claim path with a value", path)
		}
	}
	if r.Role == domain.RoleNationalAdmin && len(r.When) == 0 {
		return errors.New("a rule giving national_admin must say in when which identities it is for")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Issuers returns the issuers' URLs.
func (f *Federation) Issuers() []string {
	out := make([]string, 0, len(f.issuers))
	for iss := range f.issuers {
		out = append(out, iss)
	}
	slices.Sort(out)
	return out
}

// Verify checks a token of a trusted issuer: its signature with the issuer's published keys and
// algorithms, its issuer, audience and expiry. Errors: *Refused, *Unavailable.
func (f *Federation) Verify(ctx context.Context, raw string) (Identity, error) {
	header, payload, ok := peek(raw)
	if !ok {
		return Identity{}, &Refused{"subject_token is not a JWT (three base64url parts, a JSON header and claims); p4w accepts ID tokens and JWT access tokens"}
	}
	iss, ok := f.issuers[payload.Issuer]
	if !ok {
		return Identity{}, &Refused{"subject_token's iss is not an issuer p4w trusts; trusted: " + strings.Join(f.Issuers(), ", ")}
	}
	verifier, algs, err := iss.verifierFor(ctx, f.client)
	if err != nil {
		return Identity{}, err
	}
	if !slices.Contains(algs, header.Alg) {
		return Identity{}, &Refused{fmt.Sprintf("subject_token is signed with alg %q; the issuer publishes %s", header.Alg, strings.Join(algs, ", "))}
	}
	fetch := &fetchOutcome{}
	tok, err := verifier.Verify(context.WithValue(ctx, fetchOutcomeKey{}, fetch), raw)
	var expired *oidc.TokenExpiredError
	switch {
	case fetch.err != nil:
		return Identity{}, &Unavailable{Issuer: iss.Issuer, Err: fetch.err}
	case errors.As(err, &expired):
		return Identity{}, &Refused{"subject_token has expired"}
	case err != nil && strings.Contains(err.Error(), "signature"):
		return Identity{}, &Refused{"subject_token's signature does not verify with the issuer's published keys"}
	case err != nil:
		return Identity{}, &Refused{"subject_token is not valid: " + strings.TrimPrefix(err.Error(), "oidc: ")}
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(iss.Audiences, a) }) {
		return Identity{}, &Refused{"subject_token's aud names none of the audiences p4w accepts from its issuer"}
	}
	if tok.Subject == "" || len(tok.Subject) > 255 {
		return Identity{}, &Refused{"subject_token has no sub (or one longer than 255 characters)"}
	}
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(payloadOf(tok)))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		return Identity{}, &Refused{"subject_token's claims are not a JSON object"}
	}
	id := Identity{Issuer: iss.Issuer, Subject: tok.Subject, Claims: claims}
	if email, ok := claims["email"].(string); ok {
		id.Email = email
	}
	return id, nil
}

func payloadOf(tok *oidc.IDToken) []byte {
	var raw json.RawMessage
	_ = tok.Claims(&raw) // the verifier decoded these bytes already
	return raw
}

type jwtHeader struct {
	Alg string `json:"alg"`
}

type jwtIssuer struct {
	Issuer string `json:"iss"`
}

// peek reads a JWT's header and issuer without verifying anything: only to choose the issuer
// whose keys verify it, and to say what is wrong.
func peek(raw string) (jwtHeader, jwtIssuer, bool) {
	var h jwtHeader
	var p jwtIssuer
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return h, p, false
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, &p) != nil {
		return h, p, false
	}
	return h, p, true
}

// verifierFor returns the issuer's verifier and algorithms, fetching its discovery document
// the first time. A failed fetch is not kept: the next token tries again. Errors: *Unavailable.
func (i *issuer) verifierFor(ctx context.Context, client *http.Client) (*oidc.IDTokenVerifier, []string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.verifier != nil {
		return i.verifier, i.algs, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), fetchTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, i.Issuer) // checks that the document names this issuer
	if err != nil {
		return nil, nil, &Unavailable{Issuer: i.Issuer, Err: err}
	}
	var doc struct {
		JWKS string   `json:"jwks_uri"`
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&doc); err != nil || doc.JWKS == "" {
		return nil, nil, &Unavailable{Issuer: i.Issuer, Err: errors.New("the discovery document has no jwks_uri")}
	}
	algs := slices.DeleteFunc(slices.Clone(doc.Algs), func(a string) bool { return !slices.Contains(asymmetric, a) })
	if len(algs) == 0 {
		algs = []string{oidc.RS256} // OpenID Connect Discovery's default
	}
	// The key set outlives this request: its later fetches (key rotation) use the client, not ctx.
	keys := &keySet{remote: oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), client), doc.JWKS)}
	i.verifier = oidc.NewVerifier(i.Issuer, keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: algs}) // audiences: Verify
	i.algs = algs
	return i.verifier, algs, nil
}

// keySet is go-oidc's remote key set, noting when fetching the keys failed: go-oidc reports it
// as one more signature failure, but a token is not forged because its issuer is down.
type keySet struct{ remote *oidc.RemoteKeySet }

type fetchOutcomeKey struct{}

type fetchOutcome struct{ err error }

func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil && strings.HasPrefix(err.Error(), "fetching keys") {
		if o, ok := ctx.Value(fetchOutcomeKey{}).(*fetchOutcome); ok {
			o.err = err
		}
	}
	return payload, err
}

// limitedTransport refuses an issuer's answer larger than maxFetchBytes.
type limitedTransport struct{ next http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	res.Body = &limitedBody{ReadCloser: res.Body, left: maxFetchBytes}
	return res, nil
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("the issuer's answer is larger than 1 MiB")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left+1] // one byte more, to tell "exactly the limit" from "over it"
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errors.New("the issuer's answer is larger than 1 MiB")
	}
	return n, err
}

// Mapping is where a rule puts an identity.
type Mapping struct {
	OrganisationID uuid.UUID
	Role           domain.Role
	Rule           int // 1-based, in the issuer's list
}

// ODSLookup finds the organisation of an ODS code; ok is false when p4w has none.
type ODSLookup func(ctx context.Context, code string) (id uuid.UUID, ok bool, err error)

// Map applies the identity's issuer's rules in order and returns the first that matches.
// Errors: *Refused (no rule matches, or a claim names several organisations), or lookup's.
func (f *Federation) Map(ctx context.Context, id Identity, lookup ODSLookup) (Mapping, error) {
	iss := f.issuers[id.Issuer]
	if iss == nil {
		return Mapping{}, &Refused{"the identity's issuer is not trusted"}
	}
	var looked []string
	for n, r := range iss.Rules {
		paths := slices.Sorted(maps.Keys(r.When))
		looked = append(looked, paths...)
		if !slices.ContainsFunc(paths, func(p string) bool { return !slices.Contains(claimValues(id.Claims, p), r.When[p]) }) {
			m := Mapping{Role: r.Role, Rule: n + 1}
			switch {
			case r.OrganisationID != nil:
				m.OrganisationID = *r.OrganisationID
				return m, nil
			case r.ODSCode != "":
				org, ok, err := lookup(ctx, r.ODSCode)
				if err != nil || ok {
					m.OrganisationID = org
					return m, err
				}
				return Mapping{}, &Refused{fmt.Sprintf("rule %d of the issuer names ODS code %s, which no p4w organisation has", n+1, r.ODSCode)}
			default:
				looked = append(looked, r.ODSCodeClaim)
				org, ok, err := orgOfClaim(ctx, id.Claims, r.ODSCodeClaim, lookup)
				if err != nil {
					return Mapping{}, err
				}
				if ok {
					m.OrganisationID = org
					return m, nil
				}
			}
		}
	}
	slices.Sort(looked)
	return Mapping{}, &Refused{fmt.Sprintf("no rule of the issuer maps this identity to a p4w organisation and role; claims looked at: %s",
		strings.Join(slices.Compact(looked), ", "))}
}

// orgOfClaim finds the one organisation whose ODS code the claim at path holds: ok is false
// when it holds none that p4w knows. Errors: *Refused when it holds several.
func orgOfClaim(ctx context.Context, claims map[string]any, path string, lookup ODSLookup) (uuid.UUID, bool, error) {
	var found []uuid.UUID
	var valid []string
	for _, c := range claimValues(claims, path) {
		if c = strings.ToUpper(c); odsCode.MatchString(c) && !slices.Contains(valid, c) {
			valid = append(valid, c)
		}
	}
	for _, c := range valid[:min(len(valid), maxClaimCodes)] { // a bound on the lookups one token costs
		org, ok, err := lookup(ctx, c)
		if err != nil {
			return uuid.Nil, false, err
		}
		if ok && !slices.Contains(found, org) {
			found = append(found, org)
		}
	}
	switch len(found) {
	case 0:
		return uuid.Nil, false, nil
	case 1:
		return found[0], true, nil
	}
	return uuid.Nil, false, &Refused{fmt.Sprintf("%s names %d p4w organisations; p4w cannot tell which one this sign-in is for", path, len(found))}
}

// claimValues returns the scalar values the claim at path holds, as text: "a.b" is b of object
// a, "a[].b" is b of each element of array a, and an array at the end gives its elements.
func claimValues(claims map[string]any, path string) []string {
	nodes := []any{claims}
	for _, seg := range strings.Split(path, ".") {
		name, each := strings.CutSuffix(seg, "[]")
		var next []any
		for _, n := range nodes {
			obj, ok := n.(map[string]any)
			if !ok {
				continue
			}
			v, ok := obj[name]
			if !ok {
				continue
			}
			if arr, isArr := v.([]any); isArr && each {
				next = append(next, arr...)
			} else if !each {
				next = append(next, v)
			}
		}
		nodes = next
	}
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		case bool:
			out = append(out, fmt.Sprint(v))
		}
	}
	for _, n := range nodes {
		if arr, ok := n.([]any); ok {
			for _, v := range arr {
				add(v)
			}
			continue
		}
		add(n)
	}
	return out
}
