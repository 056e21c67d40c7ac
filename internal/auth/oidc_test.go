package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
)

// P4W_OIDC_ISSUERS refuses, at start, a configuration that would trust more than its author
// meant: each mistake is named.
func TestLoadFederationRefusesWhatWouldTrustTooMuch(t *testing.T) {
	t.Parallel()
	rule := `{"ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "coordinator"}`
	cases := map[string]struct{ setting, mentions string }{
		"plain http":               {`[{"issuer": "http://idp.example.org", "audiences": ["p4w"], "rules": [` + rule + `]}]`, "https"},
		"no audience":              {`[{"issuer": "https://idp.example.org", "audiences": [], "rules": [` + rule + `]}]`, "audiences"},
		"no rule":                  {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": []}]`, "rules"},
		"a misspelt key":           {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [{"wehn": {"groups": "x"}, "ods_code": "RXN", "role": "viewer"}]}]`, "wehn"},
		"an unknown role":          {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [{"ods_code": "RXN", "role": "superuser"}]}]`, "role"},
		"two organisations":        {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [{"ods_code": "RXN", "ods_code_claim": "org", "role": "viewer"}]}]`, "exactly one"},
		"no organisation":          {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [{"when": {"groups": "x"}, "role": "viewer"}]}]`, "exactly one"},
		"national_admin to anyone": {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [{"ods_code": "X26", "role": "national_admin"}]}]`, "national_admin"},
		"an issuer twice": {`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [` + rule + `]},
			{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [` + rule + `]}]`, "twice"},
		"a file that is not there": {filepath.Join(t.TempDir(), "issuers.json"), "no such file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := auth.LoadFederation(c.setting)
			if err == nil || !strings.Contains(err.Error(), c.mentions) || !strings.HasPrefix(err.Error(), "P4W_OIDC_ISSUERS") {
				t.Errorf("LoadFederation: %v, want an error of P4W_OIDC_ISSUERS mentioning %q", err, c.mentions)
			}
		})
	}
	f, err := auth.LoadFederation("")
	if f != nil || err != nil {
		t.Errorf("an empty setting: %v, %v; want no federation", f, err)
	}
	path := filepath.Join(t.TempDir(), "issuers.json")
	if err := os.WriteFile(path, []byte(`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [`+rule+`]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := auth.LoadFederation(path); err != nil || strings.Join(f.Issuers(), ",") != "https://idp.example.org" {
		t.Errorf("a file of issuers: %v, %v", f, err)
	}
}

// Rules apply in order; claim paths reach into arrays of objects; an ODS code claim names one
// organisation or the rule refuses; the refusal names the claims looked at, never their values.
func TestFederationMapsClaimsByRules(t *testing.T) {
	t.Parallel()
	north, south, national := uuid.New(), uuid.New(), uuid.New()
	orgs := map[string]uuid.UUID{"RXN": north, "RXS": south, "X26": national}
	lookup := func(_ context.Context, code string) (uuid.UUID, bool, error) {
		id, ok := orgs[code]
		return id, ok, nil
	}
	f, err := auth.LoadFederation(`[{"issuer": "https://idp.example.org", "audiences": ["p4w"], "rules": [
		{"when": {"groups": "hee-national-admins", "tid": "t-1"}, "ods_code": "X26", "role": "national_admin"},
		{"when": {"realm_access.roles": "p4w-admin"}, "ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "org_admin"},
		{"ods_code_claim": "nhsid_nrbac_roles[].org_code", "role": "viewer"},
		{"when": {"email_verified": "true"}, "organisation_id": "` + south.String() + `", "role": "viewer"}]}]`)
	if err != nil {
		t.Fatal(err)
	}
	roles := func(codes ...string) []any {
		var out []any
		for _, c := range codes {
			out = append(out, map[string]any{"org_code": c, "role_code": "R8001"})
		}
		return out
	}
	cases := []struct {
		name   string
		claims map[string]any
		org    uuid.UUID
		role   string
		refuse string
	}{
		{"both conditions of national_admin", map[string]any{"groups": []any{"hee-national-admins"}, "tid": "t-1"}, national, "national_admin", ""},
		{"one condition of national_admin is not enough", map[string]any{"groups": []any{"hee-national-admins"}, "tid": "t-2"}, uuid.Nil, "",
			"claims looked at: email_verified, groups, nhsid_nrbac_roles[].org_code, realm_access.roles, tid"},
		{"a nested role claim", map[string]any{"realm_access": map[string]any{"roles": []any{"p4w-admin"}}, "nhsid_nrbac_roles": roles("RXN")}, north, "org_admin", ""},
		{"an ODS code in lower case", map[string]any{"nhsid_nrbac_roles": roles("rxs")}, south, "viewer", ""},
		{"unknown ODS codes fall through to the next rule", map[string]any{"nhsid_nrbac_roles": roles("RZZ"), "email_verified": true}, south, "viewer", ""},
		{"two trusts", map[string]any{"nhsid_nrbac_roles": roles("RXN", "RXS")}, uuid.Nil, "", "names 2 p4w organisations"},
		{"one trust named twice", map[string]any{"nhsid_nrbac_roles": roles("RXN", "RXN")}, north, "viewer", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := f.Map(context.Background(), auth.Identity{Issuer: "https://idp.example.org", Subject: "s", Claims: c.claims}, lookup)
			var refused *auth.Refused
			switch {
			case c.refuse != "":
				if !errors.As(err, &refused) || !strings.Contains(refused.Reason, c.refuse) {
					t.Errorf("Map: %+v, %v; want refused mentioning %q", m, err, c.refuse)
				}
			case err != nil || m.OrganisationID != c.org || string(m.Role) != c.role:
				t.Errorf("Map: %+v, %v; want %s at %s", m, err, c.role, c.org)
			}
		})
	}
}
