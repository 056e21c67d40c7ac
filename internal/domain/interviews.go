package domain

import (
	"time"

	"github.com/google/uuid"
)

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

// InterviewRepository stores interviews within the caller's reach.
type InterviewRepository = Store[Interview, InterviewFilter]
