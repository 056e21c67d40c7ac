package domain

import (
	"time"

	"github.com/google/uuid"
)

// Placement is a work placement, work experience or work-related learning during an enrolment.
type Placement struct {
	ID             uuid.UUID
	EnrolmentID    uuid.UUID
	ParticipantID  uuid.UUID
	CohortID       uuid.UUID
	OrganisationID uuid.UUID
	Kind           string
	HostDepartment string
	Site           *string
	RoleArea       string
	SupervisorName *string
	StartsOn       time.Time
	EndsOn         time.Time
	HoursPerWeek   *float64
	Status         string
	EndReason      *string
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Validate checks the placement against its cohort's window.
func (p Placement) Validate(c Cohort) error {
	var v Validator
	v.Check(!p.EndsOn.Before(p.StartsOn), "ends_on", "must not be before starts_on")
	v.Check(!p.StartsOn.Before(c.StartsOn), "starts_on", "must be inside the cohort, which starts on "+c.StartsOn.Format(time.DateOnly))
	v.Check(!p.EndsOn.After(c.EndsOn), "ends_on", "must be inside the cohort, which ends on "+c.EndsOn.Format(time.DateOnly))
	v.Check(p.Status != "ended_early" || p.EndReason != nil && *p.EndReason != "", "end_reason", "is required when a placement ended early")
	return v.Err()
}

// PlacementFilter narrows a list of placements.
type PlacementFilter struct {
	EnrolmentID, ParticipantID, CohortID *uuid.UUID
	Kind, RoleArea, Status               *string
	IncludeDeleted                       bool
}

// PlacementChange is a merge patch of a placement.
type PlacementChange struct {
	HostDepartment   *string
	Site             Change[string]
	RoleArea         *string
	SupervisorName   Change[string]
	StartsOn, EndsOn *time.Time
	HoursPerWeek     Change[float64]
	Status           *string
	EndReason        Change[string]
}

// Apply changes p in place.
func (c PlacementChange) Apply(p *Placement) {
	for dst, v := range map[*string]*string{&p.HostDepartment: c.HostDepartment, &p.RoleArea: c.RoleArea, &p.Status: c.Status} {
		if v != nil {
			*dst = *v
		}
	}
	if c.StartsOn != nil {
		p.StartsOn = *c.StartsOn
	}
	if c.EndsOn != nil {
		p.EndsOn = *c.EndsOn
	}
	c.Site.Apply(&p.Site)
	c.SupervisorName.Apply(&p.SupervisorName)
	c.HoursPerWeek.Apply(&p.HoursPerWeek)
	c.EndReason.Apply(&p.EndReason)
}

// PlacementRepository stores placements within the caller's reach.
type PlacementRepository = Store[Placement, PlacementFilter]
