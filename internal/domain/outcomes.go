package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Destinations, as DESIGN.md names them.
const (
	DestEmployment       = "employment"
	DestApprenticeship   = "apprenticeship"
	DestVolunteering     = "volunteering"
	DestFurtherEducation = "further_education"
	DestTraining         = "training"
	DestNone             = "none"
	DestUnknown          = "unknown"
)

// ilrCodes maps each destination to the ESFA ILR destination and progression codes that
// describe it: paid work and self-employment (EMP), an apprenticeship (EDU2), education and
// training (EDU), voluntary work (VOL), and the not-in-paid-employment, gap year, other and
// not-known codes.
var ilrCodes = map[string][]string{
	DestEmployment:       {"EMP1", "EMP2", "EMP4", "EMP5"},
	DestApprenticeship:   {"EDU2"},
	DestFurtherEducation: {"EDU1", "EDU3", "EDU4", "EDU5", "EDU6"},
	DestTraining:         {"EDU1", "EDU3", "EDU4", "EDU5", "EDU6"},
	DestVolunteering:     {"VOL1"},
	DestNone:             {"NPE1", "NPE2", "NPE3", "GAP1", "OTH1", "OTH2", "OTH3", "SDE1"},
	DestUnknown:          {"NTK1"},
}

// Positive reports whether a destination counts as a positive one: employment,
// apprenticeship, volunteering, further education or training.
func Positive(destination string) bool {
	return destination != DestNone && destination != DestUnknown
}

// SustainmentCheck is a check that the participant is still in post, with the date checked.
type SustainmentCheck struct {
	Result    string // yes, no, not_known
	CheckedOn time.Time
}

// Outcome is where a participant went after (or during) a programme.
type Outcome struct {
	ID             uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	OrganisationID uuid.UUID
	Destination    string
	Sector         *string
	Employer       *string
	Role           *string
	StartsOn       *time.Time
	ILRCode        string
	Sustained3m    *SustainmentCheck
	Sustained6m    *SustainmentCheck
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Positive reports whether the outcome is a positive destination.
func (o Outcome) Positive() bool { return Positive(o.Destination) }

// Validate checks the ILR code against the destination and the sustainment checks' dates.
func (o Outcome) Validate() error {
	var v Validator
	codes := ilrCodes[o.Destination]
	v.Check(slices.Contains(codes, o.ILRCode), "ilr_code", fmt.Sprintf("%s is not an ILR code of %s; use one of %v", o.ILRCode, o.Destination, codes))
	checks := []struct {
		field string
		check *SustainmentCheck
	}{{"sustained_3_months", o.Sustained3m}, {"sustained_6_months", o.Sustained6m}} // in this order, always
	for _, c := range checks {
		if c.check == nil {
			continue
		}
		v.Check(o.StartsOn != nil, c.field, "needs the outcome's starts_on")
		v.Check(o.StartsOn == nil || !c.check.CheckedOn.Before(*o.StartsOn), c.field+".checked_on", "must not be before starts_on")
	}
	return v.Err()
}

// SustainmentDue reports whether a 3- or 6-month check falls due before day and is not recorded.
func (o Outcome) SustainmentDue(day time.Time) bool {
	if o.StartsOn == nil || (o.Destination != DestEmployment && o.Destination != DestApprenticeship) {
		return false
	}
	return o.Sustained3m == nil && AddMonths(*o.StartsOn, 3).Before(day) ||
		o.Sustained6m == nil && AddMonths(*o.StartsOn, 6).Before(day)
}

// OutcomeFilter narrows a list of outcomes.
type OutcomeFilter struct {
	ParticipantID, EnrolmentID *uuid.UUID
	Destination                *string
	Positive                   *bool
	SustainmentDueBefore       *time.Time
	IncludeDeleted             bool
}

// OutcomeChange is a merge patch of an outcome.
type OutcomeChange struct {
	Destination *string
	Sector      Change[string]
	Employer    Change[string]
	Role        Change[string]
	StartsOn    Change[time.Time]
	ILRCode     *string
	Sustained3m Change[SustainmentCheck]
	Sustained6m Change[SustainmentCheck]
}

// Apply changes o in place.
func (c OutcomeChange) Apply(o *Outcome) {
	if c.Destination != nil {
		o.Destination = *c.Destination
	}
	if c.ILRCode != nil {
		o.ILRCode = *c.ILRCode
	}
	c.Sector.Apply(&o.Sector)
	c.Employer.Apply(&o.Employer)
	c.Role.Apply(&o.Role)
	c.StartsOn.Apply(&o.StartsOn)
	c.Sustained3m.Apply(&o.Sustained3m)
	c.Sustained6m.Apply(&o.Sustained6m)
}

// OutcomeRepository stores outcomes within the caller's reach.
type OutcomeRepository = Store[Outcome, OutcomeFilter]
