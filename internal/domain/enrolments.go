package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Enrolment statuses.
const (
	Referred  = "referred"
	Enrolled  = "enrolled"
	Active    = "active"
	Completed = "completed"
	Withdrawn = "withdrawn"
)

// nextStatuses is the enrolment lifecycle: referred → enrolled → active → completed, or
// withdrawn from any open state.
var nextStatuses = map[string][]string{
	Referred: {Enrolled, Withdrawn},
	Enrolled: {Active, Withdrawn},
	Active:   {Completed, Withdrawn},
}

// takesPlace reports whether an enrolment in status holds one of the cohort's places.
func takesPlace(status string) bool {
	return status == Enrolled || status == Active || status == Completed
}

// EnrolmentEvent is one move of an enrolment, stamped with its date and actor.
type EnrolmentEvent struct {
	Status string    `json:"status"`
	On     time.Time `json:"on"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
}

// Enrolment is a participant in a cohort.
type Enrolment struct {
	ID                        uuid.UUID
	CohortID                  uuid.UUID
	ParticipantID             uuid.UUID
	OrganisationID            uuid.UUID
	Status                    string
	ReferredOn                *time.Time
	EnrolledOn                *time.Time
	StartedOn                 *time.Time
	CompletedOn               *time.Time
	WithdrawnOn               *time.Time
	WithdrawalReason          *string
	EligibilityOverrideReason *string
	History                   []EnrolmentEvent
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
	Version                   int64
}

// EnrolmentFilter narrows a list of enrolments.
type EnrolmentFilter struct {
	CohortID, ParticipantID *uuid.UUID
	Status                  *string
}

// Move takes the enrolment to status on day, by actor, and says how the cohort's places
// change (+1, -1 or 0). Errors: conflict naming the allowed moves, invalid (no reason to withdraw).
func (e *Enrolment) Move(to string, day time.Time, actor string, reason *string, now time.Time) (places int, err error) {
	if err := e.CanMove(to); err != nil {
		return 0, err
	}
	if to == Withdrawn && (reason == nil || strings.TrimSpace(*reason) == "") {
		return 0, Invalid("reason", "is required to withdraw")
	}
	switch to {
	case Enrolled:
		e.EnrolledOn = &day
	case Active:
		e.StartedOn = &day
	case Completed:
		e.CompletedOn = &day
	case Withdrawn:
		e.WithdrawnOn, e.WithdrawalReason = &day, reason
	}
	if takesPlace(to) && !takesPlace(e.Status) {
		places = 1
	} else if !takesPlace(to) && takesPlace(e.Status) {
		places = -1
	}
	e.Status = to
	e.History = append(e.History, EnrolmentEvent{Status: to, On: day, Actor: actor, At: now})
	return places, nil
}

// CanMove checks that the lifecycle allows a move to status to. Errors: conflict naming the
// allowed moves.
func (e *Enrolment) CanMove(to string) error {
	allowed := nextStatuses[e.Status]
	switch {
	case slices.Contains(allowed, to):
		return nil
	case len(allowed) == 0:
		return Errorf(CodeConflict, "the enrolment is %s and cannot move any more", e.Status)
	}
	return Errorf(CodeConflict, "an enrolment that is %s can move to %v, not %s", e.Status, allowed, to)
}

// workingAgeBenefits are the benefit statuses that meet a "working-age benefit" requirement.
var workingAgeBenefits = []string{"universal_credit", "jobseekers_allowance", "employment_and_support_allowance",
	"income_support", "other_working_age_benefit"}

// CheckEligibility applies the programme's rules to a participant joining cohort c: age at the
// cohort's start within the programme's bounds, and a working-age benefit where required.
// Errors: invalid, naming the rule broken.
func CheckEligibility(p Programme, c Cohort, who Participant) error {
	if who.Erased() {
		return Invalid("participant_id", "was erased and cannot be enrolled")
	}
	if who.DateOfBirth == nil {
		return Invalid("participant_id", "eligibility: the participant's date of birth is not known")
	}
	age := AgeOn(*who.DateOfBirth, c.StartsOn)
	if age < p.MinAge || p.MaxAge != nil && age > *p.MaxAge {
		bounds := fmt.Sprintf("%d or over", p.MinAge)
		if p.MaxAge != nil {
			bounds = fmt.Sprintf("%d to %d", p.MinAge, *p.MaxAge)
		}
		return Invalid("participant_id", fmt.Sprintf("eligibility: %s is for people aged %s at the cohort's start; the participant will be %d",
			p.Name, bounds, age))
	}
	if p.RequiresBenefit && !slices.Contains(workingAgeBenefits, who.BenefitStatus) {
		return Invalid("participant_id", fmt.Sprintf("eligibility: %s requires a working-age benefit; the participant's benefit status is %s",
			p.Name, who.BenefitStatus))
	}
	return nil
}

// EnrolmentRepository stores enrolments within the caller's reach.
type EnrolmentRepository = Store[Enrolment, EnrolmentFilter]
