package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type vacancy struct {
	ID                     uuid.UUID `gorm:"primaryKey"`
	OrganisationID         uuid.UUID
	EmployerName           string
	EmployerOrganisationID *uuid.UUID
	Role                   string
	Band                   *string
	ClosingOn              time.Time `gorm:"type:date"`
	Status                 string
	DeletedAt              *time.Time
	CreatedAt              time.Time `gorm:"<-:false"`
	UpdatedAt              time.Time `gorm:"<-:false"`
	Version                int64     `gorm:"<-:false"`
}

func (vacancy) TableName() string           { return "vacancies" }
func (m vacancy) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m vacancy) rowVersion() int64         { return m.Version }

// NewVacancies returns the vacancies repository.
func NewVacancies(db *DB) domain.VacancyRepository {
	return store[vacancy, domain.Vacancy, domain.VacancyFilter]{
		db: db, what: "vacancy",
		toDomain: func(m vacancy) domain.Vacancy { return domain.Vacancy(m) },
		toModel:  func(m domain.Vacancy) vacancy { return vacancy(m) },
		newID:    func(m *vacancy) { m.ID = NewID() },
		filter: func(s *statement, f domain.VacancyFilter) {
			anyOf(s, "id", f.IDs)
			eq(s, "status", f.Status)
			if f.ClosingAfter != nil {
				s.and("closing_on >= ?", *f.ClosingAfter)
			}
		},
		deleted: func(f domain.VacancyFilter) bool { return f.IncludeDeleted },
		columns: []string{"employer_name", "role", "band", "closing_on", "status", "deleted_at"},
	}
}
