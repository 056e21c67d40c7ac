package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type placement struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	EnrolmentID    uuid.UUID
	ParticipantID  uuid.UUID
	CohortID       uuid.UUID
	OrganisationID uuid.UUID
	Kind           string
	HostDepartment string
	Site           *string
	RoleArea       string
	SupervisorName *string
	StartsOn       time.Time `gorm:"type:date"`
	EndsOn         time.Time `gorm:"type:date"`
	HoursPerWeek   *float64
	Status         string
	EndReason      *string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (placement) TableName() string { return "placements" }

func (m placement) toDomain() domain.Placement { return domain.Placement(m) }

func (m placement) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m placement) rowVersion() int64 { return m.Version }

// NewPlacements returns the placements repository.
func NewPlacements(db *DB) domain.PlacementRepository {
	return store[placement, domain.Placement, domain.PlacementFilter]{
		db: db, what: "placement",
		toDomain:    placement.toDomain,
		toModel:     func(p domain.Placement) placement { return placement(p) },
		newID:       func(m *placement) { m.ID = NewID() },
		participant: "participant_id",
		filter: func(s *statement, f domain.PlacementFilter) {
			eq(s, "enrolment_id", f.EnrolmentID)
			eq(s, "participant_id", f.ParticipantID)
			eq(s, "cohort_id", f.CohortID)
			eq(s, "kind", f.Kind)
			eq(s, "role_area", f.RoleArea)
			eq(s, "status", f.Status)
		},
		deleted: func(f domain.PlacementFilter) bool { return f.IncludeDeleted },
		columns: []string{"host_department", "site", "role_area", "supervisor_name", "starts_on", "ends_on", "hours_per_week",
			"status", "end_reason", "deleted_at"},
	}
}
