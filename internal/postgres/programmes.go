package postgres

import (
	"time"

	"github.com/google/uuid"

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

func (m programme) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m programme) rowVersion() int64 { return m.Version }

// NewProgrammes returns the catalogue, which every principal may read.
func NewProgrammes(db *DB) domain.ProgrammeRepository {
	return store[programme, domain.Programme, domain.ProgrammeFilter]{
		db: db, what: "programme", duplicate: "a programme with this code",
		toDomain: programme.toDomain,
		toModel:  programmeModel,
		newID:    func(m *programme) { m.ID = NewID() },
		filter:   func(s *statement, f domain.ProgrammeFilter) { eq(s, "category", f.Category) },
		columns: []string{"name", "description", "min_age", "max_age", "requires_benefit", "min_duration_days",
			"max_duration_days", "delivery_partner_id"},
		scope: everyone,
	}
}
