package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type interview struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	VacancyID      uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	HeldOn         time.Time `gorm:"type:date"`
	Result         string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (interview) TableName() string { return "interviews" }
func (m interview) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m interview) rowVersion() int64 { return m.Version }

// NewInterviews returns the interviews repository.
func NewInterviews(db *DB) domain.InterviewRepository {
	return store[interview, domain.Interview, domain.InterviewFilter]{
		db: db, what: "interview",
		toDomain:    func(m interview) domain.Interview { return domain.Interview(m) },
		toModel:     func(m domain.Interview) interview { return interview(m) },
		newID:       func(m *interview) { m.ID = NewID() },
		participant: "participant_id",
		filter: func(s *statement, f domain.InterviewFilter) {
			eq(s, "vacancy_id", f.VacancyID)
			eq(s, "participant_id", f.ParticipantID)
			eq(s, "result", f.Result)
		},
		deleted: func(f domain.InterviewFilter) bool { return f.IncludeDeleted },
		columns: []string{"held_on", "result", "deleted_at"},
	}
}
