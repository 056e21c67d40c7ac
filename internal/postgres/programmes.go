package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type programme struct {
	ID                uuid.UUID `gorm:"primaryKey"`
	Code              string
	Name              string
	Category          string
	Description       string
	MinAge            int
	MaxAge            *int
	RequiresBenefit   bool
	MinDurationDays   *int
	MaxDurationDays   *int
	DeliveryPartnerID *uuid.UUID
	CreatedAt         time.Time `gorm:"<-:false"`
	UpdatedAt         time.Time `gorm:"<-:false"`
	Version           int64     `gorm:"<-:false"`
}

func (programme) TableName() string { return "programmes" }

func (m programme) toDomain() domain.Programme {
	return domain.Programme{
		ID: m.ID, Code: m.Code, Name: m.Name, Category: domain.ProgrammeCategory(m.Category), Description: m.Description,
		MinAge: m.MinAge, MaxAge: m.MaxAge, RequiresBenefit: m.RequiresBenefit,
		MinDurationDays: m.MinDurationDays, MaxDurationDays: m.MaxDurationDays, DeliveryPartnerID: m.DeliveryPartnerID,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version,
	}
}

func programmeModel(p domain.Programme) programme {
	return programme{
		ID: p.ID, Code: p.Code, Name: p.Name, Category: string(p.Category), Description: p.Description,
		MinAge: p.MinAge, MaxAge: p.MaxAge, RequiresBenefit: p.RequiresBenefit,
		MinDurationDays: p.MinDurationDays, MaxDurationDays: p.MaxDurationDays, DeliveryPartnerID: p.DeliveryPartnerID,
	}
}

// Programmes stores the catalogue, which every principal may read.
type Programmes struct{ db *DB }

// NewProgrammes returns the programmes repository.
func NewProgrammes(db *DB) *Programmes { return &Programmes{db} }

// Create inserts p, giving it an id. Errors: conflict (code taken, unknown delivery partner).
func (r *Programmes) Create(ctx context.Context, p *domain.Programme) error {
	m := programmeModel(*p)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "a programme with this code")
	}
	*p = m.toDomain()
	return nil
}

// Get returns a programme. Errors: not_found.
func (r *Programmes) Get(ctx context.Context, id uuid.UUID) (domain.Programme, error) {
	var m programme
	if err := r.db.conn(ctx).Take(&m, "id = ?", id).Error; err != nil {
		return domain.Programme{}, translate(err, "programme")
	}
	return m.toDomain(), nil
}

// List returns a page of the catalogue.
func (r *Programmes) List(ctx context.Context, f domain.ProgrammeFilter, req domain.PageRequest) (domain.Page[domain.Programme], error) {
	q := r.db.conn(ctx).Scopes(page("programmes", req))
	if f.Category != nil {
		q = q.Where("category = ?", *f.Category)
	}
	var rows []programme
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Programme]{}, translate(err, "list programmes")
	}
	return cut(rows, req.Limit, func(m programme) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, programme.toDomain), nil
}

// Update locks programme id, checks its version when ifVersion is set, lets change edit it and
// writes it back. Errors: not_found, precondition_failed, conflict, and whatever change returns.
func (r *Programmes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Programme) error) (domain.Programme, error) {
	var out domain.Programme
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m programme
		if err := r.db.conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error; err != nil {
			return translate(err, "programme")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the programme has changed since version %d", *ifVersion)
		}
		p := m.toDomain()
		if err := change(&p); err != nil {
			return err
		}
		m = programmeModel(p)
		err := r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("name", "description", "min_age", "max_age",
			"requires_benefit", "min_duration_days", "max_duration_days", "delivery_partner_id").Updates(&m).Error
		if err != nil {
			return translate(err, "programme")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
