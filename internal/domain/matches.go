package domain

import (
	"time"

	"github.com/google/uuid"
)

// MaxProfessionalMentoring is how long online professional mentoring may last.
const MaxProfessionalMentoring = 6 // months

// MentoringMatch is a mentor matched to a participant.
type MentoringMatch struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	MentorID       uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	StartsOn       time.Time
	PlannedEndOn   time.Time
	EndedOn        *time.Time
	Status         string // active, completed, ended_early
	EndReason      *string
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Validate checks the match against its mentor.
func (m MentoringMatch) Validate(mentor Mentor) error {
	var v Validator
	v.Check(!m.PlannedEndOn.Before(m.StartsOn), "planned_end_on", "must not be before starts_on")
	if mentor.Kind == "professional" {
		v.Check(!m.PlannedEndOn.After(AddMonths(m.StartsOn, MaxProfessionalMentoring)), "planned_end_on",
			"professional online mentoring lasts at most six months")
	}
	v.Check(mentor.ParticipantID == nil || *mentor.ParticipantID != m.ParticipantID, "participant_id", "cannot be their own mentor")
	v.Check(m.EndedOn == nil || !m.EndedOn.Before(m.StartsOn), "ended_on", "must not be before starts_on")
	v.Check(m.Status != "ended_early" || m.EndReason != nil, "end_reason", "is required when a match ended early")
	return v.Err()
}

// MatchFilter narrows a list of matches.
type MatchFilter struct {
	MentorID, ParticipantID *uuid.UUID
	Status                  *string
	IncludeDeleted          bool
}

// MatchChange is a merge patch of a match.
type MatchChange struct {
	PlannedEndOn *time.Time
	Status       *string
	EndedOn      Change[time.Time]
	EndReason    Change[string]
}

// Apply changes m in place.
func (c MatchChange) Apply(m *MentoringMatch) {
	if c.PlannedEndOn != nil {
		m.PlannedEndOn = *c.PlannedEndOn
	}
	if c.Status != nil {
		m.Status = *c.Status
	}
	c.EndedOn.Apply(&m.EndedOn)
	c.EndReason.Apply(&m.EndReason)
}

// CheckIn is one contact between a mentor and a participant.
type CheckIn struct {
	ID             uuid.UUID
	MatchID        uuid.UUID
	OrganisationID uuid.UUID
	HeldOn         time.Time
	Minutes        int
	Mode           string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Validate checks the check-in against its match.
func (c CheckIn) Validate(m MentoringMatch) error {
	var v Validator
	v.Check(!c.HeldOn.Before(m.StartsOn), "held_on", "must not be before the match starts")
	return v.Err()
}

// CheckInFilter narrows a list of check-ins.
type CheckInFilter struct{ MatchID uuid.UUID }

// MatchRepository stores mentoring matches within the caller's reach.
type MatchRepository = Store[MentoringMatch, MatchFilter]

// CheckInRepository stores the check-ins of matches within the caller's reach.
type CheckInRepository = Store[CheckIn, CheckInFilter]
