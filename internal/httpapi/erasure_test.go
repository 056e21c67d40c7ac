package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func TestEraseParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Kingsmere NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	orig := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "E-1",
		"given_name", "Lena", "family_name", "Marsh", "email", "lena@example.org", "phone", "07700 900333",
		"postcode", "LS1 4AP", "benefit_status", "jobseekers_allowance", "referral_source", "jobcentre_plus",
		"consent", map[string]bool{"processing": true, "hr_sharing": true}))

	// A stale If-Match refuses the erasure too.
	if res := env.Do(t, http.MethodDelete, "/v1/participants/"+orig.ID, token, "", "If-Match", `"9"`); res.Status != http.StatusPreconditionFailed {
		t.Errorf("erase with a stale If-Match: %d %s", res.Status, res.Body)
	}
	if got := mustGetParticipant(t, env, token, orig.ID); got.Erased || got.GivenName == nil {
		t.Fatalf("a refused erasure erased: %+v", got)
	}

	before := time.Now()
	res := env.Do(t, http.MethodDelete, "/v1/participants/"+orig.ID, token, "", "If-Match", `"1"`)
	if res.Status != http.StatusNoContent || len(res.Body) != 0 {
		t.Fatalf("erase: %d %s", res.Status, res.Body)
	}

	p := mustGetParticipant(t, env, token, orig.ID)
	if !p.Erased || p.ErasedAt == nil || p.ErasedAt.Before(before.Add(-time.Second)) {
		t.Errorf("erased %v at %v", p.Erased, p.ErasedAt)
	}
	for field, v := range map[string]*string{"external_ref": p.ExternalRef, "given_name": p.GivenName, "family_name": p.FamilyName,
		"date_of_birth": p.DateOfBirth, "email": p.Email, "phone": p.Phone, "postcode": p.Postcode} {
		if v != nil {
			t.Errorf("%s = %q after erasure, want null", field, *v)
		}
	}
	if p.OrganisationID != trust.ID.String() || p.BenefitStatus != "jobseekers_allowance" ||
		p.ReferralSource == nil || *p.ReferralSource != "jobcentre_plus" || p.ID != orig.ID {
		t.Errorf("erasure lost what reports need: %+v", p)
	}
	for purpose, c := range p.Consent {
		if c.Granted {
			t.Errorf("consent %s still granted after erasure", purpose)
		}
	}
	// The erasure is a change a syncing client sees.
	if p.Version <= orig.Version || !p.UpdatedAt.After(orig.UpdatedAt) {
		t.Errorf("erasure left version %d, updated_at %v", p.Version, p.UpdatedAt)
	}
	since := url.Values{"updated_since": {orig.UpdatedAt.Add(time.Microsecond).Format(time.RFC3339Nano)}}
	if got := listParticipantIDs(t, env, token, since); !slices.Equal(got, []string{orig.ID}) {
		t.Errorf("sync after the erasure: %v, want the erased record", got)
	}
	if got := listParticipantIDs(t, env, token, url.Values{"erased": {"true"}}); !slices.Equal(got, []string{orig.ID}) {
		t.Errorf("erased=true: %v", got)
	}
	if got := listParticipantIDs(t, env, token, url.Values{"q": {"lena"}}); len(got) != 0 {
		t.Errorf("search still finds the erased name: %v", got)
	}

	// Erasing twice is harmless.
	if res := env.Do(t, http.MethodDelete, "/v1/participants/"+orig.ID, token, ""); res.Status != http.StatusNoContent {
		t.Errorf("second erasure: %d %s", res.Status, res.Body)
	}
	if again := mustGetParticipant(t, env, token, orig.ID); !again.Erased || again.ErasedAt == nil || !again.ErasedAt.Equal(*p.ErasedAt) {
		t.Errorf("second erasure moved erased_at from %v to %v", p.ErasedAt, again.ErasedAt)
	}

	// An erased record cannot be brought back by a PATCH.
	res = env.Patch(t, "/v1/participants/"+orig.ID, token, `{"given_name":"Lena"}`)
	if res.Status != http.StatusConflict {
		t.Fatalf("patch of an erased participant: %d %s", res.Status, res.Body)
	}
	res.Problem(t)
	if got := mustGetParticipant(t, env, token, orig.ID); got.GivenName != nil {
		t.Errorf("patch wrote into an erased record: %q", *got.GivenName)
	}

	// The external reference is free again for a new record.
	mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "E-1"))
}

// personalDataIn scans every column of every table of the public schema for each needle
// (case-insensitively) and returns, for each needle found, the table.column places holding it.
func personalDataIn(tb testing.TB, env *apitest.Env, needles []string) map[string][]string {
	tb.Helper()
	db := env.DB.SQL()
	rows, err := db.Query(`SELECT c.table_name, c.column_name, c.data_type
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		tb.Fatal(err)
	}
	type column struct{ table, name, typ string }
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			tb.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	rows.Close()
	tables := map[string]bool{}
	for _, c := range cols {
		tables[c.table] = true
	}
	for _, must := range []string{"participants", "idempotency_keys", "audit_events"} {
		if !tables[must] {
			tb.Fatalf("the scan does not see table %s (it sees %v)", must, tables)
		}
	}

	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	found := map[string][]string{}
	for _, c := range cols {
		expr := quote(c.name) + "::text"
		if c.typ == "bytea" {
			expr = "encode(" + quote(c.name) + ", 'escape')" // the bytes as text, not as hex
		}
		vals, err := db.Query(`SELECT ` + expr + ` FROM ` + quote(c.table) + ` WHERE ` + quote(c.name) + ` IS NOT NULL`)
		if err != nil {
			tb.Fatalf("scan %s.%s: %v", c.table, c.name, err)
		}
		for vals.Next() {
			var v string
			if err := vals.Scan(&v); err != nil {
				tb.Fatal(err)
			}
			v = strings.ToLower(v)
			for _, n := range needles {
				place := c.table + "." + c.name
				if strings.Contains(v, strings.ToLower(n)) && !slices.Contains(found[n], place) {
					found[n] = append(found[n], place)
				}
			}
		}
		if err := vals.Err(); err != nil {
			tb.Fatal(err)
		}
		vals.Close()
	}
	return found
}

func TestErasureLeavesNoPersonalData(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Lowther Bay NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	// Values that occur nowhere else, so that any copy of them is this person's data.
	const (
		given, family   = "Zebedee", "Quixotically"
		email, phone    = "zebedee.q@example.org", "07700 900123"
		newPhone        = "07700 900987"
		postcode, ref   = "L1 8JQ", "ERASE-ME-1"
		newFamily, born = "Quixotically-Vance", "1987-06-05"
	)
	body := apitest.ParticipantBody(t, trust.ID, "given_name", given, "family_name", family, "email", email, "phone", phone,
		"postcode", "l18jq", "external_ref", ref, "date_of_birth", born, "consent", map[string]bool{"processing": true})
	p := mustCreateParticipant(t, env, token, body, "Idempotency-Key", "erasure-test-key-1")
	mustPatchParticipant(t, env, token, p.ID, `{"phone":"`+newPhone+`","family_name":"`+newFamily+`"}`)
	// A second participant with an Idempotency-Key, whose stored reply erasure must leave alone.
	other := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "given_name", "Unrelated"), "Idempotency-Key", "erasure-test-key-2")

	needles := []string{given, family, email, phone, newPhone, postcode, ref, newFamily, born}

	// The scan must see the data where it is, or its silence afterwards proves nothing.
	found := personalDataIn(t, env, needles)
	for n, column := range map[string]string{given: "given_name", newFamily: "family_name", email: "email",
		newPhone: "phone", postcode: "postcode", ref: "external_ref", born: "date_of_birth"} {
		if !slices.Contains(found[n], "participants."+column) {
			t.Errorf("before erasure the scan does not find %q in participants.%s (found %v)", n, column, found[n])
		}
	}
	for _, n := range []string{given, family, email, phone, postcode, ref, born} {
		if !slices.Contains(found[n], "idempotency_keys.response_body") {
			t.Errorf("before erasure the scan does not find %q in the stored reply (found %v)", n, found[n])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	if res := env.Do(t, http.MethodDelete, "/v1/participants/"+p.ID, token, ""); res.Status != http.StatusNoContent {
		t.Fatalf("erase: %d %s", res.Status, res.Body)
	}
	for n, places := range personalDataIn(t, env, needles) {
		t.Errorf("after erasure %q is still in %v", n, places)
	}
	// Erasure keeps the audit trail (without values) and other people's stored replies.
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE resource_id = $1 AND action = 'participant.erase'`, p.ID); n != 1 {
		t.Errorf("%d audit events for the erasure, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM idempotency_keys WHERE resource_id = $1`, other.ID); n != 1 {
		t.Errorf("erasure discarded another participant's stored reply (%d left)", n)
	}
}
