package seed_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/seed"
)

func (f fixture) delivery() seed.DeliveryServices {
	return seed.DeliveryServices{Programmes: f.all.Programmes, Participants: f.all.Participants, Cohorts: f.all.Cohorts,
		Enrolments: f.all.Enrolments, Placements: f.all.Placements, Outcomes: f.all.Outcomes, Mentors: f.all.Mentors,
		Matches: f.all.Matches, Vacancies: f.all.Vacancies, Interviews: f.all.Interviews, FundingAwards: f.all.FundingAwards,
		CaseStudies: f.all.CaseStudies, Guidance: f.all.Guidance}
}

// seedAll runs both demo seeds, as `p4w seed demo` does.
func (f fixture) seedAll(t *testing.T) seed.DeliveryResult {
	t.Helper()
	demo, err := seed.Demo(context.Background(), f.Services)
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	res, err := seed.Delivery(context.Background(), f.delivery(), demo)
	if err != nil {
		t.Fatalf("delivery: %v", err)
	}
	return res
}

// deliveryData is what the delivery records hold, read back through the services.
type deliveryData struct {
	programmes map[uuid.UUID]domain.Programme
	cohorts    map[uuid.UUID]domain.Cohort
	enrolments []domain.Enrolment
	placements []domain.Placement
	outcomes   []domain.Outcome
	mentors    []domain.Mentor
	matches    []domain.MentoringMatch
	checkIns   map[uuid.UUID][]domain.CheckIn // by match
	vacancies  []domain.Vacancy
	interviews []domain.Interview
}

func (f fixture) deliveryData(t *testing.T) deliveryData {
	t.Helper()
	ctx, s := systemCtx(), f.all
	d := deliveryData{programmes: map[uuid.UUID]domain.Programme{}, cohorts: map[uuid.UUID]domain.Cohort{}, checkIns: map[uuid.UUID][]domain.CheckIn{}}
	for _, p := range listAll(t, func(req domain.PageRequest) (domain.Page[domain.Programme], error) {
		return s.Programmes.List(ctx, domain.ProgrammeFilter{}, req)
	}) {
		d.programmes[p.ID] = p
	}
	for _, c := range listAll(t, func(req domain.PageRequest) (domain.Page[domain.Cohort], error) {
		return s.Cohorts.List(ctx, domain.CohortFilter{}, req)
	}) {
		d.cohorts[c.ID] = c
	}
	d.enrolments = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
		return s.Enrolments.List(ctx, domain.EnrolmentFilter{}, req)
	})
	d.placements = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Placement], error) {
		return s.Placements.List(ctx, domain.PlacementFilter{IncludeDeleted: true}, req)
	})
	d.outcomes = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Outcome], error) {
		return s.Outcomes.List(ctx, domain.OutcomeFilter{IncludeDeleted: true}, req)
	})
	d.mentors = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Mentor], error) {
		return s.Mentors.List(ctx, domain.MentorFilter{IncludeDeleted: true}, req)
	})
	d.matches = listAll(t, func(req domain.PageRequest) (domain.Page[domain.MentoringMatch], error) {
		return s.Matches.List(ctx, domain.MatchFilter{IncludeDeleted: true}, req)
	})
	for _, m := range d.matches {
		d.checkIns[m.ID] = listAll(t, func(req domain.PageRequest) (domain.Page[domain.CheckIn], error) {
			return s.Matches.ListCheckIns(ctx, m.ID, req)
		})
	}
	d.vacancies = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Vacancy], error) {
		return s.Vacancies.List(ctx, domain.VacancyFilter{IncludeDeleted: true}, req)
	})
	d.interviews = listAll(t, func(req domain.PageRequest) (domain.Page[domain.Interview], error) {
		return s.Interviews.List(ctx, domain.InterviewFilter{IncludeDeleted: true}, req)
	})
	return d
}

func (d deliveryData) counts() string {
	checkIns := 0
	for _, c := range d.checkIns {
		checkIns += len(c)
	}
	return fmt.Sprintf("%d cohorts, %d enrolments, %d placements, %d outcomes, %d mentors, %d matches, %d check-ins, %d vacancies, %d interviews",
		len(d.cohorts), len(d.enrolments), len(d.placements), len(d.outcomes), len(d.mentors), len(d.matches), checkIns, len(d.vacancies), len(d.interviews))
}

// set returns the distinct values of key over items.
func set[T any](items []T, key func(T) string) []string {
	var out []string
	for _, it := range items {
		if k := key(it); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func wantAll(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %v, want %s among them", what, got, w)
		}
	}
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.seedAll(t)
	d := f.deliveryData(t)
	ctx := systemCtx()

	// The first run, on an empty database, created everything there is.
	want := seed.DeliveryResult{Cohorts: len(d.cohorts), Enrolments: len(d.enrolments), Placements: len(d.placements),
		Outcomes: len(d.outcomes), Mentors: len(d.mentors), Matches: len(d.matches), Vacancies: len(d.vacancies), Interviews: len(d.interviews),
		CheckIns: first.CheckIns, FundingAwards: 1, Directory: 3, Changes: first.Changes}
	if first != want || first.Changes == 0 {
		t.Errorf("first run counted %+v, the services list %s", first, d.counts())
	}
	t.Logf("first run: %s", first)

	// The demo award: Northgate's Step into Work funding from the 2024/25 round, reducing year
	// on year, with Northgate's January 2026 cohort delivered under it.
	awards, err := f.all.FundingAwards.List(ctx, domain.FundingAwardFilter{}, domain.PageRequest{Limit: 10})
	if err != nil || len(awards.Items) != 1 {
		t.Fatalf("funding awards: %+v, %v; want the demo award", awards.Items, err)
	}
	award := awards.Items[0]
	if award.TenderRound != "2024/25" || award.ProgrammeID.String() != "01900000-0000-7000-8000-000000000101" ||
		!(award.Years[0].AmountPence > award.Years[1].AmountPence && award.Years[1].AmountPence > award.Years[2].AmountPence) {
		t.Errorf("the demo award: %+v", award)
	}
	funded := 0
	for _, c := range d.cohorts {
		if c.FundingAwardID != nil && *c.FundingAwardID == award.ID {
			funded++
			if c.Name != "Step into Work — January 2026" || c.OrganisationID != award.OrganisationID {
				t.Errorf("cohort %q is delivered under the demo award", c.Name)
			}
		}
	}
	if funded != 1 {
		t.Errorf("%d cohorts delivered under the demo award, want 1", funded)
	}

	// Cohorts of every programme, finished, running and one planned, each within its programme's bounds.
	programmes := set(slices.Collect(maps.Values(d.cohorts)), func(c domain.Cohort) string { return c.ProgrammeID.String() })
	if len(d.programmes) != 7 || len(programmes) != len(d.programmes) {
		t.Errorf("cohorts of %d programmes, want all %d of the catalogue", len(programmes), len(d.programmes))
	}
	statuses := map[string]int{}
	for _, c := range d.cohorts {
		statuses[c.Status]++
		if err := c.Validate(d.programmes[c.ProgrammeID]); err != nil {
			t.Errorf("cohort %q: %v", c.Name, err)
		}
		if d.programmes[c.ProgrammeID].Code == "step_into_work" && c.Capacity != 15 {
			t.Errorf("Step into Work cohort %q has capacity %d, want 15", c.Name, c.Capacity)
		}
	}
	if statuses["finished"] == 0 || statuses["running"] == 0 || statuses["planned"] != 1 {
		t.Errorf("cohort statuses %v, want some finished, some running and one planned", statuses)
	}

	// Enrolments: the whole lifecycle; eligibility respected or overridden with a reason.
	wantAll(t, "enrolment statuses", set(d.enrolments, func(e domain.Enrolment) string { return e.Status }),
		domain.Referred, domain.Enrolled, domain.Active, domain.Completed, domain.Withdrawn)
	overrides := 0
	for _, e := range d.enrolments {
		if e.Status == domain.Withdrawn && (e.WithdrawalReason == nil || *e.WithdrawalReason == "") {
			t.Errorf("enrolment %s was withdrawn without a reason", e.ID)
		}
		if e.Status != domain.Enrolled && e.Status != domain.Active && e.Status != domain.Completed {
			continue
		}
		c, err := f.all.Cohorts.Get(ctx, e.CohortID)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := f.all.Programmes.Get(ctx, c.ProgrammeID)
		if err != nil {
			t.Fatal(err)
		}
		who, err := f.all.Participants.Get(ctx, e.ParticipantID)
		if err != nil {
			t.Fatal(err)
		}
		ineligible := domain.CheckEligibility(prog, c, who)
		switch {
		case e.EligibilityOverrideReason != nil && *e.EligibilityOverrideReason != "":
			overrides++
			if ineligible == nil {
				t.Errorf("enrolment %s in %q carries an override but the participant is eligible", e.ID, c.Name)
			}
		case ineligible != nil:
			t.Errorf("enrolment %s in %q is %s without an override: %v", e.ID, c.Name, e.Status, ineligible)
		}
	}
	if overrides < 2 {
		t.Errorf("%d enrolments with an eligibility override, want a couple", overrides)
	}

	// Placements in every role area and kind, inside their cohorts; completed ones and one ended early.
	wantAll(t, "placement role areas", set(d.placements, func(p domain.Placement) string { return p.RoleArea }),
		"facilities", "estates", "healthcare_support", "administration", "clinical_support", "other")
	wantAll(t, "placement kinds", set(d.placements, func(p domain.Placement) string { return p.Kind }),
		"placement", "work_experience", "work_related_learning")
	wantAll(t, "placement statuses", set(d.placements, func(p domain.Placement) string { return p.Status }), "completed", "in_progress", "ended_early")
	for _, p := range d.placements {
		if err := p.Validate(d.cohorts[p.CohortID]); err != nil {
			t.Errorf("placement %s: %v", p.ID, err)
		}
	}

	// Outcomes of every destination with valid ILR codes; sustainment checks recorded and due.
	wantAll(t, "destinations", set(d.outcomes, func(o domain.Outcome) string { return o.Destination }),
		domain.DestEmployment, domain.DestApprenticeship, domain.DestVolunteering, domain.DestFurtherEducation,
		domain.DestTraining, domain.DestNone, domain.DestUnknown)
	checked := 0
	for _, o := range d.outcomes {
		if err := o.Validate(); err != nil {
			t.Errorf("outcome %s: %v", o.ID, err)
		}
		if o.Sustained3m != nil {
			checked++
			if o.Sustained3m.CheckedOn.After(seed.ReferenceDate) {
				t.Errorf("outcome %s: 3-month check on %s, after the reference date", o.ID, o.Sustained3m.CheckedOn.Format(time.DateOnly))
			}
		}
	}
	due := listAll(t, func(req domain.PageRequest) (domain.Page[domain.Outcome], error) {
		return f.all.Outcomes.List(ctx, domain.OutcomeFilter{SustainmentDueBefore: &seed.ReferenceDate}, req)
	})
	if checked < 2 || len(due) < 2 {
		t.Errorf("%d outcomes with a 3-month check and %d due before the reference date, want some of each", checked, len(due))
	}

	// About 40% of those who started a finished Step into Work cohort went to a positive destination.
	started, positive := 0, 0
	for _, e := range d.enrolments {
		c := d.cohorts[e.CohortID]
		if d.programmes[c.ProgrammeID].Code != "step_into_work" || c.Status != "finished" || e.StartedOn == nil {
			continue
		}
		started++
		yes := true
		page, err := f.all.Outcomes.List(ctx, domain.OutcomeFilter{ParticipantID: &e.ParticipantID, Positive: &yes}, domain.PageRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 0 {
			positive++
		}
	}
	t.Logf("Step into Work: %d of %d who started a finished cohort have a positive outcome", positive, started)
	if rate := float64(positive) / float64(started); started < 30 || rate < 0.35 || rate > 0.45 {
		t.Errorf("Step into Work: %d of %d who started have a positive outcome (%.0f%%), want about 40%%", positive, started, rate*100)
	}

	// Mentors: professional ones and a peer mentor who completed Street Doctors; matches with check-ins.
	peers := 0
	for _, m := range d.mentors {
		if m.Kind != "peer" || m.ParticipantID == nil {
			continue
		}
		peers++
		done := domain.Completed
		es, err := f.all.Enrolments.List(ctx, domain.EnrolmentFilter{ParticipantID: m.ParticipantID, Status: &done}, domain.PageRequest{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(es.Items, func(e domain.Enrolment) bool {
			return d.programmes[d.cohorts[e.CohortID].ProgrammeID].Code == "street_doctors_peer_mentoring"
		}) {
			t.Errorf("peer mentor %s did not complete Street Doctors", m.ID)
		}
	}
	if peers == 0 || len(d.mentors)-peers < 2 {
		t.Errorf("%d peer mentors made from participants and %d others, want at least one and a few", peers, len(d.mentors)-peers)
	}
	mentors := map[uuid.UUID]domain.Mentor{}
	for _, m := range d.mentors {
		mentors[m.ID] = m
	}
	for _, m := range d.matches {
		if len(d.checkIns[m.ID]) == 0 {
			t.Errorf("match %s has no check-ins", m.ID)
		}
		if err := m.Validate(mentors[m.MentorID]); err != nil {
			t.Errorf("match %s: %v", m.ID, err)
		}
	}
	if !slices.ContainsFunc(d.matches, func(m domain.MentoringMatch) bool { return mentors[m.MentorID].Kind == "peer" }) {
		t.Errorf("no match of the peer mentor")
	}
	wantAll(t, "match statuses", set(d.matches, func(m domain.MentoringMatch) string { return m.Status }), "active", "completed", "ended_early")

	// Vacancies with interviews of Get Started participants.
	if len(d.vacancies) < 2 {
		t.Errorf("%d vacancies, want a couple", len(d.vacancies))
	}
	wantAll(t, "interview results", set(d.interviews, func(i domain.Interview) string { return i.Result }), "offered", "not_offered", "pending")
	for _, i := range d.interviews {
		e, err := f.all.Enrolments.Get(ctx, *i.EnrolmentID)
		if err != nil {
			t.Fatal(err)
		}
		if code := d.programmes[d.cohorts[e.CohortID].ProgrammeID].Code; code != "get_started" {
			t.Errorf("interview %s follows a %s enrolment, want get_started", i.ID, code)
		}
	}

	// A second run finds it all and writes nothing.
	events := len(f.auditEvents(t))
	second := f.seedAll(t)
	if second != (seed.DeliveryResult{}) || !strings.Contains(second.String(), "created nothing") {
		t.Errorf("second run: %+v (%s), want nothing", second, second)
	}
	if after := f.deliveryData(t); after.counts() != d.counts() {
		t.Errorf("after the second run: %s; after the first: %s", after.counts(), d.counts())
	}
	if n := len(f.auditEvents(t)); n != events {
		t.Errorf("%d audit events after the second run, want %d: it wrote something", n, events)
	}
}

// TestDeliveryIsDeterministic checks that two databases get the same places for the same people.
func TestDeliveryIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := newFixture(t), newFixture(t)
	a.seedAll(t)
	b.seedAll(t)
	places := func(f fixture) []string {
		d := f.deliveryData(t)
		var out []string
		for _, e := range d.enrolments {
			who, err := f.all.Participants.Get(systemCtx(), e.ParticipantID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s|%s|%s", d.cohorts[e.CohortID].Name, *who.ExternalRef, e.Status))
		}
		slices.Sort(out)
		return out
	}
	if pa, pb := places(a), places(b); !slices.Equal(pa, pb) {
		t.Errorf("two databases got different enrolments:\n%v\n%v", pa, pb)
	}
}
