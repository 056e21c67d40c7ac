package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type outcome struct {
	ID                   uuid.UUID `gorm:"primaryKey"`
	ParticipantID        uuid.UUID
	EnrolmentID          *uuid.UUID
	OrganisationID       uuid.UUID
	Destination          string
	Sector               *string
	Employer             *string
	Role                 *string
	StartsOn             *time.Time `gorm:"type:date"`
	ILRCode              string     `gorm:"column:ilr_code"`
	Sustained3m          *string    `gorm:"column:sustained_3m"`
	Sustained3mCheckedOn *time.Time `gorm:"column:sustained_3m_checked_on;type:date"`
	Sustained6m          *string    `gorm:"column:sustained_6m"`
	Sustained6mCheckedOn *time.Time `gorm:"column:sustained_6m_checked_on;type:date"`
	DeletedAt            *time.Time
	CreatedAt            time.Time `gorm:"<-:false"`
	UpdatedAt            time.Time `gorm:"<-:false"`
	Version              int64     `gorm:"<-:false"`
}

func (outcome) TableName() string { return "outcomes" }

func checkOf(result *string, on *time.Time) *domain.SustainmentCheck {
	if result == nil || on == nil {
		return nil
	}
	return &domain.SustainmentCheck{Result: *result, CheckedOn: *on}
}

func checkColumns(c *domain.SustainmentCheck) (*string, *time.Time) {
	if c == nil {
		return nil, nil
	}
	return &c.Result, &c.CheckedOn
}

func (m outcome) toDomain() domain.Outcome {
	return domain.Outcome{ID: m.ID, ParticipantID: m.ParticipantID, EnrolmentID: m.EnrolmentID, OrganisationID: m.OrganisationID,
		Destination: m.Destination, Sector: m.Sector, Employer: m.Employer, Role: m.Role, StartsOn: m.StartsOn, ILRCode: m.ILRCode,
		Sustained3m: checkOf(m.Sustained3m, m.Sustained3mCheckedOn), Sustained6m: checkOf(m.Sustained6m, m.Sustained6mCheckedOn),
		DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func outcomeModel(o domain.Outcome) outcome {
	m := outcome{ID: o.ID, ParticipantID: o.ParticipantID, EnrolmentID: o.EnrolmentID, OrganisationID: o.OrganisationID,
		Destination: o.Destination, Sector: o.Sector, Employer: o.Employer, Role: o.Role, StartsOn: o.StartsOn, ILRCode: o.ILRCode,
		DeletedAt: o.DeletedAt}
	m.Sustained3m, m.Sustained3mCheckedOn = checkColumns(o.Sustained3m)
	m.Sustained6m, m.Sustained6mCheckedOn = checkColumns(o.Sustained6m)
	return m
}

// Outcomes stores outcomes.
type Outcomes struct{ db *DB }

// NewOutcomes returns the outcomes repository.
func NewOutcomes(db *DB) *Outcomes { return &Outcomes{db} }

// Create inserts o, giving it an id.
func (r *Outcomes) Create(ctx context.Context, o *domain.Outcome) error {
	m := outcomeModel(*o)
	m.ID = NewID()
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "outcome")
	}
	*o = m.toDomain()
	return nil
}

// Get returns an outcome within reach, deleted or not. Errors: not_found.
func (r *Outcomes) Get(ctx context.Context, id uuid.UUID) (domain.Outcome, error) {
	var m outcome
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "outcome")
}

// sustainedDestinations are those whose sustainment is checked at 3 and 6 months.
var sustainedDestinations = []string{domain.DestEmployment, domain.DestApprenticeship}

// List returns a page of outcomes within reach.
func (r *Outcomes) List(ctx context.Context, f domain.OutcomeFilter, req domain.PageRequest) (domain.Page[domain.Outcome], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), tombstones(f.IncludeDeleted, req), page("outcomes", req))
	for column, v := range map[string]*uuid.UUID{"participant_id": f.ParticipantID, "enrolment_id": f.EnrolmentID} {
		if v != nil {
			q = q.Where(column+" = ?", *v)
		}
	}
	if f.Destination != nil {
		q = q.Where("destination = ?", *f.Destination)
	}
	if f.Positive != nil {
		if *f.Positive {
			q = q.Where("destination NOT IN ('none', 'unknown')")
		} else {
			q = q.Where("destination IN ('none', 'unknown')")
		}
	}
	if f.SustainmentDueBefore != nil {
		// The same rule as domain.Outcome.SustainmentDue, so that the list pages in the database.
		q = q.Where(`destination IN ? AND starts_on IS NOT NULL AND deleted_at IS NULL AND (
			(sustained_3m IS NULL AND starts_on + interval '3 months' < ?) OR
			(sustained_6m IS NULL AND starts_on + interval '6 months' < ?))`, sustainedDestinations, *f.SustainmentDueBefore, *f.SustainmentDueBefore)
	}
	var rows []outcome
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.Outcome]{}, translate(err, "list outcomes")
	}
	return cut(rows, req.Limit, func(m outcome) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, outcome.toDomain), nil
}

// Update locks outcome id, checks its version, lets change edit it and saves it.
func (r *Outcomes) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.Outcome) error) (domain.Outcome, error) {
	var out domain.Outcome
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m outcome
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "outcome")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the outcome has changed since version %d", *ifVersion)
		}
		o := m.toDomain()
		if err := change(&o); err != nil {
			return err
		}
		m = outcomeModel(o)
		err = r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("destination", "sector", "employer", "role", "starts_on",
			"ilr_code", "sustained_3m", "sustained_3m_checked_on", "sustained_6m", "sustained_6m_checked_on", "deleted_at").Updates(&m).Error
		if err != nil {
			return translate(err, "outcome")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
