package service

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Enrolments manages enrolments: who joined which cohort, and how far they got.
type Enrolments struct {
	EnrolmentsDeps
}

// EnrolmentsDeps are what Enrolments is built on.
type EnrolmentsDeps struct {
	Tx            Transactor
	Enrolments    domain.EnrolmentRepository
	Cohorts       domain.CohortRepository
	Programmes    domain.ProgrammeRepository
	Participants  domain.ParticipantRepository
	Organisations domain.OrganisationRepository
	Audit         Auditor
	Now           Clock
}

// NewEnrolments wires the enrolment use cases.
func NewEnrolments(d EnrolmentsDeps) *Enrolments {
	return &Enrolments{d}
}

// Create refers or enrols a participant in a cohort. Enrolling checks eligibility, which an
// override reason may overrule, and takes a place. Errors: forbidden, invalid (eligibility,
// records out of reach), conflict (already in the cohort, the cohort is full).
func (s *Enrolments) Create(ctx context.Context, cohortID, participantID uuid.UUID, status string, on *time.Time, override *string) (domain.Enrolment, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Enrolment, event, error) {
		now := s.Now()
		day := dayOf(on, now)
		c, err := s.Cohorts.Get(ctx, cohortID)
		if err != nil {
			return domain.Enrolment{}, noEvent, inReach(err, "cohort_id", "is not a cohort within your reach")
		}
		who, err := participantFor(ctx, s.Participants, participantID)
		if err != nil {
			return domain.Enrolment{}, noEvent, inReach(err, "participant_id", "is not a participant within your reach")
		}
		if err := s.belongsToCohort(ctx, who, c); err != nil {
			return domain.Enrolment{}, noEvent, err
		}
		e := domain.Enrolment{CohortID: c.ID, ParticipantID: who.ID, OrganisationID: c.OrganisationID, Status: domain.Referred,
			ReferredOn: &day, History: []domain.EnrolmentEvent{{Status: domain.Referred, On: day, Actor: caller.Subject, At: now}}}
		if status == domain.Enrolled {
			if err := s.enrol(ctx, &e, c, who, day, caller.Subject, override, now); err != nil {
				return e, noEvent, err
			}
		}
		if err := s.Enrolments.Create(ctx, &e); err != nil {
			return e, noEvent, asFieldConflict(err, "participant_id")
		}
		return e, event{"enrolment.create", "enrolment", e.ID, &e.OrganisationID, []string{"status"}}, nil
	})
}

// belongsToCohort checks that the participant is the cohort organisation's, or, for a
// collaboration's cohort, one of its member trusts': an enrolment is kept by the cohort's
// organisation, which must be able to see the participant it names. Errors: invalid.
func (s *Enrolments) belongsToCohort(ctx context.Context, who domain.Participant, c domain.Cohort) error {
	if who.OrganisationID == c.OrganisationID {
		return nil
	}
	org, err := s.Organisations.Get(ctx, c.OrganisationID)
	if err != nil {
		return err
	}
	if org.Kind == domain.KindCollaboration && slices.Contains(org.MemberIDs, who.OrganisationID) {
		return nil
	}
	return domain.Invalid("participant_id", "belongs to another organisation than the cohort's (or one of its member trusts)")
}

// enrol moves e to enrolled: eligibility (or a recorded override), then a place.
func (s *Enrolments) enrol(ctx context.Context, e *domain.Enrolment, c domain.Cohort, who domain.Participant, day time.Time, actor string, override *string, now time.Time) error {
	if err := e.CanMove(domain.Enrolled); err != nil {
		return err // the lifecycle first: eligibility is no answer to an illegal move
	}
	prog, err := s.Programmes.Get(ctx, c.ProgrammeID)
	if err != nil {
		return err
	}
	if err := domain.CheckEligibility(prog, c, who); err != nil {
		if override == nil || who.Erased() {
			return err
		}
		e.EligibilityOverrideReason = override
	}
	places, err := e.Move(domain.Enrolled, day, actor, nil, now)
	if err != nil {
		return err
	}
	return s.Cohorts.TakePlaces(ctx, c.ID, places)
}

// Transition moves an enrolment along its lifecycle. Errors: forbidden, not_found,
// precondition_failed, conflict (an illegal move, naming the allowed ones; a full cohort), invalid.
func (s *Enrolments) Transition(ctx context.Context, id uuid.UUID, ifVersion *int64, to string, on *time.Time, reason, override *string) (domain.Enrolment, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Enrolment, event, error) {
		now := s.Now()
		day := dayOf(on, now)
		e, err := s.Enrolments.Update(ctx, id, ifVersion, func(e *domain.Enrolment) error {
			if to == domain.Enrolled {
				c, err := s.Cohorts.Get(ctx, e.CohortID)
				if err != nil {
					return err
				}
				who, err := participantFor(ctx, s.Participants, e.ParticipantID)
				if err != nil {
					return err
				}
				return s.enrol(ctx, e, c, who, day, caller.Subject, override, now)
			}
			places, err := e.Move(to, day, caller.Subject, reason, now)
			if err != nil || places == 0 {
				return err
			}
			return s.Cohorts.TakePlaces(ctx, e.CohortID, places)
		})
		if err != nil {
			return e, noEvent, err
		}
		return e, event{"enrolment." + to, "enrolment", id, &e.OrganisationID, []string{"status"}}, nil
	})
}

// Get returns an enrolment within reach. Errors: not_found.
func (s *Enrolments) Get(ctx context.Context, id uuid.UUID) (domain.Enrolment, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Enrolment, error) {
		return s.Enrolments.Get(ctx, id)
	})
}

// List returns a page of enrolments within reach.
func (s *Enrolments) List(ctx context.Context, f domain.EnrolmentFilter, req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Enrolment], error) {
		return s.Enrolments.List(ctx, f, req)
	})
}

// dayOf is the date given, or today.
func dayOf(on *time.Time, now time.Time) time.Time {
	if on != nil {
		return *on
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}
