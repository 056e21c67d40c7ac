package tabular

import (
	"strconv"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The five kinds' columns. Each is the single-record API's create body, flattened (consent
// and sustainment checks become one column a field), plus:
//   - id: the record's id. An export fills it; an import row that has one names that record.
//   - the rest of the record's state an export shows, so that an export read back changes
//     nothing (an enrolment's dates by status, a match's end);
//   - for each reference, the id column and a natural key that may stand in for it in a file
//     written by hand. An export fills the id columns only.
// A participant is named by participant_id or by participant_external_ref (the participant's
// external_ref, unique within an organisation); an enrolment by enrolment_id or by cohort_id
// together with the row's participant (a participant is enrolled in a cohort once).

func ref(name string, t Type, group, doc string) Column {
	return Column{Name: name, Type: t, Required: true, Group: group, Doc: doc}
}

var idColumn = Column{Name: "id", Type: UUID, Doc: "The record's id: filled by an export; an import row with one names that record."}

var participantRefs = []Column{
	ref("participant_id", UUID, "participant", "The participant's id."),
	{Name: "participant_external_ref", Type: Text, Required: true, Group: "participant", Schema: "ExternalRef",
		Doc: "The participant's external_ref, in place of participant_id."},
}

// Participants are keyed for upsert by external_ref within the row's organisation (id when
// the row has one).
var Participants = newKind("participants", "id when given; otherwise (organisation_id, external_ref)",
	idColumn,
	Column{Name: "organisation_id", Type: UUID, Required: true, Doc: "The organisation the participant is recorded for."},
	Column{Name: "external_ref", Type: Text, Schema: "ParticipantCreate.external_ref", Doc: "The organisation's own reference for the person, unique within it: the key of an upsert."},
	Column{Name: "given_name", Type: Text, Required: true, Schema: "ParticipantCreate.given_name"},
	Column{Name: "family_name", Type: Text, Required: true, Schema: "ParticipantCreate.family_name"},
	Column{Name: "date_of_birth", Type: Date, Required: true},
	Column{Name: "email", Type: Text, Schema: "ParticipantCreate.email"},
	Column{Name: "phone", Type: Text, Schema: "ParticipantCreate.phone"},
	Column{Name: "postcode", Type: Text, Schema: "ParticipantCreate.postcode"},
	Column{Name: "benefit_status", Type: Enum, Schema: "BenefitStatus"},
	Column{Name: "referral_source", Type: Enum, Schema: "ReferralSource"},
	Column{Name: "consent_processing", Type: Bool, Doc: "Consent to processing for running the programme."},
	Column{Name: "consent_hr_sharing", Type: Bool, Doc: "Consent to sharing with the trust's HR systems."},
	Column{Name: "consent_case_study", Type: Bool, Doc: "Consent to publishing a case study."},
	Column{Name: "erased", Type: Bool, Doc: "true for an erased participant, whose personal cells are empty; an import leaves such a participant as it is."},
)

// Enrolments are keyed by (cohort_id, participant): a participant is enrolled in a cohort once.
var Enrolments = newKind("enrolments", "id when given; otherwise (cohort_id, participant)",
	append(append([]Column{idColumn,
		{Name: "cohort_id", Type: UUID, Required: true}},
		participantRefs...),
		Column{Name: "status", Type: Enum, Schema: "EnrolmentStatus", Doc: "referred when empty."},
		Column{Name: "referred_on", Type: Date},
		Column{Name: "enrolled_on", Type: Date},
		Column{Name: "started_on", Type: Date},
		Column{Name: "completed_on", Type: Date},
		Column{Name: "withdrawn_on", Type: Date},
		Column{Name: "withdrawal_reason", Type: Text, Schema: "EnrolmentTransition.reason"},
		Column{Name: "eligibility_override_reason", Type: Text, Schema: "EnrolmentCreate.eligibility_override_reason"},
	)...)

// Placements have no natural key of the domain's; a row without an id names the placement of
// the same enrolment, kind and start date, and is refused when there are two.
var Placements = newKind("placements", "id when given; otherwise (enrolment, kind, starts_on)",
	append([]Column{idColumn,
		ref("enrolment_id", UUID, "enrolment", "The enrolment the placement is part of."),
		ref("cohort_id", UUID, "enrolment", "With the participant, names the enrolment in place of enrolment_id."),
		{Name: "participant_id", Type: UUID, Doc: "The participant: with cohort_id, names the enrolment."},
		{Name: "participant_external_ref", Type: Text, Schema: "ExternalRef", Doc: "The participant's external_ref, in place of participant_id."}},
		Column{Name: "kind", Type: Enum, Required: true, Schema: "PlacementKind"},
		Column{Name: "host_department", Type: Text, Required: true, Schema: "PlacementCreate.host_department"},
		Column{Name: "site", Type: Text, Schema: "PlacementCreate.site"},
		Column{Name: "role_area", Type: Enum, Required: true, Schema: "RoleArea"},
		Column{Name: "supervisor_name", Type: Text, Schema: "PlacementCreate.supervisor_name"},
		Column{Name: "starts_on", Type: Date, Required: true},
		Column{Name: "ends_on", Type: Date, Required: true},
		Column{Name: "hours_per_week", Type: Number, Schema: "PlacementCreate.hours_per_week"},
		Column{Name: "status", Type: Enum, Schema: "PlacementStatus", Doc: "planned when empty."},
		Column{Name: "end_reason", Type: Text, Schema: "PlacementCreate.end_reason", Doc: "Required when status is ended_early."},
	)...)

// Outcomes are keyed by (participant, destination, starts_on).
var Outcomes = newKind("outcomes", "id when given; otherwise (participant, destination, starts_on)",
	append(append([]Column{idColumn}, participantRefs...),
		Column{Name: "enrolment_id", Type: UUID, Doc: "The enrolment this destination follows."},
		Column{Name: "cohort_id", Type: UUID, Doc: "With the participant, names the enrolment in place of enrolment_id."},
		Column{Name: "destination", Type: Enum, Required: true, Schema: "Destination"},
		Column{Name: "sector", Type: Enum, Schema: "Sector"},
		Column{Name: "employer", Type: Text, Schema: "OutcomeCreate.employer"},
		Column{Name: "role", Type: Text, Schema: "OutcomeCreate.role"},
		Column{Name: "starts_on", Type: Date},
		Column{Name: "ilr_code", Type: Text, Required: true, Schema: "OutcomeCreate.ilr_code"},
		Column{Name: "sustained_3_months_result", Type: Enum, Schema: "SustainmentResult"},
		Column{Name: "sustained_3_months_checked_on", Type: Date},
		Column{Name: "sustained_6_months_result", Type: Enum, Schema: "SustainmentResult"},
		Column{Name: "sustained_6_months_checked_on", Type: Date},
	)...)

// MentoringMatches are keyed by (mentor_id, participant, starts_on).
var MentoringMatches = newKind("mentoring-matches", "id when given; otherwise (mentor_id, participant, starts_on)",
	append(append([]Column{idColumn,
		{Name: "mentor_id", Type: UUID, Required: true}},
		participantRefs...),
		Column{Name: "enrolment_id", Type: UUID},
		Column{Name: "cohort_id", Type: UUID, Doc: "With the participant, names the enrolment in place of enrolment_id."},
		Column{Name: "starts_on", Type: Date, Required: true},
		Column{Name: "planned_end_on", Type: Date, Required: true, Doc: "At most six months after starts_on for a professional mentor."},
		Column{Name: "status", Type: Enum, Schema: "MatchStatus", Doc: "active when empty."},
		Column{Name: "ended_on", Type: Date},
		Column{Name: "end_reason", Type: Text, Schema: "MentoringMatchPatch.end_reason"},
	)...)

// FundingAwards is an export only: awards are written by the national team one at a time,
// never imported, so the kind is not among Kinds. Each funded year is three columns.
var FundingAwards = newKind("funding-awards", "",
	idColumn,
	Column{Name: "organisation_id", Type: UUID, Doc: "The recipient: a trust or a collaboration."},
	Column{Name: "programme_id", Type: UUID},
	Column{Name: "tender_round", Type: Text, Doc: "The financial year of the tender, such as 2024/25."},
	Column{Name: "year_1_financial_year", Type: Text},
	Column{Name: "year_1_amount_pence", Type: Int},
	Column{Name: "year_1_min_participants", Type: Int},
	Column{Name: "year_2_financial_year", Type: Text},
	Column{Name: "year_2_amount_pence", Type: Int},
	Column{Name: "year_2_min_participants", Type: Int},
	Column{Name: "year_3_financial_year", Type: Text},
	Column{Name: "year_3_amount_pence", Type: Int},
	Column{Name: "year_3_min_participants", Type: Int},
	Column{Name: "total_pence", Type: Int},
	Column{Name: "deleted", Type: Bool, Doc: "true for a tombstone, exported with updated_since or include_deleted."},
)

// FundingAwardCells is an award as a row of FundingAwards.
func FundingAwardCells(a domain.FundingAward) []string {
	c := newCells(FundingAwards)
	c.id("id", a.ID)
	c.id("organisation_id", a.OrganisationID)
	c.id("programme_id", a.ProgrammeID)
	c.set("tender_round", a.TenderRound)
	for i, y := range a.Years {
		n := strconv.Itoa(i + 1)
		if fy, ok := a.FundedYear(i + 1); ok {
			c.set("year_"+n+"_financial_year", fy.Name)
		}
		c.set("year_"+n+"_amount_pence", strconv.FormatInt(y.AmountPence, 10))
		c.set("year_"+n+"_min_participants", strconv.Itoa(y.MinParticipants))
	}
	c.set("total_pence", strconv.FormatInt(a.TotalPence(), 10))
	c.flag("deleted", a.DeletedAt != nil)
	return c.out
}
