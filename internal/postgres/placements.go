package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// Placements stores placements.
type Placements struct{ db *DB }

// NewPlacements returns the placements repository.
func NewPlacements(db *DB) *Placements { return &Placements{db} }

// Create inserts p, giving it an id.
func (r *Placements) Create(ctx context.Context, p *domain.Placement) error {
	m := placement(*p)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "placement")
	}
	*p = m.toDomain()
	return nil
}

// Get returns a placement within reach, deleted or not. Errors: not_found.
func (r *Placements) Get(ctx context.Context, id uuid.UUID) (domain.Placement, error) {
	var m placement
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "placement")
}

// List returns a page of placements within reach.
func (r *Placements) List(ctx context.Context, f domain.PlacementFilter, req domain.PageRequest) (domain.Page[domain.Placement], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), tombstones(f.IncludeDeleted, req), page("placements", req))
	for column, v := range map[string]*uuid.UUID{"enrolment_id": f.EnrolmentID, "participant_id": f.ParticipantID, "cohort_id": f.CohortID} {
		if v != nil {
			q = q.Where(column+" = ?", *v)
		}
	}
	for column, v := range map[string]*string{"kind": f.Kind, "role_area": f.RoleArea, "status": f.Status} {
		if v != nil {
			q = q.Where(column+" = ?", *v)
		}
	}
	var rows []placement
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Placement]{}, translate(err, "list placements")
	}
	return cut(rows, req.Limit, func(m placement) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, placement.toDomain), nil
}

// Update locks placement id, checks its version, lets change edit it and saves it.
func (r *Placements) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Placement) error) (domain.Placement, error) {
	var out domain.Placement
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m placement
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "placement")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the placement has changed since version %d", *ifVersion)
		}
		p := m.toDomain()
		if err := change(&p); err != nil {
			return err
		}
		m = placement(p)
		err = r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("host_department", "site", "role_area", "supervisor_name",
			"starts_on", "ends_on", "hours_per_week", "status", "end_reason", "deleted_at").Updates(&m).Error
		if err != nil {
			return translate(err, "placement")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
