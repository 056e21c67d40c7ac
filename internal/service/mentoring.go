package service

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Mentoring records mentors, their matches with participants, and check-ins.
type Mentoring struct {
	tx           Transactor
	mentors      domain.MentorRepository
	matches      domain.MatchRepository
	checkIns     domain.CheckInRepository
	participants domain.ParticipantRepository
	enrolments   domain.EnrolmentRepository
	cohorts      domain.CohortRepository
	programmes   domain.ProgrammeRepository
	orgs         domain.OrganisationRepository
	audit        Auditor
	now          Clock
}

// MentoringDeps are what Mentoring is built on.
type MentoringDeps struct {
	Tx           Transactor
	Mentors      domain.MentorRepository
	Matches      domain.MatchRepository
	CheckIns     domain.CheckInRepository
	Participants domain.ParticipantRepository
	Enrolments   domain.EnrolmentRepository
	Cohorts      domain.CohortRepository
	Programmes   domain.ProgrammeRepository
	Orgs         domain.OrganisationRepository
	Audit        Auditor
	Now          Clock
}

// NewMentoring wires the mentoring use cases.
func NewMentoring(d MentoringDeps) *Mentoring {
	return &Mentoring{tx: d.Tx, mentors: d.Mentors, matches: d.Matches, checkIns: d.CheckIns, participants: d.Participants,
		enrolments: d.Enrolments, cohorts: d.Cohorts, programmes: d.Programmes, orgs: d.Orgs, audit: d.Audit, now: d.Now}
}

var (
	mentorRecord = tombstoned[domain.Mentor]{what: "mentor",
		deletedAt: func(m *domain.Mentor) **time.Time { return &m.DeletedAt }, org: func(m domain.Mentor) uuid.UUID { return m.OrganisationID }}
	matchRecord = tombstoned[domain.MentoringMatch]{what: "mentoring_match",
		deletedAt: func(m *domain.MentoringMatch) **time.Time { return &m.DeletedAt }, org: func(m domain.MentoringMatch) uuid.UUID { return m.OrganisationID }}
)

// CreateMentor records a mentor of an organisation within reach. Errors: forbidden, invalid.
func (s *Mentoring) CreateMentor(ctx context.Context, m domain.Mentor, fields []string) (domain.Mentor, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Mentor, error) {
		if _, err := s.orgs.Get(ctx, m.OrganisationID); err != nil {
			return m, inReach(err, "organisation_id", "organisation")
		}
		m.Active = true
		if err := s.mentors.Create(ctx, &m); err != nil {
			return m, err
		}
		return m, audit(ctx, s.audit, "mentor.create", "mentor", m.ID, &m.OrganisationID, fields)
	})
}

// MakePeerMentor makes a peer mentor of a participant who completed a mentoring programme.
// Errors: forbidden, not_found, invalid, conflict (already a mentor).
func (s *Mentoring) MakePeerMentor(ctx context.Context, participantID uuid.UUID, trainedOn *time.Time) (domain.Mentor, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Mentor, error) {
		p, err := s.participants.Get(ctx, participantID)
		if err != nil {
			return domain.Mentor{}, err
		}
		done, err := s.completedMentoring(ctx, participantID)
		if err != nil {
			return domain.Mentor{}, err
		}
		m, err := domain.PeerMentorFrom(p, done, trainedOn)
		if err != nil {
			return m, err
		}
		if err := s.mentors.Create(ctx, &m); err != nil {
			return m, asFieldConflict(err, "participant_id")
		}
		return m, audit(ctx, s.audit, "mentor.create", "mentor", m.ID, &m.OrganisationID, []string{"kind", "participant_id", "trained_on"})
	})
}

// completedMentoring finds a completed enrolment of the participant in a mentoring programme.
func (s *Mentoring) completedMentoring(ctx context.Context, participantID uuid.UUID) (*domain.Enrolment, error) {
	completed := domain.Completed
	page, err := s.enrolments.List(ctx, domain.EnrolmentFilter{ParticipantID: &participantID, Status: &completed}, domain.PageRequest{Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, e := range page.Items {
		c, err := s.cohorts.Get(ctx, e.CohortID)
		if err != nil {
			return nil, err
		}
		prog, err := s.programmes.Get(ctx, c.ProgrammeID)
		if err != nil {
			return nil, err
		}
		if prog.Category == "mentoring" {
			return &e, nil
		}
	}
	return nil, nil
}

// GetMentor returns a mentor within reach. Errors: not_found.
func (s *Mentoring) GetMentor(ctx context.Context, id uuid.UUID) (domain.Mentor, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Mentor, error) { return s.mentors.Get(ctx, id) })
}

// ListMentors returns a page of mentors within reach.
func (s *Mentoring) ListMentors(ctx context.Context, f domain.MentorFilter, req domain.PageRequest) (domain.Page[domain.Mentor], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.Mentor], error) {
		return s.mentors.List(ctx, f, req)
	})
}

// UpdateMentor applies a merge patch. Errors: forbidden, not_found, precondition_failed, conflict.
func (s *Mentoring) UpdateMentor(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.MentorChange, fields []string) (domain.Mentor, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.Mentor, error) {
		m, err := s.mentors.Update(ctx, id, ifVersion, func(m *domain.Mentor) error {
			if err := mustBeLive(m.DeletedAt, "mentor"); err != nil {
				return err
			}
			c.Apply(m)
			return nil
		})
		if err != nil {
			return m, err
		}
		return m, audit(ctx, s.audit, "mentor.update", "mentor", id, &m.OrganisationID, fields)
	})
}

// DeleteMentor leaves a tombstone.
func (s *Mentoring) DeleteMentor(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.mentors, s.audit, s.now, mentorRecord, id, ifVersion)
}

// CreateMatch matches an active mentor to a participant, both within reach.
// Errors: forbidden, invalid.
func (s *Mentoring) CreateMatch(ctx context.Context, m domain.MentoringMatch, fields []string) (domain.MentoringMatch, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.MentoringMatch, error) {
		mentor, err := s.mentors.Get(ctx, m.MentorID)
		if err != nil {
			return m, inReach(err, "mentor_id", "mentor")
		}
		if !mentor.Active || mentor.DeletedAt != nil {
			return m, domain.Invalid("mentor_id", "is not an active mentor")
		}
		p, err := s.participants.Get(ctx, m.ParticipantID)
		if err != nil {
			return m, inReach(err, "participant_id", "participant")
		}
		if p.Erased() {
			return m, domain.Invalid("participant_id", "was erased")
		}
		if m.EnrolmentID != nil {
			e, err := s.enrolments.Get(ctx, *m.EnrolmentID)
			if err != nil || e.ParticipantID != p.ID {
				return m, domain.Invalid("enrolment_id", "is not an enrolment of this participant within your reach")
			}
		}
		m.OrganisationID, m.Status = p.OrganisationID, "active"
		if err := m.Validate(mentor); err != nil {
			return m, err
		}
		if err := s.matches.Create(ctx, &m); err != nil {
			return m, err
		}
		return m, audit(ctx, s.audit, "mentoring_match.create", "mentoring_match", m.ID, &m.OrganisationID, fields)
	})
}

// GetMatch returns a match within reach. Errors: not_found.
func (s *Mentoring) GetMatch(ctx context.Context, id uuid.UUID) (domain.MentoringMatch, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.MentoringMatch, error) {
		return s.matches.Get(ctx, id)
	})
}

// ListMatches returns a page of matches within reach.
func (s *Mentoring) ListMatches(ctx context.Context, f domain.MatchFilter, req domain.PageRequest) (domain.Page[domain.MentoringMatch], error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.MentoringMatch], error) {
		return s.matches.List(ctx, f, req)
	})
}

// UpdateMatch applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid, conflict.
func (s *Mentoring) UpdateMatch(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.MatchChange, fields []string) (domain.MentoringMatch, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.MentoringMatch, error) {
		m, err := s.matches.Update(ctx, id, ifVersion, func(m *domain.MentoringMatch) error {
			if err := mustBeLive(m.DeletedAt, "mentoring match"); err != nil {
				return err
			}
			c.Apply(m)
			mentor, err := s.mentors.Get(ctx, m.MentorID)
			if err != nil {
				return err
			}
			return m.Validate(mentor)
		})
		if err != nil {
			return m, err
		}
		return m, audit(ctx, s.audit, "mentoring_match.update", "mentoring_match", id, &m.OrganisationID, fields)
	})
}

// DeleteMatch leaves a tombstone.
func (s *Mentoring) DeleteMatch(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	return remove(ctx, s.tx, s.matches, s.audit, s.now, matchRecord, id, ifVersion)
}

// CreateCheckIn records a check-in of a live match. Errors: forbidden, not_found, invalid, conflict.
func (s *Mentoring) CreateCheckIn(ctx context.Context, matchID uuid.UUID, c domain.CheckIn) (domain.CheckIn, error) {
	return within(ctx, s.tx, domain.ScopeParticipantsWrite, func(ctx context.Context) (domain.CheckIn, error) {
		m, err := s.matches.Get(ctx, matchID)
		if err != nil {
			return c, err
		}
		if err := mustBeLive(m.DeletedAt, "mentoring match"); err != nil {
			return c, err
		}
		c.MatchID, c.OrganisationID = m.ID, m.OrganisationID
		if err := c.Validate(m); err != nil {
			return c, err
		}
		if err := s.checkIns.Create(ctx, &c); err != nil {
			return c, err
		}
		return c, audit(ctx, s.audit, "check_in.create", "check_in", c.ID, &c.OrganisationID, []string{"held_on", "minutes", "mode"})
	})
}

// ListCheckIns returns a page of a match's check-ins. Errors: not_found.
func (s *Mentoring) ListCheckIns(ctx context.Context, matchID uuid.UUID, req domain.PageRequest) (domain.Page[domain.CheckIn], error) {
	return within(ctx, s.tx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.Page[domain.CheckIn], error) {
		if _, err := s.matches.Get(ctx, matchID); err != nil {
			return domain.Page[domain.CheckIn]{}, err
		}
		return s.checkIns.List(ctx, domain.CheckInFilter{MatchID: matchID}, req)
	})
}
