package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The storage models of mentoring, vacancies and interviews have the fields of their domain
// types, so that each converts to the other directly; the tags say how PostgreSQL stores them.

type mentor struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	Kind           string
	GivenName      *string
	FamilyName     *string
	Email          *string
	ParticipantID  *uuid.UUID
	TrainedOn      *time.Time `gorm:"type:date"`
	Active         bool
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (mentor) TableName() string           { return "mentors" }
func (m mentor) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m mentor) rowVersion() int64         { return m.Version }

// NewMentors returns the mentors repository.
func NewMentors(db *DB) domain.MentorRepository {
	return store[mentor, domain.Mentor, domain.MentorFilter]{
		db: db, what: "mentor",
		toDomain: func(m mentor) domain.Mentor { return domain.Mentor(m) },
		toModel:  func(m domain.Mentor) mentor { return mentor(m) },
		newID:    func(m *mentor) { m.ID = NewID() },
		// A peer mentor made from a participant carries their names: withheld with them. A
		// professional mentor names no participant.
		scope: func(ctx context.Context) condition {
			return reach(ctx, "organisation_id").and(forHR(ctx,
				"(participant_id IS NULL OR participant_id IN (SELECT participants.id FROM participants WHERE participants.consent_hr_sharing))"))
		},
		filter: func(s *statement, f domain.MentorFilter) {
			eq(s, "organisation_id", f.OrganisationID)
			eq(s, "kind", f.Kind)
			eq(s, "active", f.Active)
			eq(s, "participant_id", f.ParticipantID)
		},
		deleted: func(f domain.MentorFilter) bool { return f.IncludeDeleted },
		columns: []string{"given_name", "family_name", "email", "trained_on", "active", "deleted_at"},
	}
}
