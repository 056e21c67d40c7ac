package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type cohort struct {
	ID                uuid.UUID `gorm:"primaryKey"`
	ProgrammeID       uuid.UUID
	OrganisationID    uuid.UUID
	Name              string
	StartsOn          time.Time `gorm:"type:date"`
	EndsOn            time.Time `gorm:"type:date"`
	Capacity          int
	PlacesTaken       int      `gorm:"<-:false"` // only TakePlaces writes it
	RoleAreas         []string `gorm:"serializer:json"`
	Status            string
	DeliveryPartnerID *uuid.UUID
	FundingAwardRef   *string
	FundingAwardID    *uuid.UUID
	CreatedAt         time.Time `gorm:"<-:false"`
	UpdatedAt         time.Time `gorm:"<-:false"`
	Version           int64     `gorm:"<-:false"`
}

func (cohort) TableName() string { return "cohorts" }

func (m cohort) toDomain() domain.Cohort {
	return domain.Cohort{ID: m.ID, ProgrammeID: m.ProgrammeID, OrganisationID: m.OrganisationID, Name: m.Name,
		StartsOn: m.StartsOn, EndsOn: m.EndsOn, Capacity: m.Capacity, PlacesTaken: m.PlacesTaken, RoleAreas: m.RoleAreas,
		Status: m.Status, DeliveryPartnerID: m.DeliveryPartnerID, FundingAwardRef: m.FundingAwardRef,
		FundingAwardID: m.FundingAwardID, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func cohortModel(c domain.Cohort) cohort {
	if c.RoleAreas == nil {
		c.RoleAreas = []string{}
	}
	return cohort{ID: c.ID, ProgrammeID: c.ProgrammeID, OrganisationID: c.OrganisationID, Name: c.Name,
		StartsOn: c.StartsOn, EndsOn: c.EndsOn, Capacity: c.Capacity, RoleAreas: c.RoleAreas, Status: c.Status,
		DeliveryPartnerID: c.DeliveryPartnerID, FundingAwardRef: c.FundingAwardRef, FundingAwardID: c.FundingAwardID}
}

func (m cohort) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m cohort) rowVersion() int64         { return m.Version }

// Cohorts stores cohorts.
type Cohorts struct {
	store[cohort, domain.Cohort, domain.CohortFilter]
}

// NewCohorts returns the cohorts repository.
func NewCohorts(db *DB) *Cohorts {
	return &Cohorts{store[cohort, domain.Cohort, domain.CohortFilter]{
		db: db, what: "cohort",
		toDomain: cohort.toDomain,
		toModel:  cohortModel,
		newID:    func(m *cohort) { m.ID = NewID() },
		filter: func(s *statement, f domain.CohortFilter) {
			anyOf(s, "id", f.IDs)
			eq(s, "programme_id", f.ProgrammeID)
			eq(s, "organisation_id", f.OrganisationID)
			eq(s, "status", f.Status)
			if f.StartsFrom != nil {
				s.and("starts_on >= ?", *f.StartsFrom)
			}
			if f.StartsTo != nil {
				s.and("starts_on <= ?", *f.StartsTo)
			}
			eq(s, "funding_award_id", f.FundingAwardID)
		},
		columns: []string{"name", "starts_on", "ends_on", "capacity", "role_areas", "status", "delivery_partner_id", "funding_award_ref", "funding_award_id"},
	}}
}

// TakePlaces adds delta to the places taken. The row lock of the UPDATE serialises concurrent
// enrolments, and the capacity CHECK refuses the one that would overfill the cohort.
func (r *Cohorts) TakePlaces(ctx context.Context, id uuid.UUID, delta int) error {
	tag, err := r.db.Exec(ctx, "UPDATE cohorts SET places_taken = places_taken + $1 WHERE id = $2", delta, id)
	if sqlState(err) == "23514" { // check_violation: places_taken <= capacity
		return domain.Errorf(domain.CodeConflict, "the cohort is full")
	}
	if err != nil {
		return translate(err, "cohort")
	}
	if tag.RowsAffected() == 0 {
		return domain.NotFound("cohort")
	}
	return nil
}
