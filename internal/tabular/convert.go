package tabular

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// ParticipantRef names a participant by id or, in a file written by hand, by external_ref.
type ParticipantRef struct {
	ID          uuid.UUID // uuid.Nil when the row names the participant by ExternalRef
	ExternalRef string
}

// EnrolmentRef names an enrolment by id, or by its cohort together with the row's
// participant. Both zero: the row names no enrolment.
type EnrolmentRef struct {
	ID, CohortID uuid.UUID
}

// ParticipantRecord is a row of participants. Erased rows carry no personal data and are
// left as they are by an import.
type ParticipantRecord struct {
	Participant domain.Participant
	Consent     domain.ConsentChange
	Erased      bool
}

// EnrolmentRecord is a row of enrolments.
type EnrolmentRecord struct {
	Enrolment   domain.Enrolment
	Participant ParticipantRef
}

// PlacementRecord is a row of placements.
type PlacementRecord struct {
	Placement   domain.Placement
	Enrolment   EnrolmentRef
	Participant ParticipantRef // with Enrolment.CohortID
}

// OutcomeRecord is a row of outcomes.
type OutcomeRecord struct {
	Outcome     domain.Outcome
	Participant ParticipantRef
	Enrolment   EnrolmentRef
}

// MatchRecord is a row of mentoring matches.
type MatchRecord struct {
	Match       domain.MentoringMatch
	Participant ParticipantRef
	Enrolment   EnrolmentRef
}

// fields reads the cells of a row the reader has checked, gathering what is missing.
type fields struct {
	k    *Kind
	row  Row
	errs []CellError
}

func (f *fields) cell(name string) string { return f.row.Get(f.k, name) }

func (f *fields) text(name string) *string {
	if s := f.cell(name); s != "" {
		return &s
	}
	return nil
}

func (f *fields) id(name string) uuid.UUID {
	id, _ := uuid.Parse(f.cell(name)) // checked by the reader; "" is uuid.Nil
	return id
}

func (f *fields) idPtr(name string) *uuid.UUID {
	if id := f.id(name); id != uuid.Nil {
		return &id
	}
	return nil
}

func (f *fields) date(name string) *time.Time {
	d, err := time.Parse(time.DateOnly, f.cell(name))
	if err != nil {
		return nil
	}
	return &d
}

func (f *fields) day(name string) time.Time {
	if d := f.date(name); d != nil {
		return *d
	}
	return time.Time{}
}

func (f *fields) flag(name string) *bool {
	if s := f.cell(name); s != "" {
		b := s == "true"
		return &b
	}
	return nil
}

func (f *fields) number(name string) *float64 {
	if n, err := strconv.ParseFloat(f.cell(name), 64); err == nil {
		return &n
	}
	return nil
}

// require checks that each required column, or one of each required group, has a value.
func (f *fields) require() {
	done := map[string]bool{}
	for _, c := range f.k.Columns {
		if !c.Required || c.Group != "" && done[c.Group] {
			continue
		}
		if c.Group == "" {
			if f.cell(c.Name) == "" {
				f.errs = append(f.errs, CellError{Column: c.Name, Message: "is required"})
			}
			continue
		}
		done[c.Group] = true
		var names []string
		given := false
		for _, d := range f.k.Columns {
			if d.Group == c.Group {
				names = append(names, d.Name)
				given = given || f.cell(d.Name) != ""
			}
		}
		if !given {
			f.errs = append(f.errs, CellError{Column: c.Name, Message: "is required, or " + strings.Join(names[1:], " or ") + " in its place"})
		}
	}
}

func (f *fields) participant() ParticipantRef {
	return ParticipantRef{ID: f.id("participant_id"), ExternalRef: f.cell("participant_external_ref")}
}

func (f *fields) enrolment() EnrolmentRef {
	return EnrolmentRef{ID: f.id("enrolment_id"), CohortID: f.id("cohort_id")}
}

func (f *fields) err() error { return rowError(f.row.Number, f.errs) }

// ParticipantFromRow reads a row of Participants.
func ParticipantFromRow(r Row) (ParticipantRecord, error) {
	f := &fields{k: Participants, row: r}
	rec := ParticipantRecord{Erased: f.cell("erased") == "true"}
	if rec.Erased {
		if f.cell("organisation_id") == "" {
			f.errs = append(f.errs, CellError{Column: "organisation_id", Message: "is required"})
		}
	} else {
		f.require()
	}
	rec.Participant = domain.Participant{
		ID: f.id("id"), OrganisationID: f.id("organisation_id"), ExternalRef: f.text("external_ref"),
		GivenName: f.text("given_name"), FamilyName: f.text("family_name"), DateOfBirth: f.date("date_of_birth"),
		Email: f.text("email"), Phone: f.text("phone"), Postcode: f.text("postcode"),
		BenefitStatus: f.cell("benefit_status"), ReferralSource: f.text("referral_source"),
	}
	rec.Consent = domain.ConsentChange{Processing: f.flag("consent_processing"), HRSharing: f.flag("consent_hr_sharing"), CaseStudy: f.flag("consent_case_study")}
	return rec, f.err()
}

// EnrolmentFromRow reads a row of Enrolments.
func EnrolmentFromRow(r Row) (EnrolmentRecord, error) {
	f := &fields{k: Enrolments, row: r}
	f.require()
	rec := EnrolmentRecord{Participant: f.participant(), Enrolment: domain.Enrolment{
		ID: f.id("id"), CohortID: f.id("cohort_id"), ParticipantID: f.id("participant_id"), Status: f.cell("status"),
		ReferredOn: f.date("referred_on"), EnrolledOn: f.date("enrolled_on"), StartedOn: f.date("started_on"),
		CompletedOn: f.date("completed_on"), WithdrawnOn: f.date("withdrawn_on"),
		WithdrawalReason: f.text("withdrawal_reason"), EligibilityOverrideReason: f.text("eligibility_override_reason"),
	}}
	return rec, f.err()
}

// PlacementFromRow reads a row of Placements.
func PlacementFromRow(r Row) (PlacementRecord, error) {
	f := &fields{k: Placements, row: r}
	f.require()
	rec := PlacementRecord{Enrolment: f.enrolment(), Participant: f.participant(), Placement: domain.Placement{
		ID: f.id("id"), EnrolmentID: f.id("enrolment_id"), CohortID: f.id("cohort_id"), ParticipantID: f.id("participant_id"),
		Kind: f.cell("kind"), HostDepartment: f.cell("host_department"), Site: f.text("site"), RoleArea: f.cell("role_area"),
		SupervisorName: f.text("supervisor_name"), StartsOn: f.day("starts_on"), EndsOn: f.day("ends_on"),
		HoursPerWeek: f.number("hours_per_week"), Status: f.cell("status"), EndReason: f.text("end_reason"),
	}}
	if rec.Enrolment.ID == uuid.Nil && rec.Participant == (ParticipantRef{}) {
		f.errs = append(f.errs, CellError{Column: "participant_id", Message: "is required with cohort_id to name the enrolment, or participant_external_ref in its place"})
	}
	return rec, f.err()
}

// OutcomeFromRow reads a row of Outcomes.
func OutcomeFromRow(r Row) (OutcomeRecord, error) {
	f := &fields{k: Outcomes, row: r}
	f.require()
	rec := OutcomeRecord{Participant: f.participant(), Enrolment: f.enrolment(), Outcome: domain.Outcome{
		ID: f.id("id"), ParticipantID: f.id("participant_id"), EnrolmentID: f.idPtr("enrolment_id"),
		Destination: f.cell("destination"), Sector: f.text("sector"), Employer: f.text("employer"), Role: f.text("role"),
		StartsOn: f.date("starts_on"), ILRCode: f.cell("ilr_code"),
		Sustained3m: f.check("sustained_3_months"), Sustained6m: f.check("sustained_6_months"),
	}}
	return rec, f.err()
}

// check reads a sustainment check's two columns, which come together or not at all.
func (f *fields) check(prefix string) *domain.SustainmentCheck {
	result, on := f.cell(prefix+"_result"), f.date(prefix+"_checked_on")
	switch {
	case result == "" && on == nil:
		return nil
	case result == "":
		f.errs = append(f.errs, CellError{Column: prefix + "_result", Message: "is required with " + prefix + "_checked_on"})
	case on == nil:
		f.errs = append(f.errs, CellError{Column: prefix + "_checked_on", Message: "is required with " + prefix + "_result"})
	default:
		return &domain.SustainmentCheck{Result: result, CheckedOn: *on}
	}
	return nil
}

// MatchFromRow reads a row of MentoringMatches.
func MatchFromRow(r Row) (MatchRecord, error) {
	f := &fields{k: MentoringMatches, row: r}
	f.require()
	rec := MatchRecord{Participant: f.participant(), Enrolment: f.enrolment(), Match: domain.MentoringMatch{
		ID: f.id("id"), MentorID: f.id("mentor_id"), ParticipantID: f.id("participant_id"), EnrolmentID: f.idPtr("enrolment_id"),
		StartsOn: f.day("starts_on"), PlannedEndOn: f.day("planned_end_on"), Status: f.cell("status"),
		EndedOn: f.date("ended_on"), EndReason: f.text("end_reason"),
	}}
	return rec, f.err()
}

// cells builds a row of k for an export.
type cells struct {
	k   *Kind
	out []string
}

func newCells(k *Kind) cells { return cells{k: k, out: make([]string, len(k.Columns))} }

func (c cells) set(name, v string) {
	i := c.k.Column(name)
	if i < 0 {
		panic("tabular: " + c.k.Name + " has no column " + name) // a mistake in this file
	}
	c.out[i] = v
}

func (c cells) text(name string, v *string) {
	if v != nil {
		c.set(name, *v)
	}
}

func (c cells) id(name string, v uuid.UUID) {
	if v != uuid.Nil {
		c.set(name, v.String())
	}
}

func (c cells) idPtr(name string, v *uuid.UUID) {
	if v != nil {
		c.id(name, *v)
	}
}

func (c cells) date(name string, v *time.Time) {
	if v != nil {
		c.set(name, v.Format(time.DateOnly))
	}
}

func (c cells) flag(name string, v bool) { c.set(name, strconv.FormatBool(v)) }

// ParticipantCells is a participant as a row of Participants. What the domain has wiped (an
// erased participant, or one withheld from the caller) is empty.
func ParticipantCells(p domain.Participant) []string {
	c := newCells(Participants)
	c.id("id", p.ID)
	c.id("organisation_id", p.OrganisationID)
	c.text("external_ref", p.ExternalRef)
	c.text("given_name", p.GivenName)
	c.text("family_name", p.FamilyName)
	c.date("date_of_birth", p.DateOfBirth)
	c.text("email", p.Email)
	c.text("phone", p.Phone)
	c.text("postcode", p.Postcode)
	c.set("benefit_status", p.BenefitStatus)
	c.text("referral_source", p.ReferralSource)
	c.flag("consent_processing", p.Consent.Processing.Granted)
	c.flag("consent_hr_sharing", p.Consent.HRSharing.Granted)
	c.flag("consent_case_study", p.Consent.CaseStudy.Granted)
	c.flag("erased", p.Erased())
	return c.out
}

// EnrolmentCells is an enrolment as a row of Enrolments.
func EnrolmentCells(e domain.Enrolment) []string {
	c := newCells(Enrolments)
	c.id("id", e.ID)
	c.id("cohort_id", e.CohortID)
	c.id("participant_id", e.ParticipantID)
	c.set("status", e.Status)
	c.date("referred_on", e.ReferredOn)
	c.date("enrolled_on", e.EnrolledOn)
	c.date("started_on", e.StartedOn)
	c.date("completed_on", e.CompletedOn)
	c.date("withdrawn_on", e.WithdrawnOn)
	c.text("withdrawal_reason", e.WithdrawalReason)
	c.text("eligibility_override_reason", e.EligibilityOverrideReason)
	return c.out
}

// PlacementCells is a placement as a row of Placements.
func PlacementCells(p domain.Placement) []string {
	c := newCells(Placements)
	c.id("id", p.ID)
	c.id("enrolment_id", p.EnrolmentID)
	c.id("cohort_id", p.CohortID)
	c.id("participant_id", p.ParticipantID)
	c.set("kind", p.Kind)
	c.set("host_department", p.HostDepartment)
	c.text("site", p.Site)
	c.set("role_area", p.RoleArea)
	c.text("supervisor_name", p.SupervisorName)
	c.date("starts_on", &p.StartsOn)
	c.date("ends_on", &p.EndsOn)
	if p.HoursPerWeek != nil {
		c.set("hours_per_week", strconv.FormatFloat(*p.HoursPerWeek, 'f', -1, 64))
	}
	c.set("status", p.Status)
	c.text("end_reason", p.EndReason)
	return c.out
}

// OutcomeCells is an outcome as a row of Outcomes.
func OutcomeCells(o domain.Outcome) []string {
	c := newCells(Outcomes)
	c.id("id", o.ID)
	c.id("participant_id", o.ParticipantID)
	c.idPtr("enrolment_id", o.EnrolmentID)
	c.set("destination", o.Destination)
	c.text("sector", o.Sector)
	c.text("employer", o.Employer)
	c.text("role", o.Role)
	c.date("starts_on", o.StartsOn)
	c.set("ilr_code", o.ILRCode)
	for prefix, check := range map[string]*domain.SustainmentCheck{"sustained_3_months": o.Sustained3m, "sustained_6_months": o.Sustained6m} {
		if check != nil {
			c.set(prefix+"_result", check.Result)
			c.date(prefix+"_checked_on", &check.CheckedOn)
		}
	}
	return c.out
}

// MatchCells is a mentoring match as a row of MentoringMatches.
func MatchCells(m domain.MentoringMatch) []string {
	c := newCells(MentoringMatches)
	c.id("id", m.ID)
	c.id("mentor_id", m.MentorID)
	c.id("participant_id", m.ParticipantID)
	c.idPtr("enrolment_id", m.EnrolmentID)
	c.date("starts_on", &m.StartsOn)
	c.date("planned_end_on", &m.PlannedEndOn)
	c.set("status", m.Status)
	c.date("ended_on", m.EndedOn)
	c.text("end_reason", m.EndReason)
	return c.out
}
