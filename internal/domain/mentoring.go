package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store is the shape of the repositories of delivery records: within the caller's reach,
// Get answers not_found for records out of reach, Update locks, checks ifVersion and saves.
type Store[T any, F any] interface {
	Create(ctx context.Context, v *T) error
	Get(ctx context.Context, id uuid.UUID) (T, error)
	List(ctx context.Context, f F, req PageRequest) (Page[T], error)
	Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*T) error) (T, error)
}

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

// Interview is a participant's interview for a vacancy.
type Interview struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	VacancyID      uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	HeldOn         time.Time
	Result         string // pending, offered, not_offered, withdrawn
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// InterviewFilter narrows a list of interviews.
type InterviewFilter struct {
	VacancyID, ParticipantID *uuid.UUID
	Result                   *string
	IncludeDeleted           bool
}

// Repositories of the mentoring and vacancy records.
type (
	MentorRepository    = Store[Mentor, MentorFilter]
	MatchRepository     = Store[MentoringMatch, MatchFilter]
	CheckInRepository   = Store[CheckIn, CheckInFilter]
	VacancyRepository   = Store[Vacancy, VacancyFilter]
	InterviewRepository = Store[Interview, InterviewFilter]
)
