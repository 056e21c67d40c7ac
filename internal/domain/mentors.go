package domain

import (
	"time"

	"github.com/google/uuid"
)

// Mentor is a professional online mentor, or a peer mentor who may have been a participant.
type Mentor struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Kind           string // professional, peer
	GivenName      *string
	FamilyName     *string
	Email          *string
	ParticipantID  *uuid.UUID
	TrainedOn      *time.Time
	Active         bool
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// MentorFilter narrows a list of mentors.
type MentorFilter struct {
	OrganisationID *uuid.UUID
	Kind           *string
	Active         *bool
	ParticipantID  *uuid.UUID
	IncludeDeleted bool
}

// MentorChange is a merge patch of a mentor.
type MentorChange struct {
	GivenName, FamilyName *string
	Email                 Change[string]
	TrainedOn             Change[time.Time]
	Active                *bool
}

// Apply changes m in place.
func (c MentorChange) Apply(m *Mentor) {
	if c.GivenName != nil {
		m.GivenName = c.GivenName
	}
	if c.FamilyName != nil {
		m.FamilyName = c.FamilyName
	}
	if c.Active != nil {
		m.Active = *c.Active
	}
	c.Email.Apply(&m.Email)
	c.TrainedOn.Apply(&m.TrainedOn)
}

// PeerMentorFrom makes a peer mentor of a participant who completed peer-mentor training,
// taking the participant's own details rather than having them keyed in again.
// Errors: invalid (erased, or no completed mentoring enrolment).
func PeerMentorFrom(p Participant, completedMentoring *Enrolment, trainedOn *time.Time) (Mentor, error) {
	if p.Erased() {
		return Mentor{}, Invalid("participant_id", "was erased")
	}
	if completedMentoring == nil {
		return Mentor{}, Invalid("participant_id", "has not completed peer-mentor training: no completed enrolment in a mentoring programme")
	}
	if trainedOn == nil {
		trainedOn = completedMentoring.CompletedOn
	}
	id := p.ID
	return Mentor{OrganisationID: p.OrganisationID, Kind: "peer", GivenName: p.GivenName, FamilyName: p.FamilyName,
		Email: p.Email, ParticipantID: &id, TrainedOn: trainedOn, Active: true}, nil
}

// EraseFor wipes what a peer mentor's record holds of an erased participant.
func (m *Mentor) EraseFor() {
	m.GivenName, m.FamilyName, m.Email, m.Active = nil, nil, nil, false
}

// MentorRepository stores mentors within the caller's reach.
type MentorRepository = Store[Mentor, MentorFilter]
