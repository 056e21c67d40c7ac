package domain

import (
	"time"

	"github.com/google/uuid"
)

// Vacancy is a live job opportunity, such as those Get Started pairs with interviews.
type Vacancy struct {
	ID                     uuid.UUID
	OrganisationID         uuid.UUID
	EmployerName           string
	EmployerOrganisationID *uuid.UUID
	Role                   string
	Band                   *string
	ClosingOn              time.Time
	Status                 string // open, closed, filled
	DeletedAt              *time.Time
	CreatedAt              time.Time
	UpdatedAt              time.Time
	Version                int64
}

// VacancyFilter narrows a list of vacancies.
type VacancyFilter struct {
	IDs            []uuid.UUID // only these vacancies, when not empty
	Status         *string
	ClosingAfter   *time.Time
	IncludeDeleted bool
}

// VacancyChange is a merge patch of a vacancy.
type VacancyChange struct {
	EmployerName, Role *string
	Band               Change[string]
	ClosingOn          *time.Time
	Status             *string
}

// Apply changes v in place.
func (c VacancyChange) Apply(v *Vacancy) {
	if c.EmployerName != nil {
		v.EmployerName = *c.EmployerName
	}
	if c.Role != nil {
		v.Role = *c.Role
	}
	if c.ClosingOn != nil {
		v.ClosingOn = *c.ClosingOn
	}
	if c.Status != nil {
		v.Status = *c.Status
	}
	c.Band.Apply(&v.Band)
}

// VacancyRepository stores vacancies within the caller's reach.
type VacancyRepository = Store[Vacancy, VacancyFilter]
