package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Vacancies records live job opportunities.
type Vacancies struct {
	VacanciesDeps
}

// VacanciesDeps are what Vacancies is built on.
type VacanciesDeps struct {
	Tx            Transactor
	Vacancies     domain.VacancyRepository
	Organisations domain.OrganisationRepository
	Audit         Auditor
	Now           Clock
}

// NewVacancies wires the vacancy use cases.
func NewVacancies(d VacanciesDeps) *Vacancies {
	return &Vacancies{d}
}

var vacancyRecord = tombstoned[domain.Vacancy]{what: "vacancy",
	deletedAt: func(v *domain.Vacancy) **time.Time { return &v.DeletedAt }, org: func(v domain.Vacancy) uuid.UUID { return v.OrganisationID }}

// Create records a job opportunity for an organisation within reach. Errors: forbidden, invalid.
func (s *Vacancies) Create(ctx context.Context, v domain.Vacancy, fields []string) (domain.Vacancy, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Vacancy, event, error) {
		const notInReach = "is not a organisation within your reach"
		// The directory of partners is readable by all, but a vacancy is recorded by an
		// organisation of the caller's own reach.
		if !caller.CanSee(v.OrganisationID) {
			return v, noEvent, domain.Invalid("organisation_id", notInReach)
		}
		if _, err := s.Organisations.Get(ctx, v.OrganisationID); err != nil {
			return v, noEvent, inReach(err, "organisation_id", notInReach)
		}
		// The foreign key alone would accept another trust's organisation, which row-level
		// security does not cover, and refuse a random id: the two answers would differ.
		if v.EmployerOrganisationID != nil {
			if _, err := s.Organisations.Get(ctx, *v.EmployerOrganisationID); err != nil {
				return v, noEvent, inReach(err, "employer_organisation_id", notInReach)
			}
		}
		v.Status = "open"
		if err := s.Vacancies.Create(ctx, &v); err != nil {
			return v, noEvent, err
		}
		return v, event{"vacancy.create", "vacancy", v.ID, &v.OrganisationID, fields}, nil
	})
}

// Get returns a vacancy within reach. Errors: not_found.
func (s *Vacancies) Get(ctx context.Context, id uuid.UUID) (domain.Vacancy, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Vacancy, error) {
		return s.Vacancies.Get(ctx, id)
	})
}

// List returns a page of vacancies within reach.
func (s *Vacancies) List(ctx context.Context, f domain.VacancyFilter, req domain.PageRequest) (domain.Page[domain.Vacancy], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Vacancy], error) {
		return s.Vacancies.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Vacancies) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.VacancyChange, fields []string) (domain.Vacancy, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Vacancy, event, error) {
		v, err := s.Vacancies.Update(ctx, id, ifVersion, func(v *domain.Vacancy) error {
			if err := mustBeLive(v.DeletedAt, "vacancy"); err != nil {
				return err
			}
			c.Apply(v)
			return nil
		})
		if err != nil {
			return v, noEvent, err
		}
		return v, event{"vacancy.update", "vacancy", id, &v.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Vacancies) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Vacancies, s.Audit, s.Now, vacancyRecord, id, ifVersion)
}
