package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Matches records mentors' matches with participants, and their check-ins.
type Matches struct {
	MatchesDeps
}

// MatchesDeps are what Matches is built on.
type MatchesDeps struct {
	Tx           Transactor
	Matches      domain.MatchRepository
	CheckIns     domain.CheckInRepository
	Mentors      domain.MentorRepository
	Participants domain.ParticipantRepository
	Enrolments   domain.EnrolmentRepository
	Audit        Auditor
	Now          Clock
}

// NewMatches wires the mentoring match and check-in use cases.
func NewMatches(d MatchesDeps) *Matches {
	return &Matches{d}
}

var matchRecord = tombstoned[domain.MentoringMatch]{what: "mentoring_match",
	deletedAt: func(m *domain.MentoringMatch) **time.Time { return &m.DeletedAt }, org: func(m domain.MentoringMatch) uuid.UUID { return m.OrganisationID }}

// Create matches an active mentor to a participant, both within reach.
// Errors: forbidden, invalid.
func (s *Matches) Create(ctx context.Context, m domain.MentoringMatch, fields []string) (domain.MentoringMatch, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.MentoringMatch, event, error) {
		mentor, err := s.Mentors.Get(ctx, m.MentorID)
		if err != nil {
			return m, noEvent, inReach(err, "mentor_id", "is not a mentor within your reach")
		}
		if !mentor.Active || mentor.DeletedAt != nil {
			return m, noEvent, domain.Invalid("mentor_id", "is not an active mentor")
		}
		p, err := participantFor(ctx, s.Participants, m.ParticipantID)
		if err != nil {
			return m, noEvent, inReach(err, "participant_id", "is not a participant within your reach")
		}
		if p.Erased() {
			return m, noEvent, domain.Invalid("participant_id", "was erased")
		}
		if m.EnrolmentID != nil {
			const notTheirs = "is not an enrolment of this participant within your reach"
			e, err := s.Enrolments.Get(ctx, *m.EnrolmentID)
			if err != nil {
				return m, noEvent, inReach(err, "enrolment_id", notTheirs)
			}
			if e.ParticipantID != p.ID {
				return m, noEvent, domain.Invalid("enrolment_id", notTheirs)
			}
		}
		m.OrganisationID, m.Status = p.OrganisationID, "active"
		if err := m.Validate(mentor); err != nil {
			return m, noEvent, err
		}
		if err := s.Matches.Create(ctx, &m); err != nil {
			return m, noEvent, err
		}
		return m, event{"mentoring_match.create", "mentoring_match", m.ID, &m.OrganisationID, fields}, nil
	})
}

// Get returns a match within reach. Errors: not_found.
func (s *Matches) Get(ctx context.Context, id uuid.UUID) (domain.MentoringMatch, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.MentoringMatch, error) {
		return s.Matches.Get(ctx, id)
	})
}

// List returns a page of matches within reach.
func (s *Matches) List(ctx context.Context, f domain.MatchFilter, req domain.PageRequest) (domain.Page[domain.MentoringMatch], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.MentoringMatch], error) {
		return s.Matches.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Matches) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.MatchChange, fields []string) (domain.MentoringMatch, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.MentoringMatch, event, error) {
		m, err := s.Matches.Update(ctx, id, ifVersion, func(m *domain.MentoringMatch) error {
			if err := mustBeLive(m.DeletedAt, "mentoring match"); err != nil {
				return err
			}
			c.Apply(m)
			mentor, err := s.Mentors.Get(ctx, m.MentorID)
			if err != nil {
				return err
			}
			return m.Validate(mentor)
		})
		if err != nil {
			return m, noEvent, err
		}
		return m, event{"mentoring_match.update", "mentoring_match", id, &m.OrganisationID, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found, precondition_failed.
func (s *Matches) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.Tx, s.Matches, s.Audit, s.Now, matchRecord, id, ifVersion)
}

// CreateCheckIn records a check-in of a live match. Errors: forbidden, not_found, invalid, conflict.
func (s *Matches) CreateCheckIn(ctx context.Context, matchID uuid.UUID, c domain.CheckIn) (domain.CheckIn, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsWrite, func(ctx context.Context, _ domain.Principal) (domain.CheckIn, event, error) {
		m, err := s.Matches.Get(ctx, matchID)
		if err != nil {
			return c, noEvent, err
		}
		if err := mustBeLive(m.DeletedAt, "mentoring match"); err != nil {
			return c, noEvent, err
		}
		c.MatchID, c.OrganisationID = m.ID, m.OrganisationID
		if err := c.Validate(m); err != nil {
			return c, noEvent, err
		}
		if err := s.CheckIns.Create(ctx, &c); err != nil {
			return c, noEvent, err
		}
		return c, event{"check_in.create", "check_in", c.ID, &c.OrganisationID, []string{"held_on", "minutes", "mode"}}, nil
	})
}

// ListCheckIns returns a page of a match's check-ins. Errors: not_found.
func (s *Matches) ListCheckIns(ctx context.Context, matchID uuid.UUID, req domain.PageRequest) (domain.Page[domain.CheckIn], error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeParticipantsRead, func(ctx context.Context, _ domain.Principal) (domain.Page[domain.CheckIn], event, error) {
		if _, err := s.Matches.Get(ctx, matchID); err != nil {
			return domain.Page[domain.CheckIn]{}, noEvent, err
		}
		page, err := s.CheckIns.List(ctx, domain.CheckInFilter{MatchID: matchID}, req)
		return page, noEvent, err
	})
}
