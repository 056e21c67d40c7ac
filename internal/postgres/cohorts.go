package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// Cohorts stores cohorts.
type Cohorts struct{ db *DB }

// NewCohorts returns the cohorts repository.
func NewCohorts(db *DB) *Cohorts { return &Cohorts{db} }

// Create inserts c, giving it an id.
func (r *Cohorts) Create(ctx context.Context, c *domain.Cohort) error {
	m := cohortModel(*c)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "cohort")
	}
	*c = m.toDomain()
	return nil
}

// Get returns a cohort within reach. Errors: not_found.
func (r *Cohorts) Get(ctx context.Context, id uuid.UUID) (domain.Cohort, error) {
	var m cohort
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "cohort")
}

// List returns a page of cohorts within reach.
func (r *Cohorts) List(ctx context.Context, f domain.CohortFilter, req domain.PageRequest) (domain.Page[domain.Cohort], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), page("cohorts", req))
	for column, v := range map[string]*uuid.UUID{"programme_id": f.ProgrammeID, "organisation_id": f.OrganisationID} {
		if v != nil {
			q = q.Where(column+" = ?", *v)
		}
	}
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.StartsFrom != nil {
		q = q.Where("starts_on >= ?", *f.StartsFrom)
	}
	if f.StartsTo != nil {
		q = q.Where("starts_on <= ?", *f.StartsTo)
	}
	var rows []cohort
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Cohort]{}, translate(err, "list cohorts")
	}
	return cut(rows, req.Limit, func(m cohort) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, cohort.toDomain), nil
}

// Update locks cohort id, checks its version, lets change edit it and saves it.
func (r *Cohorts) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Cohort) error) (domain.Cohort, error) {
	var out domain.Cohort
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m cohort
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "cohort")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the cohort has changed since version %d", *ifVersion)
		}
		c := m.toDomain()
		if err := change(&c); err != nil {
			return err
		}
		m = cohortModel(c)
		err = r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("name", "starts_on", "ends_on", "capacity",
			"role_areas", "status", "delivery_partner_id", "funding_award_ref").Updates(&m).Error
		if err != nil {
			return translate(err, "cohort")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}

// TakePlaces adds delta to the places taken. The row lock of the UPDATE serialises concurrent
// enrolments, and the capacity CHECK refuses the one that would overfill the cohort.
func (r *Cohorts) TakePlaces(ctx context.Context, id uuid.UUID, delta int) error {
	res := r.db.conn(ctx).Exec("UPDATE cohorts SET places_taken = places_taken + ? WHERE id = ?", delta, id)
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

// Enrolments stores enrolments.
type Enrolments struct{ db *DB }

// NewEnrolments returns the enrolments repository.
func NewEnrolments(db *DB) *Enrolments { return &Enrolments{db} }

// Create inserts e, giving it an id. Errors: conflict (the participant is already in the cohort).
func (r *Enrolments) Create(ctx context.Context, e *domain.Enrolment) error {
	m := enrolment(*e)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "an enrolment of this participant in this cohort")
	}
	*e = m.toDomain()
	return nil
}

// Get returns an enrolment within reach. Errors: not_found.
func (r *Enrolments) Get(ctx context.Context, id uuid.UUID) (domain.Enrolment, error) {
	var m enrolment
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "enrolment")
}

// List returns a page of enrolments within reach.
func (r *Enrolments) List(ctx context.Context, f domain.EnrolmentFilter, req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), page("enrolments", req))
	for column, v := range map[string]*uuid.UUID{"cohort_id": f.CohortID, "participant_id": f.ParticipantID} {
		if v != nil {
			q = q.Where(column+" = ?", *v)
		}
	}
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	var rows []enrolment
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Enrolment]{}, translate(err, "list enrolments")
	}
	return cut(rows, req.Limit, func(m enrolment) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, enrolment.toDomain), nil
}

// Update locks enrolment id, checks its version, lets change edit it and saves it.
func (r *Enrolments) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Enrolment) error) (domain.Enrolment, error) {
	var out domain.Enrolment
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m enrolment
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "enrolment")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the enrolment has changed since version %d", *ifVersion)
		}
		e := m.toDomain()
		if err := change(&e); err != nil {
			return err
		}
		m = enrolment(e)
		err = r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("status", "referred_on", "enrolled_on", "started_on",
			"completed_on", "withdrawn_on", "withdrawal_reason", "eligibility_override_reason", "history").Updates(&m).Error
		if err != nil {
			return translate(err, "enrolment")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
