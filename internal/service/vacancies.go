package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Vacancies records live job opportunities and participants' interviews for them.
type Vacancies struct {
	tx           Transactor
	vacancies    domain.VacancyRepository
	interviews   domain.InterviewRepository
	participants domain.ParticipantRepository
	enrolments   domain.EnrolmentRepository
	orgs         domain.OrganisationRepository
	audit        Auditor
	now          Clock
}

// NewVacancies wires the vacancy and interview use cases.
func NewVacancies(tx Transactor, vacancies domain.VacancyRepository, interviews domain.InterviewRepository, participants domain.ParticipantRepository,
	enrolments domain.EnrolmentRepository, orgs domain.OrganisationRepository, audit Auditor, now Clock) *Vacancies {
	return &Vacancies{tx: tx, vacancies: vacancies, interviews: interviews, participants: participants, enrolments: enrolments,
		orgs: orgs, audit: audit, now: now}
}

var (
	vacancyRecord = tombstoned[domain.Vacancy]{what: "vacancy",
		deletedAt: func(v *domain.Vacancy) **time.Time { return &v.DeletedAt }, org: func(v domain.Vacancy) uuid.UUID { return v.OrganisationID }}
	interviewRecord = tombstoned[domain.Interview]{what: "interview",
		deletedAt: func(i *domain.Interview) **time.Time { return &i.DeletedAt }, org: func(i domain.Interview) uuid.UUID { return i.OrganisationID }}
)

// CreateVacancy records a job opportunity for an organisation within reach. Errors: forbidden, invalid.
func (s *Vacancies) CreateVacancy(ctx context.Context, v domain.Vacancy, fields []string) (domain.Vacancy, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Vacancy, error) {
		if _, err := s.orgs.Get(ctx, v.OrganisationID); err != nil {
			return v, inReach(err, "organisation_id", "organisation")
		}
		v.Status = "open"
		if err := s.vacancies.Create(ctx, &v); err != nil {
			return v, inReach(err, "employer_organisation_id", "organisation")
		}
		return v, audit(ctx, s.audit, "vacancy.create", "vacancy", v.ID, &v.OrganisationID, fields)
	})
}

// GetVacancy returns a vacancy within reach. Errors: not_found.
func (s *Vacancies) GetVacancy(ctx context.Context, id uuid.UUID) (domain.Vacancy, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Vacancy, error) { return s.vacancies.Get(ctx, id) })
}

// ListVacancies returns a page of vacancies within reach.
func (s *Vacancies) ListVacancies(ctx context.Context, f domain.VacancyFilter, req domain.PageRequest) (domain.Page[domain.Vacancy], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Vacancy], error) {
		return s.vacancies.List(ctx, f, req)
	})
}

// UpdateVacancy applies a merge patch. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Vacancies) UpdateVacancy(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.VacancyChange, fields []string) (domain.Vacancy, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Vacancy, error) {
		v, err := s.vacancies.Update(ctx, id, ifVersion, func(v *domain.Vacancy) error {
			if err := mustBeLive(v.DeletedAt, "vacancy"); err != nil {
				return err
			}
			c.Apply(v)
			return nil
		})
		if err != nil {
			return v, err
		}
		return v, audit(ctx, s.audit, "vacancy.update", "vacancy", id, &v.OrganisationID, fields)
	})
}

// DeleteVacancy leaves a tombstone.
func (s *Vacancies) DeleteVacancy(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.vacancies, s.audit, s.now, vacancyRecord, id, ifVersion)
}

// CreateInterview records a participant's interview for a vacancy, both within reach.
// Errors: forbidden, invalid.
func (s *Vacancies) CreateInterview(ctx context.Context, i domain.Interview, fields []string) (domain.Interview, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Interview, error) {
		v, err := s.vacancies.Get(ctx, i.VacancyID)
		if err != nil {
			return i, inReach(err, "vacancy_id", "vacancy")
		}
		if v.DeletedAt != nil {
			return i, domain.Invalid("vacancy_id", "was deleted")
		}
		p, err := s.participants.Get(ctx, i.ParticipantID)
		if err != nil {
			return i, inReach(err, "participant_id", "participant")
		}
		if i.EnrolmentID != nil {
			e, err := s.enrolments.Get(ctx, *i.EnrolmentID)
			if err != nil || e.ParticipantID != p.ID {
				return i, domain.Invalid("enrolment_id", "is not an enrolment of this participant within your reach")
			}
		}
		i.OrganisationID = p.OrganisationID
		if i.Result == "" {
			i.Result = "pending"
		}
		if err := s.interviews.Create(ctx, &i); err != nil {
			return i, err
		}
		return i, audit(ctx, s.audit, "interview.create", "interview", i.ID, &i.OrganisationID, fields)
	})
}

// GetInterview returns an interview within reach. Errors: not_found.
func (s *Vacancies) GetInterview(ctx context.Context, id uuid.UUID) (domain.Interview, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Interview, error) { return s.interviews.Get(ctx, id) })
}

// ListInterviews returns a page of interviews within reach.
func (s *Vacancies) ListInterviews(ctx context.Context, f domain.InterviewFilter, req domain.PageRequest) (domain.Page[domain.Interview], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Interview], error) {
		return s.interviews.List(ctx, f, req)
	})
}

// UpdateInterview records a result or moves the date. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Vacancies) UpdateInterview(ctx context.Context, id uuid.UUID, ifVersion *int64, heldOn *time.Time, result *string, fields []string) (domain.Interview, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Interview, error) {
		i, err := s.interviews.Update(ctx, id, ifVersion, func(i *domain.Interview) error {
			if err := mustBeLive(i.DeletedAt, "interview"); err != nil {
				return err
			}
			if heldOn != nil {
				i.HeldOn = *heldOn
			}
			if result != nil {
				i.Result = *result
			}
			return nil
		})
		if err != nil {
			return i, err
		}
		return i, audit(ctx, s.audit, "interview.update", "interview", id, &i.OrganisationID, fields)
	})
}

// DeleteInterview leaves a tombstone.
func (s *Vacancies) DeleteInterview(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.interviews, s.audit, s.now, interviewRecord, id, ifVersion)
}
