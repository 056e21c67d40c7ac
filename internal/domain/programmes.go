package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ProgrammeCategory groups programmes as the national counts do.
type ProgrammeCategory string

// Programme is a kind of activity in the catalogue, with its eligibility and duration rules.
type Programme struct {
	ID                uuid.UUID
	Code              string
	Name              string
	Category          ProgrammeCategory
	Description       string
	MinAge            int
	MaxAge            *int
	RequiresBenefit   bool
	MinDurationDays   *int
	MaxDurationDays   *int
	DeliveryPartnerID *uuid.UUID
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64
}

// ProgrammeFilter narrows the catalogue.
type ProgrammeFilter struct {
	Category *ProgrammeCategory
}

// ProgrammeChange is a merge patch of a programme.
type ProgrammeChange struct {
	Name              *string
	Description       *string
	MinAge            *int
	MaxAge            Change[int]
	RequiresBenefit   *bool
	MinDurationDays   Change[int]
	MaxDurationDays   Change[int]
	DeliveryPartnerID Change[uuid.UUID]
}

// Apply changes p in place.
func (c ProgrammeChange) Apply(p *Programme) {
	if c.Name != nil {
		p.Name = *c.Name
	}
	if c.Description != nil {
		p.Description = *c.Description
	}
	if c.MinAge != nil {
		p.MinAge = *c.MinAge
	}
	if c.RequiresBenefit != nil {
		p.RequiresBenefit = *c.RequiresBenefit
	}
	c.MaxAge.Apply(&p.MaxAge)
	c.MinDurationDays.Apply(&p.MinDurationDays)
	c.MaxDurationDays.Apply(&p.MaxDurationDays)
	c.DeliveryPartnerID.Apply(&p.DeliveryPartnerID)
}

// Validate checks that the bounds make sense together.
func (p *Programme) Validate() error {
	var v Validator
	v.Check(p.MaxAge == nil || *p.MaxAge >= p.MinAge, "max_age", "must not be below min_age")
	v.Check(p.MinDurationDays == nil || p.MaxDurationDays == nil || *p.MaxDurationDays >= *p.MinDurationDays,
		"max_duration_days", "must not be below min_duration_days")
	return v.Err()
}

// ProgrammeRepository stores the catalogue.
type ProgrammeRepository interface {
	// Create inserts p and fills its id and stamps. Errors: conflict.
	Create(ctx context.Context, p *Programme) error
	// Get returns one programme. Errors: not_found.
	Get(ctx context.Context, id uuid.UUID) (Programme, error)
	List(ctx context.Context, f ProgrammeFilter, req PageRequest) (Page[Programme], error)
	// Update: as OrganisationRepository.Update.
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*Programme) error) (Programme, error)
}
