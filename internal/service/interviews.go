package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Interviews records participants' interviews for vacancies.
type Interviews struct {
	InterviewsDeps
}

// InterviewsDeps are what Interviews is built on.
type InterviewsDeps struct {
	Tx           Transactor
	Interviews   domain.InterviewRepository
	Vacancies    domain.VacancyRepository
	Participants domain.ParticipantRepository
	Enrolments   domain.EnrolmentRepository
	Audit        Auditor
	Now          Clock
}

// NewInterviews wires the interview use cases.
func NewInterviews(d InterviewsDeps) *Interviews {
	return &Interviews{d}
}

var interviewRecord = tombstoned[domain.Interview]{what: "interview",
	deletedAt: func(i *domain.Interview) **time.Time { return &i.DeletedAt }, org: func(i domain.Interview) uuid.UUID { return i.OrganisationID }}

// Create records a participant's interview for a vacancy, both within reach.
// Errors: forbidden, invalid.
func (s *Interviews) Create(ctx context.Context, i domain.Interview, fields []string) (domain.Interview, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Interview, event, error) {
		v, err := s.Vacancies.Get(ctx, i.VacancyID)
		if err != nil {
			return i, noEvent, inReach(err, "vacancy_id", "is not a vacancy within your reach")
		}
		if v.DeletedAt != nil {
			return i, noEvent, domain.Invalid("vacancy_id", "was deleted")
		}
		p, err := participantFor(ctx, s.Participants, i.ParticipantID)
		if err != nil {
			return i, noEvent, inReach(err, "participant_id", "is not a participant within your reach")
		}
		if i.EnrolmentID != nil {
			const notTheirs = "is not an enrolment of this participant within your reach"
			e, err := s.Enrolments.Get(ctx, *i.EnrolmentID)
			if err != nil {
				return i, noEvent, inReach(err, "enrolment_id", notTheirs)
			}
			if e.ParticipantID != p.ID {
				return i, noEvent, domain.Invalid("enrolment_id", notTheirs)
			}
		}
		i.OrganisationID = p.OrganisationID
		if i.Result == "" {
			i.Result = "pending"
		}
		if err := s.Interviews.Create(ctx, &i); err != nil {
			return i, noEvent, err
		}
		return i, event{"interview.create", "interview", i.ID, &i.OrganisationID, fields}, nil
	})
}

// Get returns an interview within reach. Errors: not_found.
func (s *Interviews) Get(ctx context.Context, id uuid.UUID) (domain.Interview, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Interview, error) {
		return s.Interviews.Get(ctx, id)
	})
}

// List returns a page of interviews within reach.
func (s *Interviews) List(ctx context.Context, f domain.InterviewFilter, req domain.PageRequest) (domain.Page[domain.Interview], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Interview], error) {
		return s.Interviews.List(ctx, f, req)
	})
}

// Update records a result or moves the date. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Interviews) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, heldOn *time.Time, result *string, fields []string) (domain.Interview, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Interview, event, error) {
		i, err := s.Interviews.Update(ctx, id, ifVersion, func(i *domain.Interview) error {
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
			return i, noEvent, err
		}
		return i, event{"interview.update", "interview", id, &i.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Interviews) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Interviews, s.Audit, s.Now, interviewRecord, id, ifVersion)
}
