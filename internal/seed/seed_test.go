package seed_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/seed"
	"github.com/p4w-nhs/p4w/internal/service"
)

// fixture wires the services on a fresh database, as the binary does.
type fixture struct {
	seed.Services
	all   app.Services // every use case, for the delivery seed and its checks
	audit *postgres.Audit
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	url := pgtest.NewURL(t)
	db, err := postgres.Open(context.Background(), url, postgres.PoolOptions{MaxOpen: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := app.NewServices(apitest.Config(t, url), db)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{
		Services: seed.Services{Organisations: s.Organisations, Participants: s.Participants},
		all:      s,
		audit:    postgres.NewAudit(db),
	}
}

func systemCtx() context.Context {
	return domain.WithPrincipal(context.Background(), service.System())
}

// listAll pages through a list with the largest page it allows.
func listAll[T any](t *testing.T, list func(domain.PageRequest) (domain.Page[T], error)) []T {
	t.Helper()
	var out []T
	req := domain.PageRequest{Limit: 500}
	for {
		page, err := list(req)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		out = append(out, page.Items...)
		if page.Next == nil {
			return out
		}
		req.After = page.Next
	}
}

func (f fixture) organisations(t *testing.T, kind domain.OrganisationKind) []domain.Organisation {
	return listAll(t, func(req domain.PageRequest) (domain.Page[domain.Organisation], error) {
		return f.Organisations.List(systemCtx(), domain.OrganisationFilter{Kind: &kind}, req)
	})
}

func (f fixture) participants(t *testing.T) []domain.Participant {
	return listAll(t, func(req domain.PageRequest) (domain.Page[domain.Participant], error) {
		return f.Participants.List(systemCtx(), domain.ParticipantFilter{}, req)
	})
}

func (f fixture) auditEvents(t *testing.T) []domain.AuditEvent {
	return listAll(t, func(req domain.PageRequest) (domain.Page[domain.AuditEvent], error) {
		return f.audit.List(systemCtx(), domain.AuditFilter{}, req)
	})
}

var (
	postcodeRe = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$`)
	phoneRe    = regexp.MustCompile(`^(07700 900[0-9]{3}|0151 496 0[0-9]{3}|01632 960[0-9]{3})$`) // Ofcom drama ranges
	refRe      = regexp.MustCompile(`^(NTH|RSD)-[0-9]{6}$`)
	odsRe      = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)
)

var workingAgeBenefits = []string{"universal_credit", "jobseekers_allowance", "employment_and_support_allowance",
	"income_support", "other_working_age_benefit"}

func TestDemo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background() // Demo runs as the system principal by itself

	first, err := seed.Demo(ctx, f.Services)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	// A fresh database has the two seeded partners and no national team.
	if first.Participants != 200 || first.Organisations != 4 {
		t.Errorf("first run created %d participants and %d organisations, want 200 and 4", first.Participants, first.Organisations)
	}
	if first.PartnerID != uuid.MustParse("01900000-0000-7000-8000-000000000001") {
		t.Errorf("partner = %s, want the seeded Prince's Trust", first.PartnerID)
	}

	trusts := f.organisations(t, domain.KindTrust)
	if len(trusts) != 2 {
		t.Fatalf("%d trusts, want 2", len(trusts))
	}
	for _, o := range trusts {
		if o.ODSCode == nil || !odsRe.MatchString(*o.ODSCode) || o.Region == nil || *o.Region != "north_west" {
			t.Errorf("trust %q: ods_code %v, region %v", o.Name, o.ODSCode, o.Region)
		}
		if !slices.Contains(first.TrustIDs, o.ID) {
			t.Errorf("trust %s is not in the result's %v", o.ID, first.TrustIDs)
		}
	}
	collabs := f.organisations(t, domain.KindCollaboration)
	if len(collabs) != 1 || collabs[0].ID != first.CollaborationID {
		t.Fatalf("collaborations = %+v, want one, %s", collabs, first.CollaborationID)
	}
	members := listAll(t, func(req domain.PageRequest) (domain.Page[domain.Organisation], error) {
		return f.Organisations.ListMembers(systemCtx(), first.CollaborationID, req)
	})
	var memberIDs []uuid.UUID
	for _, m := range members {
		memberIDs = append(memberIDs, m.ID)
	}
	slices.SortFunc(memberIDs, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	wantMembers := slices.Clone(first.TrustIDs)
	slices.SortFunc(wantMembers, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(memberIDs, wantMembers) {
		t.Errorf("members = %v, want the two trusts %v", memberIDs, wantMembers)
	}
	if n := len(f.organisations(t, domain.KindPartner)); n != 2 {
		t.Errorf("%d partners, want the 2 seeded ones", n)
	}
	if nat := f.organisations(t, domain.KindNational); len(nat) != 1 || nat[0].ID != first.NationalID || nat[0].Name != seed.NationalName {
		t.Errorf("national = %+v, want one %q with id %s", nat, seed.NationalName, first.NationalID)
	}

	parts := f.participants(t)
	if len(parts) != 200 {
		t.Fatalf("%d participants, want 200", len(parts))
	}
	minAge, maxAge, eligible, young, hr, caseStudy := 200, 0, 0, 0, 0, 0
	byOrg := map[uuid.UUID]int{}
	referrals := map[string]int{}
	emails := map[string]bool{}
	for _, p := range parts {
		byOrg[p.OrganisationID]++
		if p.ExternalRef == nil || !refRe.MatchString(*p.ExternalRef) {
			t.Errorf("external_ref %v", p.ExternalRef)
		}
		if p.DateOfBirth == nil {
			t.Fatalf("participant %s has no date of birth", p.ID)
		}
		age := domain.AgeOn(*p.DateOfBirth, seed.ReferenceDate)
		minAge, maxAge = min(minAge, age), max(maxAge, age)
		if age >= 19 && slices.Contains(workingAgeBenefits, p.BenefitStatus) {
			eligible++
		}
		if age <= 24 {
			young++
		}
		if !p.Consent.Processing.Granted || p.Consent.Processing.ChangedAt == nil {
			t.Errorf("participant %s has no processing consent", *p.ExternalRef)
		}
		if p.Consent.HRSharing.Granted {
			hr++
		}
		if p.Consent.CaseStudy.Granted {
			caseStudy++
		}
		if p.Email != nil && !strings.HasSuffix(*p.Email, "@example.org") && !strings.HasSuffix(*p.Email, "@example.com") {
			t.Errorf("email %q is not at an RFC 2606 domain", *p.Email)
		}
		if p.Email != nil && emails[*p.Email] {
			t.Errorf("email %q is used twice", *p.Email)
		}
		if p.Email != nil {
			emails[*p.Email] = true
		}
		if p.Phone != nil && !phoneRe.MatchString(*p.Phone) {
			t.Errorf("phone %q is not in an Ofcom drama range", *p.Phone)
		}
		if p.Postcode != nil && !postcodeRe.MatchString(*p.Postcode) {
			t.Errorf("postcode %q does not look like a UK postcode", *p.Postcode)
		}
		if p.ReferralSource != nil {
			referrals[*p.ReferralSource]++
		}
	}
	if minAge > 16 || maxAge < 50 || minAge < 16 || maxAge > 60 {
		t.Errorf("ages span %d..%d, want at least 16..50 within 16..60", minAge, maxAge)
	}
	if eligible < 60 {
		t.Errorf("%d participants are 19+ on a working-age benefit, want at least 60", eligible)
	}
	if young < 50 {
		t.Errorf("%d participants are 16-24, want a cluster of at least 50", young)
	}
	if hr < 100 || hr == 200 || caseStudy == 0 || caseStudy > 30 {
		t.Errorf("hr_sharing %d, case_study %d: want most and a few", hr, caseStudy)
	}
	for source, n := range referrals {
		if source != "jobcentre_plus" && n >= referrals["jobcentre_plus"] {
			t.Errorf("referrals %v: jobcentre_plus should be the most common", referrals)
		}
	}
	if byOrg[first.TrustIDs[0]]+byOrg[first.TrustIDs[1]] != 200 || byOrg[first.TrustIDs[0]] == 0 || byOrg[first.TrustIDs[1]] == 0 {
		t.Errorf("participants by organisation = %v, want 200 split between the trusts", byOrg)
	}
	eventsAfterFirst := len(f.auditEvents(t))
	if eventsAfterFirst < 200+4+2 {
		t.Errorf("%d audit events after the first run, want one per write", eventsAfterFirst)
	}

	second, err := seed.Demo(ctx, f.Services)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.Participants != 0 || second.Organisations != 0 {
		t.Errorf("second run created %d participants and %d organisations, want none", second.Participants, second.Organisations)
	}
	if !slices.Equal(second.TrustIDs, first.TrustIDs) || second.CollaborationID != first.CollaborationID ||
		second.NationalID != first.NationalID || second.PartnerID != first.PartnerID {
		t.Errorf("second run found %+v, want the first run's records %+v", second, first)
	}
	if n := len(f.participants(t)); n != 200 {
		t.Errorf("%d participants after the second run, want 200", n)
	}
	for kind, want := range map[domain.OrganisationKind]int{domain.KindTrust: 2, domain.KindCollaboration: 1, domain.KindNational: 1, domain.KindPartner: 2} {
		if n := len(f.organisations(t, kind)); n != want {
			t.Errorf("%d %s organisations after the second run, want %d", n, kind, want)
		}
	}
	if n := len(f.auditEvents(t)); n != eventsAfterFirst {
		t.Errorf("%d audit events after the second run, want %d: it wrote something", n, eventsAfterFirst)
	}
}

// TestDemoReusesNationalAndIsDeterministic checks that an existing national organisation is
// reused, whatever its name, and that two databases get the same people.
func TestDemoReusesNationalAndIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := newFixture(t), newFixture(t)

	bootstrap, err := b.Organisations.Create(systemCtx(), domain.Organisation{Kind: domain.KindNational, Name: "HEE national team"}, []string{"kind", "name"})
	if err != nil {
		t.Fatal(err)
	}
	ra, err := seed.Demo(context.Background(), a.Services)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := seed.Demo(context.Background(), b.Services)
	if err != nil {
		t.Fatal(err)
	}
	if rb.NationalID != bootstrap.ID || rb.Organisations != 3 || ra.Organisations != 4 {
		t.Errorf("with a national team already there: national %s (want %s), created %d organisations (want 3)",
			rb.NationalID, bootstrap.ID, rb.Organisations)
	}
	if n := len(b.organisations(t, domain.KindNational)); n != 1 {
		t.Errorf("%d national organisations, want the bootstrap's one", n)
	}

	type row struct {
		trust                                                    int
		ref, given, family, dob, email, phone, postcode, benefit string
	}
	rows := func(f fixture, trusts []uuid.UUID) []row {
		var out []row
		for _, p := range f.participants(t) {
			s := func(v *string) string {
				if v == nil {
					return ""
				}
				return *v
			}
			out = append(out, row{slices.Index(trusts, p.OrganisationID), s(p.ExternalRef), s(p.GivenName), s(p.FamilyName),
				p.DateOfBirth.Format(time.DateOnly), s(p.Email), s(p.Phone), s(p.Postcode), p.BenefitStatus})
		}
		slices.SortFunc(out, func(x, y row) int { return strings.Compare(x.ref, y.ref) })
		return out
	}
	if ga, gb := rows(a, ra.TrustIDs), rows(b, rb.TrustIDs); !slices.Equal(ga, gb) {
		t.Errorf("two runs on two databases made different people")
	}
}
