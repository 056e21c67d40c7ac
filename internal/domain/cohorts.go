package domain

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Cohort is one run of a programme at an organisation.
type Cohort struct {
	ID                uuid.UUID
	ProgrammeID       uuid.UUID
	OrganisationID    uuid.UUID
	Name              string
	StartsOn, EndsOn  time.Time
	Capacity          int
	PlacesTaken       int
	RoleAreas         []string
	Status            string
	DeliveryPartnerID *uuid.UUID
	FundingAwardRef   *string
	FundingAwardID    *uuid.UUID // the funding award it is delivered under
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64
}

// CohortFilter narrows a list of cohorts.
type CohortFilter struct {
	IDs                         []uuid.UUID // only these cohorts, when not empty
	ProgrammeID, OrganisationID *uuid.UUID
	Status                      *string
	StartsFrom, StartsTo        *time.Time
	FundingAwardID              *uuid.UUID
}

// CohortChange is a merge patch of a cohort.
type CohortChange struct {
	Name              *string
	StartsOn, EndsOn  *time.Time
	Capacity          *int
	RoleAreas         *[]string
	Status            *string
	DeliveryPartnerID Change[uuid.UUID]
	FundingAwardRef   Change[string]
	FundingAwardID    Change[uuid.UUID]
}

// Apply changes c in place.
func (ch CohortChange) Apply(c *Cohort) {
	if ch.Name != nil {
		c.Name = *ch.Name
	}
	if ch.StartsOn != nil {
		c.StartsOn = *ch.StartsOn
	}
	if ch.EndsOn != nil {
		c.EndsOn = *ch.EndsOn
	}
	if ch.Capacity != nil {
		c.Capacity = *ch.Capacity
	}
	if ch.RoleAreas != nil {
		c.RoleAreas = *ch.RoleAreas
	}
	if ch.Status != nil {
		c.Status = *ch.Status
	}
	ch.DeliveryPartnerID.Apply(&c.DeliveryPartnerID)
	ch.FundingAwardRef.Apply(&c.FundingAwardRef)
	ch.FundingAwardID.Apply(&c.FundingAwardID)
}

// DurationDays counts the cohort's days, first and last included: a Get Started course
// running Monday to Tuesday lasts 2 days.
func (c Cohort) DurationDays() int {
	utcDate := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	return int(utcDate(c.EndsOn).Sub(utcDate(c.StartsOn)).Hours()/24) + 1 // calendar days: no clock changes in UTC
}

// Validate checks the cohort against its programme's duration bounds.
func (c Cohort) Validate(p Programme) error {
	var v Validator
	v.Check(!c.EndsOn.Before(c.StartsOn), "ends_on", "must not be before starts_on")
	d := c.DurationDays()
	if p.MinDurationDays != nil && d < *p.MinDurationDays || p.MaxDurationDays != nil && d > *p.MaxDurationDays {
		v.Check(false, "ends_on", fmt.Sprintf("gives %d days; %s runs %s", d, p.Name, durationBounds(p)))
	}
	v.Check(c.Capacity >= c.PlacesTaken, "capacity", fmt.Sprintf("must be at least the %d places already taken", c.PlacesTaken))
	return v.Err()
}

func durationBounds(p Programme) string {
	switch {
	case p.MinDurationDays != nil && p.MaxDurationDays != nil:
		return fmt.Sprintf("%d to %d days", *p.MinDurationDays, *p.MaxDurationDays)
	case p.MinDurationDays != nil:
		return fmt.Sprintf("at least %d days", *p.MinDurationDays)
	case p.MaxDurationDays != nil:
		return fmt.Sprintf("at most %d days", *p.MaxDurationDays)
	}
	return "any number of days"
}

// CohortRepository stores cohorts within the caller's reach.
type CohortRepository interface {
	Store[Cohort, CohortFilter]
	// TakePlaces adds delta to the places taken, under the cohort's row lock.
	// Errors: conflict (the cohort is full).
	TakePlaces(ctx context.Context, id uuid.UUID, delta int) error
}
