package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type mentoringMatch struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	MentorID       uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	StartsOn       time.Time  `gorm:"type:date"`
	PlannedEndOn   time.Time  `gorm:"type:date"`
	EndedOn        *time.Time `gorm:"type:date"`
	Status         string
	EndReason      *string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (mentoringMatch) TableName() string { return "mentoring_matches" }
func (m mentoringMatch) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m mentoringMatch) rowVersion() int64 { return m.Version }

type checkIn struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	MatchID        uuid.UUID
	OrganisationID uuid.UUID
	HeldOn         time.Time `gorm:"type:date"`
	Minutes        int
	Mode           string
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (checkIn) TableName() string           { return "check_ins" }
func (m checkIn) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m checkIn) rowVersion() int64         { return m.Version }

// NewMatches returns the mentoring matches repository.
func NewMatches(db *DB) domain.MatchRepository {
	return store[mentoringMatch, domain.MentoringMatch, domain.MatchFilter]{
		db: db, what: "mentoring match",
		toDomain:    func(m mentoringMatch) domain.MentoringMatch { return domain.MentoringMatch(m) },
		toModel:     func(m domain.MentoringMatch) mentoringMatch { return mentoringMatch(m) },
		newID:       func(m *mentoringMatch) { m.ID = NewID() },
		participant: "participant_id",
		filter: func(s *statement, f domain.MatchFilter) {
			eq(s, "mentor_id", f.MentorID)
			eq(s, "participant_id", f.ParticipantID)
			eq(s, "status", f.Status)
		},
		deleted: func(f domain.MatchFilter) bool { return f.IncludeDeleted },
		columns: []string{"planned_end_on", "ended_on", "status", "end_reason", "deleted_at"},
	}
}

// NewCheckIns returns the check-ins repository.
func NewCheckIns(db *DB) domain.CheckInRepository {
	return store[checkIn, domain.CheckIn, domain.CheckInFilter]{
		db: db, what: "check-in",
		toDomain: func(m checkIn) domain.CheckIn { return domain.CheckIn(m) },
		toModel:  func(m domain.CheckIn) checkIn { return checkIn(m) },
		newID:    func(m *checkIn) { m.ID = NewID() },
		filter:   func(s *statement, f domain.CheckInFilter) { s.and("match_id = ?", f.MatchID) },
		columns:  []string{"held_on", "minutes", "mode"},
	}
}
