package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type enrolment struct {
	ID                        uuid.UUID `gorm:"primaryKey"`
	CohortID                  uuid.UUID
	ParticipantID             uuid.UUID
	OrganisationID            uuid.UUID
	Status                    string
	ReferredOn                *time.Time `gorm:"type:date"`
	EnrolledOn                *time.Time `gorm:"type:date"`
	StartedOn                 *time.Time `gorm:"type:date"`
	CompletedOn               *time.Time `gorm:"type:date"`
	WithdrawnOn               *time.Time `gorm:"type:date"`
	WithdrawalReason          *string
	EligibilityOverrideReason *string
	History                   []domain.EnrolmentEvent `gorm:"serializer:json"`
	CreatedAt                 time.Time               `gorm:"<-:false"`
	UpdatedAt                 time.Time               `gorm:"<-:false"`
	Version                   int64                   `gorm:"<-:false"`
}

func (enrolment) TableName() string { return "enrolments" }

func (m enrolment) toDomain() domain.Enrolment { return domain.Enrolment(m) }

func (m enrolment) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m enrolment) rowVersion() int64 { return m.Version }

// NewEnrolments returns the enrolments repository.
func NewEnrolments(db *DB) domain.EnrolmentRepository {
	return store[enrolment, domain.Enrolment, domain.EnrolmentFilter]{
		db: db, what: "enrolment",
		toDomain:    enrolment.toDomain,
		toModel:     func(e domain.Enrolment) enrolment { return enrolment(e) },
		newID:       func(m *enrolment) { m.ID = NewID() },
		participant: "participant_id",
		filter: func(s *statement, f domain.EnrolmentFilter) {
			eq(s, "cohort_id", f.CohortID)
			eq(s, "participant_id", f.ParticipantID)
			eq(s, "status", f.Status)
		},
		columns: []string{"status", "referred_on", "enrolled_on", "started_on", "completed_on", "withdrawn_on",
			"withdrawal_reason", "eligibility_override_reason", "history"},
	}
}
