package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
)

// DeliveryServices are the use cases the demo delivery data is written through.
type DeliveryServices struct {
	Programmes   *service.Programmes
	Participants *service.Participants
	Cohorts      *service.Cohorts
	Enrolments   *service.Enrolments
	Placements   *service.Placements
	Outcomes     *service.Outcomes
	Mentors      *service.Mentors
	Matches      *service.Matches
	Vacancies    *service.Vacancies
	Interviews   *service.Interviews
	// FundingAwards writes the demo award (funding_awards.go).
	FundingAwards *service.FundingAwards
	// CaseStudies and Guidance write the public directories' demo entries (directories.go).
	CaseStudies *service.CaseStudies
	Guidance    *service.Guidance
}

// DeliveryResult counts what a run of Delivery created, and the changes it made to records
// (enrolment moves, cohort and placement statuses, interview results, sustainment checks,
// closed matches and vacancies). A run that finds everything in place counts nothing.
type DeliveryResult struct {
	Cohorts, Enrolments, Placements, Outcomes         int
	Mentors, Matches, CheckIns, Vacancies, Interviews int
	FundingAwards                                     int
	Directory                                         int // case studies and guidance
	Changes                                           int
}

// Created is the number of records the run created.
func (r DeliveryResult) Created() int {
	return r.Cohorts + r.Enrolments + r.Placements + r.Outcomes + r.Mentors + r.Matches + r.CheckIns + r.Vacancies + r.Interviews + r.FundingAwards + r.Directory
}

// String is the one-line summary the seed command prints.
func (r DeliveryResult) String() string {
	if r.Created() == 0 && r.Changes == 0 {
		return "created nothing: the demo delivery data is all there"
	}
	return fmt.Sprintf("created %d cohorts, %d enrolments, %d placements, %d outcomes, %d mentors, %d mentoring matches, "+
		"%d check-ins, %d vacancies and %d interviews; %d changes recorded",
		r.Cohorts, r.Enrolments, r.Placements, r.Outcomes, r.Mentors, r.Matches, r.CheckIns, r.Vacancies, r.Interviews, r.Changes)
}

// Delivery loads the demo delivery data set on top of what Demo loaded (whose Result it takes):
// cohorts of every programme at the two trusts and the collaboration, enrolments of demo
// participants moved along their lifecycle, placements, outcomes with sustainment checks,
// mentors and matches with check-ins, vacancies and interviews, all dated around ReferenceDate.
//
// Every write goes through the services as service.System(), whatever principal ctx carries, so
// the rules apply (duration bounds, eligibility unless overridden with a reason, placements
// inside their cohort, ILR codes, six-month professional mentoring) and each write is audited.
// Who takes which place is drawn from a fixed PCG seed, so every install gets the same data. It
// looks every record up first (cohorts by organisation, programme and name; enrolments by cohort
// and participant; the rest by their natural keys, tombstones included) and creates or moves only
// what is missing, so running it again changes nothing. A record a user took off the plan (an
// enrolment withdrawn, a placement deleted) is left as it is.
func Delivery(ctx context.Context, s DeliveryServices, demo Result) (DeliveryResult, error) {
	ctx = domain.WithPrincipal(ctx, service.System())
	if len(demo.TrustIDs) != len(trusts) || demo.CollaborationID == uuid.Nil {
		return DeliveryResult{}, fmt.Errorf("seed delivery: run the demo organisations seed first")
	}
	d := &deliverer{s: s, ctx: ctx,
		orgs:       map[orgRef]uuid.UUID{northgate: demo.TrustIDs[0], riverside: demo.TrustIDs[1], collaboration: demo.CollaborationID},
		enrolments: map[string][]*domain.Enrolment{}}
	if err := d.load(); err != nil {
		return d.res, fmt.Errorf("seed delivery: %w", err)
	}
	for _, p := range cohortPlans {
		if err := d.cohort(p); err != nil {
			return d.res, fmt.Errorf("seed cohort %q: %w", p.name, err)
		}
	}
	if err := d.mentoring(); err != nil {
		return d.res, fmt.Errorf("seed mentoring: %w", err)
	}
	if err := d.vacancies(); err != nil {
		return d.res, fmt.Errorf("seed vacancies: %w", err)
	}
	if err := d.fund(); err != nil {
		return d.res, fmt.Errorf("seed funding award: %w", err)
	}
	if err := d.directories(); err != nil {
		return d.res, fmt.Errorf("seed directories: %w", err)
	}
	return d.res, nil
}

// deliverer holds one run's look-ups and counts.
type deliverer struct {
	s          DeliveryServices
	ctx        context.Context
	orgs       map[orgRef]uuid.UUID
	programmes map[uuid.UUID]domain.Programme
	people     []person
	byRef      []map[string]domain.Participant // per trust, by external_ref
	picks      map[string][]int                // per cohort plan, the person (index into people) of each fate
	enrolments map[string][]*domain.Enrolment  // per cohort plan, the enrolment of each fate (nil: none)
	outcomes   map[outcomeKey]bool
	res        DeliveryResult
}

type outcomeKey struct {
	participant, enrolment uuid.UUID
	destination            string
}

// load reads the catalogue and the demo participants, draws who takes which place, and reads
// the outcomes already recorded.
func (d *deliverer) load() error {
	d.programmes = map[uuid.UUID]domain.Programme{}
	for _, id := range catalogue {
		p, err := d.s.Programmes.Get(d.ctx, id)
		if err != nil {
			return fmt.Errorf("programme %s (seeded by migration 00002): %w", id, err)
		}
		d.programmes[id] = p
	}
	d.people = people()
	for ti := range trusts {
		org := d.orgs[orgRef(ti)]
		refs := map[string]domain.Participant{}
		err := each(func(req domain.PageRequest) (domain.Page[domain.Participant], error) {
			return d.s.Participants.List(d.ctx, domain.ParticipantFilter{OrganisationID: &org}, req)
		}, func(p domain.Participant) bool {
			if p.ExternalRef != nil && !p.Erased() {
				refs[*p.ExternalRef] = p
			}
			return true
		})
		if err != nil {
			return err
		}
		d.byRef = append(d.byRef, refs)
	}
	picks, err := assign(cohortPlans, d.people, d.programmes)
	if err != nil {
		return err
	}
	d.picks = picks
	d.outcomes = map[outcomeKey]bool{}
	return each(func(req domain.PageRequest) (domain.Page[domain.Outcome], error) {
		return d.s.Outcomes.List(d.ctx, domain.OutcomeFilter{IncludeDeleted: true}, req)
	}, func(o domain.Outcome) bool {
		if o.EnrolmentID != nil {
			d.outcomes[outcomeKey{o.ParticipantID, *o.EnrolmentID, o.Destination}] = true
		}
		return true
	})
}

// assign draws, for every place of every cohort plan in turn, a demo person of the cohort's
// trusts who fits the place and has no other place. It depends only on the fixed seed, the
// generated people and the catalogue's rules.
func assign(plans []cohortPlan, people []person, programmes map[uuid.UUID]domain.Programme) (map[string][]int, error) {
	r := rand.New(rand.NewPCG(deliverySeed1, deliverySeed2))
	used := make([]bool, len(people))
	out := map[string][]int{}
	for _, p := range plans {
		prog := programmes[p.programme]
		var candidates []int
		for i, who := range people {
			if slices.Contains(p.org.trustsOf(), who.trust) {
				candidates = append(candidates, i)
			}
		}
		r.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		picked := make([]int, len(p.fates))
		for fi, f := range p.fates {
			j := slices.IndexFunc(candidates, func(i int) bool { return !used[i] && fits(f.need, prog, p, people[i]) })
			if j < 0 {
				return nil, fmt.Errorf("cohort %q: no demo participant left for place %d", p.name, fi)
			}
			used[candidates[j]] = true
			picked[fi] = candidates[j]
		}
		out[p.key] = picked
	}
	return out, nil
}

// fits reports whether who fits a place with need n in cohort c of programme prog.
func fits(n need, prog domain.Programme, c cohortPlan, who person) bool {
	dob := who.DateOfBirth
	p := domain.Participant{DateOfBirth: &dob, BenefitStatus: who.Benefit}
	cohort := domain.Cohort{StartsOn: c.starts, EndsOn: c.ends}
	eligible := domain.CheckEligibility(prog, cohort, p) == nil
	age := domain.AgeOn(dob, c.starts)
	switch n {
	case needNotClaiming:
		withoutBenefit := prog
		withoutBenefit.RequiresBenefit = false
		return !eligible && domain.CheckEligibility(withoutBenefit, cohort, p) == nil
	case needOverAge:
		return prog.MaxAge != nil && age > *prog.MaxAge && age <= *prog.MaxAge+5
	case needSchoolAge:
		return eligible && age <= 19
	}
	return eligible
}

// participant returns the stored participant who took place fate of cohort plan key, if the
// demo participant is still there (an erased one has lost its external_ref).
func (d *deliverer) participant(key string, fate int) (domain.Participant, bool) {
	who := d.people[d.picks[key][fate]]
	p, ok := d.byRef[who.trust][who.ExternalRef]
	return p, ok
}

// cohort ensures one cohort, its enrolments with their placements and outcomes, and its status.
func (d *deliverer) cohort(plan cohortPlan) error {
	c, err := d.ensureCohort(plan)
	if err != nil {
		return err
	}
	existing := map[uuid.UUID]domain.Enrolment{}
	err = each(func(req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
		return d.s.Enrolments.List(d.ctx, domain.EnrolmentFilter{CohortID: &c.ID}, req)
	}, func(e domain.Enrolment) bool {
		existing[e.ParticipantID] = e
		return true
	})
	if err != nil {
		return err
	}
	placements := map[placementKey]domain.Placement{}
	err = each(func(req domain.PageRequest) (domain.Page[domain.Placement], error) {
		return d.s.Placements.List(d.ctx, domain.PlacementFilter{CohortID: &c.ID, IncludeDeleted: true}, req)
	}, func(p domain.Placement) bool {
		placements[placementKey{p.EnrolmentID, p.Kind, p.HostDepartment, p.StartsOn.Format(time.DateOnly)}] = p
		return true
	})
	if err != nil {
		return err
	}

	enrolments := make([]*domain.Enrolment, len(plan.fates))
	for i, f := range plan.fates {
		who, ok := d.participant(plan.key, i)
		if !ok {
			continue
		}
		var e domain.Enrolment
		if found, ok := existing[who.ID]; ok {
			e = found
		} else {
			on := plan.referredOn(i)
			e, err = d.s.Enrolments.Create(d.ctx, c.ID, who.ID, domain.Referred, &on, nil)
			if err != nil {
				return fmt.Errorf("refer %s: %w", d.people[d.picks[plan.key][i]].ExternalRef, err)
			}
			d.res.Enrolments++
		}
		if err := d.advance(plan, i, f, who, &e, placements); err != nil {
			return fmt.Errorf("enrolment of %s: %w", d.people[d.picks[plan.key][i]].ExternalRef, err)
		}
		if err := d.outcome(plan, f, who, e); err != nil {
			return fmt.Errorf("outcome of %s: %w", d.people[d.picks[plan.key][i]].ExternalRef, err)
		}
		enrolments[i] = &e
	}
	d.enrolments[plan.key] = enrolments

	// Enrolling took places, which changed the cohort: read it again before moving its status.
	if c, err = d.s.Cohorts.Get(d.ctx, c.ID); err != nil {
		return err
	}
	statuses := []string{"planned", "running", "finished"}
	for k := slices.Index(statuses, c.Status) + 1; k > 0 && k <= slices.Index(statuses, plan.status); k++ {
		status := statuses[k]
		c, err = d.s.Cohorts.Update(d.ctx, c.ID, &c.Version, domain.CohortChange{Status: &status}, []string{"status"})
		if err != nil {
			return fmt.Errorf("cohort status %s: %w", status, err)
		}
		d.res.Changes++
	}
	return nil
}

// ensureCohort finds the cohort by organisation, programme and name, or plans it.
func (d *deliverer) ensureCohort(plan cohortPlan) (domain.Cohort, error) {
	org, prog := d.orgs[plan.org], d.programmes[plan.programme]
	var found *domain.Cohort
	err := each(func(req domain.PageRequest) (domain.Page[domain.Cohort], error) {
		return d.s.Cohorts.List(d.ctx, domain.CohortFilter{OrganisationID: &org, ProgrammeID: &plan.programme}, req)
	}, func(c domain.Cohort) bool {
		if c.Name == plan.name {
			found = &c
			return false
		}
		return true
	})
	if err != nil || found != nil {
		return valueOf(found), err
	}
	c, err := d.s.Cohorts.Create(d.ctx, domain.Cohort{ProgrammeID: plan.programme, OrganisationID: org, Name: plan.name,
		StartsOn: plan.starts, EndsOn: plan.ends, Capacity: plan.capacity, RoleAreas: plan.roleAreas(), Status: "planned",
		DeliveryPartnerID: prog.DeliveryPartnerID},
		[]string{"programme_id", "organisation_id", "name", "starts_on", "ends_on", "capacity", "role_areas", "status", "delivery_partner_id"})
	if err != nil {
		return c, err
	}
	d.res.Cohorts++
	return c, nil
}

// step is one move of an enrolment's plan: to a status, on a day.
type step struct {
	to string
	on time.Time
}

func (p cohortPlan) referredOn(i int) time.Time {
	lead := p.lead
	if lead == 0 {
		lead = 28
	}
	return p.starts.AddDate(0, 0, -lead+(i%5)*2)
}

// endOf is the day the enrolment of fate f completed or was withdrawn.
func (p cohortPlan) endOf(f fate) time.Time {
	if f.final == domain.Withdrawn || f.day != 0 {
		return p.starts.AddDate(0, 0, f.day)
	}
	return p.ends
}

// steps is the lifecycle of place i: referred, enrolled a week later, active from the start,
// then completed or withdrawn, cut at the status it had on the reference date.
func (p cohortPlan) steps(i int, f fate) []step {
	all := []step{{domain.Referred, p.referredOn(i)}, {domain.Enrolled, p.referredOn(i).AddDate(0, 0, 7)}, {domain.Active, p.starts},
		{domain.Completed, p.endOf(f)}}
	last := f.final
	if f.final == domain.Withdrawn {
		last = f.from
	}
	out := all[:slices.IndexFunc(all, func(s step) bool { return s.to == last })+1]
	if f.final == domain.Withdrawn {
		out = append(slices.Clip(out), step{domain.Withdrawn, p.endOf(f)})
	}
	return out
}

// advance moves e along the plan of place i from wherever it is, recording the placement while
// the enrolment is under way. An enrolment off the plan (say a user withdrew it) stays as it is.
func (d *deliverer) advance(plan cohortPlan, i int, f fate, who domain.Participant, e *domain.Enrolment, placements map[placementKey]domain.Placement) error {
	steps := plan.steps(i, f)
	pos := slices.IndexFunc(steps, func(s step) bool { return s.to == e.Status })
	if pos < 0 {
		return nil
	}
	for _, s := range steps[pos+1:] {
		if s.to == domain.Completed || s.to == domain.Withdrawn {
			if err := d.placement(plan, i, f, who, *e, placements); err != nil {
				return err
			}
		}
		var reason, override *string
		if s.to == domain.Withdrawn {
			reason = &f.reason
		}
		if s.to == domain.Enrolled && f.override != "" {
			override = &f.override
		}
		on := s.on
		moved, err := d.s.Enrolments.Transition(d.ctx, e.ID, &e.Version, s.to, &on, reason, override)
		if err != nil {
			return fmt.Errorf("move to %s: %w", s.to, err)
		}
		*e = moved
		d.res.Changes++
	}
	if e.Status == domain.Active {
		return d.placement(plan, i, f, who, *e, placements)
	}
	return nil
}

type placementKey struct {
	enrolment            uuid.UUID
	kind, host, startsOn string
}

// placement ensures the placement of place i, when the plan has one: from the cohort's style,
// for an enrolment that became active and was not withdrawn before the placement began. It is
// recorded as planned, then moved to where it stood on the reference date.
func (d *deliverer) placement(plan cohortPlan, i int, f fate, who domain.Participant, e domain.Enrolment, placements map[placementKey]domain.Placement) error {
	st := plan.placement
	if st == nil {
		return nil
	}
	a := st.areas[i%len(st.areas)]
	starts := plan.starts.AddDate(0, 0, st.offset)
	if st.stagger > 0 {
		slots := (plan.ends.Sub(starts).Hours()/24-float64(st.days-1))/float64(st.stagger) + 1
		starts = starts.AddDate(0, 0, st.stagger*(i%int(slots)))
	}
	planned := plan.ends
	if st.days > 0 {
		planned = starts.AddDate(0, 0, st.days-1)
	}
	status, ends, endReason := "planned", planned, (*string)(nil)
	switch {
	case f.final == domain.Withdrawn && !plan.endOf(f).After(starts):
		return nil // withdrew before the placement began
	case f.final == domain.Withdrawn:
		status, ends = "ended_early", plan.endOf(f)
		reason := st.endEarlyReason
		if reason == "" {
			reason = "The participant withdrew: " + f.reason
		}
		endReason = &reason
	case planned.Before(ReferenceDate):
		status = "completed"
	case !starts.After(ReferenceDate):
		status = "in_progress"
	}

	key := placementKey{e.ID, st.kind, a.host, starts.Format(time.DateOnly)}
	p, ok := placements[key]
	if !ok {
		if e.Status != domain.Enrolled && e.Status != domain.Active {
			return nil // the enrolment ended without it; a placement cannot be added now
		}
		site := sites[max(0, slices.Index(d.orgsOfTrusts(), who.OrganisationID))]
		supervisor := supervisors[(i+len(plan.key))%len(supervisors)]
		hours := st.hours[i%len(st.hours)]
		var err error
		p, err = d.s.Placements.Create(d.ctx, domain.Placement{EnrolmentID: e.ID, Kind: st.kind, HostDepartment: a.host, Site: &site,
			RoleArea: a.roleArea, SupervisorName: &supervisor, StartsOn: starts, EndsOn: planned, HoursPerWeek: &hours, Status: "planned"},
			[]string{"enrolment_id", "kind", "host_department", "site", "role_area", "supervisor_name", "starts_on", "ends_on", "hours_per_week", "status"})
		if err != nil {
			return fmt.Errorf("placement in %s: %w", a.host, err)
		}
		placements[key] = p
		d.res.Placements++
	}
	if p.DeletedAt != nil || p.Status == status || (p.Status != "planned" && p.Status != "in_progress") {
		return nil
	}
	change, fields := domain.PlacementChange{Status: &status}, []string{"status"}
	if status == "ended_early" {
		change.EndsOn, change.EndReason = &ends, domain.Change[string]{Set: true, Value: endReason}
		fields = append(fields, "ends_on", "end_reason")
	}
	p, err := d.s.Placements.Update(d.ctx, p.ID, &p.Version, change, fields)
	if err != nil {
		return fmt.Errorf("placement in %s to %s: %w", a.host, status, err)
	}
	placements[key] = p
	d.res.Changes++
	return nil
}

// orgsOfTrusts are the trusts' ids, in the order of trusts.
func (d *deliverer) orgsOfTrusts() []uuid.UUID {
	return []uuid.UUID{d.orgs[northgate], d.orgs[riverside]}
}

// outcome ensures the destination recorded once the enrolment reached its planned end, and
// its 3-month sustainment check when the plan has one.
func (d *deliverer) outcome(plan cohortPlan, f fate, who domain.Participant, e domain.Enrolment) error {
	op := f.outcome
	if op == nil || e.Status != f.final {
		return nil
	}
	key := outcomeKey{who.ID, e.ID, op.destination}
	if d.outcomes[key] {
		return nil
	}
	o := domain.Outcome{ParticipantID: who.ID, EnrolmentID: &e.ID, Destination: op.destination, ILRCode: op.ilr}
	fields := []string{"participant_id", "enrolment_id", "destination", "ilr_code"}
	if op.sector != "" {
		o.Sector = &op.sector
		fields = append(fields, "sector")
	}
	if op.employer != "" {
		o.Employer, o.Role = &op.employer, &op.role
		starts := plan.endOf(f).AddDate(0, 0, op.after)
		o.StartsOn = &starts
		fields = append(fields, "employer", "role", "starts_on")
	}
	o, err := d.s.Outcomes.Create(d.ctx, o, fields)
	if err != nil {
		return err
	}
	d.outcomes[key] = true
	d.res.Outcomes++
	if op.check3m == "" {
		return nil
	}
	// Recorded by a later contact, after the check fell due: a separate change, as in life.
	checked := o.StartsOn.AddDate(0, 3, 3)
	if checked.After(ReferenceDate) {
		return fmt.Errorf("the plan has a 3-month check on %s, after the reference date", checked.Format(time.DateOnly))
	}
	check := domain.SustainmentCheck{Result: op.check3m, CheckedOn: checked}
	_, err = d.s.Outcomes.Update(d.ctx, o.ID, &o.Version, domain.OutcomeChange{Sustained3m: domain.Change[domain.SustainmentCheck]{Set: true, Value: &check}},
		[]string{"sustained_3_months"})
	if err != nil {
		return fmt.Errorf("3-month check: %w", err)
	}
	d.res.Changes++
	return nil
}

// mentoring ensures the professional mentors, the peer mentor made from a Street Doctors
// participant, the matches and their check-ins.
func (d *deliverer) mentoring() error {
	org, professional := d.orgs[collaboration], "professional"
	byEmail := map[string]domain.Mentor{}
	err := each(func(req domain.PageRequest) (domain.Page[domain.Mentor], error) {
		return d.s.Mentors.List(d.ctx, domain.MentorFilter{OrganisationID: &org, Kind: &professional, IncludeDeleted: true}, req)
	}, func(m domain.Mentor) bool {
		if m.Email != nil {
			byEmail[strings.ToLower(*m.Email)] = m
		}
		return true
	})
	if err != nil {
		return err
	}
	mentors := make([]*domain.Mentor, len(professionalMentors))
	for i, mp := range professionalMentors {
		m, ok := byEmail[mp.email]
		if !ok {
			given, family, email, trained := mp.given, mp.family, mp.email, mp.trained
			m, err = d.s.Mentors.Create(d.ctx, domain.Mentor{OrganisationID: org, Kind: professional, GivenName: &given,
				FamilyName: &family, Email: &email, TrainedOn: &trained}, []string{"organisation_id", "kind", "given_name", "family_name", "email", "trained_on"})
			if err != nil {
				return fmt.Errorf("mentor %s: %w", mp.email, err)
			}
			d.res.Mentors++
		}
		mentors[i] = &m
	}

	peer, err := d.peerMentor()
	if err != nil {
		return err
	}
	for _, mp := range matchPlans {
		mentor := peer
		if mp.mentor >= 0 {
			mentor = mentors[mp.mentor]
		}
		mentee := d.enrolments[mp.cohort][mp.fate]
		if mentor == nil || mentor.DeletedAt != nil || !mentor.Active || mentee == nil {
			continue
		}
		if err := d.match(mp, *mentor, *mentee); err != nil {
			return fmt.Errorf("match of mentor %s: %w", mentor.ID, err)
		}
	}
	return nil
}

// peerMentor finds or makes the peer mentor: the Street Doctors participant who completed the
// programme and then trained as a peer mentor. Nil when that participant is not there.
func (d *deliverer) peerMentor() (*domain.Mentor, error) {
	e := d.enrolments[peerMentor.cohort][peerMentor.fate]
	if e == nil {
		return nil, nil
	}
	page, err := d.s.Mentors.List(d.ctx, domain.MentorFilter{ParticipantID: &e.ParticipantID, IncludeDeleted: true}, domain.PageRequest{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Items) > 0 {
		return &page.Items[0], nil
	}
	if e.Status != domain.Completed {
		return nil, nil
	}
	trained := peerMentor.trained
	m, err := d.s.Mentors.MakePeer(d.ctx, e.ParticipantID, &trained)
	if err != nil {
		return nil, fmt.Errorf("peer mentor: %w", err)
	}
	d.res.Mentors++
	return &m, nil
}

// match ensures one match (found by mentor, participant and start), its check-ins, and its end.
func (d *deliverer) match(mp matchPlan, mentor domain.Mentor, mentee domain.Enrolment) error {
	var found *domain.MentoringMatch
	err := each(func(req domain.PageRequest) (domain.Page[domain.MentoringMatch], error) {
		return d.s.Matches.List(d.ctx, domain.MatchFilter{MentorID: &mentor.ID, ParticipantID: &mentee.ParticipantID, IncludeDeleted: true}, req)
	}, func(m domain.MentoringMatch) bool {
		if m.StartsOn.Format(time.DateOnly) == mp.starts.Format(time.DateOnly) {
			found = &m
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	var m domain.MentoringMatch
	if found != nil {
		m = *found
	} else {
		m, err = d.s.Matches.Create(d.ctx, domain.MentoringMatch{MentorID: mentor.ID, ParticipantID: mentee.ParticipantID,
			EnrolmentID: &mentee.ID, StartsOn: mp.starts, PlannedEndOn: mp.plannedEnd},
			[]string{"mentor_id", "participant_id", "enrolment_id", "starts_on", "planned_end_on"})
		if err != nil {
			return err
		}
		d.res.Matches++
	}
	if m.DeletedAt != nil {
		return nil
	}

	held := map[string]bool{}
	err = each(func(req domain.PageRequest) (domain.Page[domain.CheckIn], error) {
		return d.s.Matches.ListCheckIns(d.ctx, m.ID, req)
	}, func(c domain.CheckIn) bool {
		held[c.HeldOn.Format(time.DateOnly)] = true
		return true
	})
	if err != nil {
		return err
	}
	last := ReferenceDate
	if mp.status != "active" {
		last = mp.ended
	}
	for on := mp.starts; !on.After(last); on = on.AddDate(0, 0, mp.every) {
		if held[on.Format(time.DateOnly)] {
			continue
		}
		if _, err := d.s.Matches.CreateCheckIn(d.ctx, m.ID, domain.CheckIn{HeldOn: on, Minutes: mp.minutes, Mode: mp.mode}); err != nil {
			return fmt.Errorf("check-in on %s: %w", on.Format(time.DateOnly), err)
		}
		d.res.CheckIns++
	}

	if mp.status == "active" || m.Status != "active" {
		return nil
	}
	ended := mp.ended
	change, fields := domain.MatchChange{Status: &mp.status, EndedOn: domain.Change[time.Time]{Set: true, Value: &ended}}, []string{"status", "ended_on"}
	if mp.reason != "" {
		reason := mp.reason
		change.EndReason = domain.Change[string]{Set: true, Value: &reason}
		fields = append(fields, "end_reason")
	}
	if _, err := d.s.Matches.Update(d.ctx, m.ID, &m.Version, change, fields); err != nil {
		return fmt.Errorf("end the match: %w", err)
	}
	d.res.Changes++
	return nil
}

// vacancies ensures the vacancies (found by organisation, employer and role), the interviews of
// Get Started participants for them with their results, and the vacancies' statuses.
func (d *deliverer) vacancies() error {
	type vacancyKey struct {
		org            uuid.UUID
		employer, role string
	}
	existing := map[vacancyKey]domain.Vacancy{}
	err := each(func(req domain.PageRequest) (domain.Page[domain.Vacancy], error) {
		return d.s.Vacancies.List(d.ctx, domain.VacancyFilter{IncludeDeleted: true}, req)
	}, func(v domain.Vacancy) bool {
		existing[vacancyKey{v.OrganisationID, v.EmployerName, v.Role}] = v
		return true
	})
	if err != nil {
		return err
	}
	for _, vp := range vacancyPlans {
		org := d.orgs[vp.org]
		v, ok := existing[vacancyKey{org, vp.employer, vp.role}]
		if !ok {
			v = domain.Vacancy{OrganisationID: org, EmployerName: vp.employer, Role: vp.role, ClosingOn: vp.closing}
			fields := []string{"organisation_id", "employer_name", "role", "closing_on"}
			if vp.ownTrust {
				v.EmployerOrganisationID = &org
				fields = append(fields, "employer_organisation_id")
			}
			if vp.band != "" {
				band := vp.band
				v.Band = &band
				fields = append(fields, "band")
			}
			v, err = d.s.Vacancies.Create(d.ctx, v, fields)
			if err != nil {
				return fmt.Errorf("vacancy %s at %s: %w", vp.role, vp.employer, err)
			}
			d.res.Vacancies++
		}
		if v.DeletedAt != nil {
			continue
		}
		for _, ip := range vp.interviews {
			if err := d.interview(v, ip); err != nil {
				return fmt.Errorf("interview for %s: %w", vp.role, err)
			}
		}
		if v.Status == "open" && vp.status != "open" {
			status := vp.status
			if _, err := d.s.Vacancies.Update(d.ctx, v.ID, &v.Version, domain.VacancyChange{Status: &status}, []string{"status"}); err != nil {
				return fmt.Errorf("vacancy %s to %s: %w", vp.role, status, err)
			}
			d.res.Changes++
		}
	}
	return nil
}

// interview ensures one interview (found by vacancy and participant) and its result.
func (d *deliverer) interview(v domain.Vacancy, ip interviewPlan) error {
	e := d.enrolments[ip.cohort][ip.fate]
	if e == nil {
		return nil
	}
	page, err := d.s.Interviews.List(d.ctx, domain.InterviewFilter{VacancyID: &v.ID, ParticipantID: &e.ParticipantID, IncludeDeleted: true},
		domain.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	var i domain.Interview
	if len(page.Items) > 0 {
		i = page.Items[0]
	} else {
		i, err = d.s.Interviews.Create(d.ctx, domain.Interview{VacancyID: v.ID, ParticipantID: e.ParticipantID, EnrolmentID: &e.ID,
			HeldOn: ip.held, Result: "pending"}, []string{"vacancy_id", "participant_id", "enrolment_id", "held_on", "result"})
		if err != nil {
			return err
		}
		d.res.Interviews++
	}
	if i.DeletedAt != nil || i.Result != "pending" || ip.result == "pending" {
		return nil
	}
	result := ip.result
	if _, err := d.s.Interviews.Update(d.ctx, i.ID, &i.Version, nil, &result, []string{"result"}); err != nil {
		return fmt.Errorf("result %s: %w", result, err)
	}
	d.res.Changes++
	return nil
}

func valueOf[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}
