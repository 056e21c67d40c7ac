package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

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
	CreatedAt         time.Time `gorm:"<-:false"`
	UpdatedAt         time.Time `gorm:"<-:false"`
	Version           int64     `gorm:"<-:false"`
}

func (cohort) TableName() string { return "cohorts" }

func (m cohort) toDomain() domain.Cohort {
	return domain.Cohort{ID: m.ID, ProgrammeID: m.ProgrammeID, OrganisationID: m.OrganisationID, Name: m.Name,
		StartsOn: m.StartsOn, EndsOn: m.EndsOn, Capacity: m.Capacity, PlacesTaken: m.PlacesTaken, RoleAreas: m.RoleAreas,
		Status: m.Status, DeliveryPartnerID: m.DeliveryPartnerID, FundingAwardRef: m.FundingAwardRef,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func cohortModel(c domain.Cohort) cohort {
	if c.RoleAreas == nil {
		c.RoleAreas = []string{}
	}
	return cohort{ID: c.ID, ProgrammeID: c.ProgrammeID, OrganisationID: c.OrganisationID, Name: c.Name,
		StartsOn: c.StartsOn, EndsOn: c.EndsOn, Capacity: c.Capacity, RoleAreas: c.RoleAreas, Status: c.Status,
		DeliveryPartnerID: c.DeliveryPartnerID, FundingAwardRef: c.FundingAwardRef}
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
		filter: func(q *gorm.DB, f domain.CohortFilter) *gorm.DB {
			q = where(q, map[string]any{"programme_id": f.ProgrammeID, "organisation_id": f.OrganisationID, "status": f.Status})
			if f.StartsFrom != nil {
				q = q.Where("starts_on >= ?", *f.StartsFrom)
			}
			if f.StartsTo != nil {
				q = q.Where("starts_on <= ?", *f.StartsTo)
			}
			return q
		},
		columns: []string{"name", "starts_on", "ends_on", "capacity", "role_areas", "status", "delivery_partner_id", "funding_award_ref"},
	}}
}

// TakePlaces adds delta to the places taken. The row lock of the UPDATE serialises concurrent
// enrolments, and the capacity CHECK refuses the one that would overfill the cohort.
func (r *Cohorts) TakePlaces(ctx context.Context, id uuid.UUID, delta int) error {
	res := r.store.db.conn(ctx).Exec("UPDATE cohorts SET places_taken = places_taken + ? WHERE id = ?", delta, id)
	if res.Error != nil {
		if errors.Is(res.Error, gorm.ErrCheckConstraintViolated) {
			return domain.Errorf(domain.CodeConflict, "the cohort is full")
		}
		return translate(res.Error, "cohort")
	}
	if res.RowsAffected == 0 {
		return domain.NotFound("cohort")
	}
	return nil
}

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
		toDomain: enrolment.toDomain,
		toModel:  func(e domain.Enrolment) enrolment { return enrolment(e) },
		newID:    func(m *enrolment) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.EnrolmentFilter) *gorm.DB {
			return where(q, map[string]any{"cohort_id": f.CohortID, "participant_id": f.ParticipantID, "status": f.Status})
		},
		columns: []string{"status", "referred_on", "enrolled_on", "started_on", "completed_on", "withdrawn_on",
			"withdrawal_reason", "eligibility_override_reason", "history"},
	}
}
