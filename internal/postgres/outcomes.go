package postgres

import (
	"time"

	"github.com/google/uuid"

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

func (m outcome) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m outcome) rowVersion() int64         { return m.Version }

// sustainedDestinations are those whose sustainment is checked at 3 and 6 months.
var sustainedDestinations = []string{domain.DestEmployment, domain.DestApprenticeship}

// NewOutcomes returns the outcomes repository.
func NewOutcomes(db *DB) domain.OutcomeRepository {
	return store[outcome, domain.Outcome, domain.OutcomeFilter]{
		db: db, what: "outcome",
		toDomain:    outcome.toDomain,
		toModel:     outcomeModel,
		newID:       func(m *outcome) { m.ID = NewID() },
		participant: "participant_id",
		filter:      filterOutcomes,
		deleted:     func(f domain.OutcomeFilter) bool { return f.IncludeDeleted },
		columns: []string{"destination", "sector", "employer", "role", "starts_on", "ilr_code", "sustained_3m",
			"sustained_3m_checked_on", "sustained_6m", "sustained_6m_checked_on", "deleted_at"},
	}
}

func filterOutcomes(s *statement, f domain.OutcomeFilter) {
	eq(s, "participant_id", f.ParticipantID)
	eq(s, "enrolment_id", f.EnrolmentID)
	eq(s, "destination", f.Destination)
	if f.Positive != nil {
		s.when(*f.Positive, "destination NOT IN ('none', 'unknown')")
		s.when(!*f.Positive, "destination IN ('none', 'unknown')")
	}
	if f.SustainmentDueBefore != nil {
		s.and(`destination = ANY(?) AND starts_on IS NOT NULL AND deleted_at IS NULL AND (
			(sustained_3m IS NULL AND (starts_on + interval '3 months')::date < ?::date) OR
			(sustained_6m IS NULL AND (starts_on + interval '6 months')::date < ?::date))`, sustainedDestinations, *f.SustainmentDueBefore, *f.SustainmentDueBefore)
	}
}
