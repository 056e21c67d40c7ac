package service

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Mentors records professional and peer mentors.
type Mentors struct {
	MentorsDeps
}

// MentorsDeps are what Mentors is built on.
type MentorsDeps struct {
	Tx            Transactor
	Mentors       domain.MentorRepository
	Participants  domain.ParticipantRepository
	Enrolments    domain.EnrolmentRepository
	Cohorts       domain.CohortRepository
	Programmes    domain.ProgrammeRepository
	Organisations domain.OrganisationRepository
	Audit         Auditor
	Now           Clock
}

// NewMentors wires the mentor use cases.
func NewMentors(d MentorsDeps) *Mentors {
	return &Mentors{d}
}

var mentorRecord = tombstoned[domain.Mentor]{what: "mentor",
	deletedAt: func(m *domain.Mentor) **time.Time { return &m.DeletedAt }, org: func(m domain.Mentor) uuid.UUID { return m.OrganisationID }}

// Create records a mentor of an organisation within reach. Errors: forbidden, invalid.
func (s *Mentors) Create(ctx context.Context, m domain.Mentor, fields []string) (domain.Mentor, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, caller domain.Principal) (domain.Mentor, event, error) {
		const notInReach = "is not a organisation within your reach"
		// The directory of partners is readable by all, but a mentor belongs to an
		// organisation of the caller's own reach.
		if !caller.CanSee(m.OrganisationID) {
			return m, noEvent, domain.Invalid("organisation_id", notInReach)
		}
		if _, err := s.Organisations.Get(ctx, m.OrganisationID); err != nil {
			return m, noEvent, inReach(err, "organisation_id", notInReach)
		}
		m.Active = true
		if err := s.Mentors.Create(ctx, &m); err != nil {
			return m, noEvent, err
		}
		return m, event{"mentor.create", "mentor", m.ID, &m.OrganisationID, fields}, nil
	})
}

// MakePeer makes a peer mentor of a participant who completed a mentoring programme.
// Errors: forbidden, not_found, invalid, conflict (already a mentor).
func (s *Mentors) MakePeer(ctx context.Context, participantID uuid.UUID, trainedOn *time.Time) (domain.Mentor, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Mentor, event, error) {
		p, err := participantFor(ctx, s.Participants, participantID)
		if err != nil {
			return domain.Mentor{}, noEvent, err
		}
		done, err := s.completedMentoring(ctx, participantID)
		if err != nil {
			return domain.Mentor{}, noEvent, err
		}
		m, err := domain.PeerMentorFrom(p, done, trainedOn)
		if err != nil {
			return m, noEvent, err
		}
		if err := s.Mentors.Create(ctx, &m); err != nil {
			return m, noEvent, asFieldConflict(err, "participant_id")
		}
		return m, event{"mentor.create", "mentor", m.ID, &m.OrganisationID, []string{"kind", "participant_id", "trained_on"}}, nil
	})
}

// completedMentoring finds a completed enrolment of the participant in a mentoring programme,
// in three queries however many enrolments there are.
func (s *Mentors) completedMentoring(ctx context.Context, participantID uuid.UUID) (*domain.Enrolment, error) {
	completed, mentoring := domain.Completed, domain.ProgrammeCategory("mentoring")
	req := domain.PageRequest{Limit: 500}
	enrolments, err := s.Enrolments.List(ctx, domain.EnrolmentFilter{ParticipantID: &participantID, Status: &completed}, req)
	if err != nil || len(enrolments.Items) == 0 {
		return nil, err
	}
	var ids []uuid.UUID
	for _, e := range enrolments.Items {
		ids = append(ids, e.CohortID)
	}
	cohorts, err := s.Cohorts.List(ctx, domain.CohortFilter{IDs: ids}, req)
	if err != nil {
		return nil, err
	}
	programmes, err := s.Programmes.List(ctx, domain.ProgrammeFilter{Category: &mentoring}, req)
	if err != nil {
		return nil, err
	}
	programmeOf := map[uuid.UUID]uuid.UUID{}
	for _, c := range cohorts.Items {
		programmeOf[c.ID] = c.ProgrammeID
	}
	for _, e := range enrolments.Items {
		programme, ok := programmeOf[e.CohortID]
		if !ok { // as a Get of the cohort would answer
			return nil, domain.NotFound("cohort")
		}
		if slices.ContainsFunc(programmes.Items, func(p domain.Programme) bool { return p.ID == programme }) {
			return &e, nil
		}
	}
	return nil, nil
}

// Get returns a mentor within reach. Errors: not_found.
func (s *Mentors) Get(ctx context.Context, id uuid.UUID) (domain.Mentor, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Mentor, error) {
		return s.Mentors.Get(ctx, id)
	})
}

// List returns a page of mentors within reach.
func (s *Mentors) List(ctx context.Context, f domain.MentorFilter, req domain.PageRequest) (domain.Page[domain.Mentor], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Mentor], error) {
		return s.Mentors.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Mentors) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.MentorChange, fields []string) (domain.Mentor, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.Mentor, event, error) {
		m, err := s.Mentors.Update(ctx, id, ifVersion, func(m *domain.Mentor) error {
			if err := mustBeLive(m.DeletedAt, "mentor"); err != nil {
				return err
			}
			c.Apply(m)
			return nil
		})
		if err != nil {
			return m, noEvent, err
		}
		return m, event{"mentor.update", "mentor", id, &m.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Mentors) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Mentors, s.Audit, s.Now, mentorRecord, id, ifVersion)
}
