package postgres

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

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

// tombstones leaves deleted records out of a list unless the caller asked for them or is
// syncing (updated_since), who must see what went.
func tombstones(include bool, req domain.PageRequest) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		if include || req.UpdatedSince != nil {
			return q
		}
		return q.Where("deleted_at IS NULL")
	}
}

func (m placement) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m placement) rowVersion() int64 { return m.Version }

// NewPlacements returns the placements repository.
func NewPlacements(db *DB) domain.PlacementRepository {
	return store[placement, domain.Placement, domain.PlacementFilter]{
		db: db, what: "placement",
		toDomain: placement.toDomain,
		toModel:  func(p domain.Placement) placement { return placement(p) },
		newID:    func(m *placement) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.PlacementFilter) *gorm.DB {
			return where(q, map[string]any{"enrolment_id": f.EnrolmentID, "participant_id": f.ParticipantID, "cohort_id": f.CohortID,
				"kind": f.Kind, "role_area": f.RoleArea, "status": f.Status})
		},
		deleted: func(f domain.PlacementFilter) bool { return f.IncludeDeleted },
		columns: []string{"host_department", "site", "role_area", "supervisor_name", "starts_on", "ends_on", "hours_per_week",
			"status", "end_reason", "deleted_at"},
	}
}
