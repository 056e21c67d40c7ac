package postgres

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The storage models below have the fields of their domain types, so that each converts to
// the other directly; the tags say how PostgreSQL stores them.

type mentor struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	Kind           string
	GivenName      *string
	FamilyName     *string
	Email          *string
	ParticipantID  *uuid.UUID
	TrainedOn      *time.Time `gorm:"type:date"`
	Active         bool
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (mentor) TableName() string           { return "mentors" }
func (m mentor) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m mentor) rowVersion() int64         { return m.Version }

type mentoringMatch struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	MentorID       uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	StartsOn       time.Time  `gorm:"type:date"`
	PlannedEndOn   time.Time  `gorm:"type:date"`
	EndedOn        *time.Time `gorm:"type:date"`
	Status         string
	EndReason      *string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (mentoringMatch) TableName() string { return "mentoring_matches" }
func (m mentoringMatch) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m mentoringMatch) rowVersion() int64 { return m.Version }

type checkIn struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	MatchID        uuid.UUID
	OrganisationID uuid.UUID
	HeldOn         time.Time `gorm:"type:date"`
	Minutes        int
	Mode           string
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (checkIn) TableName() string           { return "check_ins" }
func (m checkIn) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m checkIn) rowVersion() int64         { return m.Version }

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

type interview struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	VacancyID      uuid.UUID
	ParticipantID  uuid.UUID
	EnrolmentID    *uuid.UUID
	HeldOn         time.Time `gorm:"type:date"`
	Result         string
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (interview) TableName() string { return "interviews" }
func (m interview) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m interview) rowVersion() int64 { return m.Version }

// where adds column = value for each value given.
func where(q *gorm.DB, conds map[string]any) *gorm.DB {
	for column, v := range conds {
		switch v := v.(type) {
		case *uuid.UUID:
			if v != nil {
				q = q.Where(column+" = ?", *v)
			}
		case *string:
			if v != nil {
				q = q.Where(column+" = ?", *v)
			}
		case *bool:
			if v != nil {
				q = q.Where(column+" = ?", *v)
			}
		default:
			q = q.Where(column+" = ?", v)
		}
	}
	return q
}

// NewMentors returns the mentors repository.
func NewMentors(db *DB) domain.MentorRepository {
	return store[mentor, domain.Mentor, domain.MentorFilter]{
		db: db, what: "mentor",
		toDomain: func(m mentor) domain.Mentor { return domain.Mentor(m) },
		toModel:  func(m domain.Mentor) mentor { return mentor(m) },
		newID:    func(m *mentor) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.MentorFilter) *gorm.DB {
			return where(q, map[string]any{"organisation_id": f.OrganisationID, "kind": f.Kind, "active": f.Active, "participant_id": f.ParticipantID})
		},
		deleted: func(f domain.MentorFilter) bool { return f.IncludeDeleted },
		columns: []string{"given_name", "family_name", "email", "trained_on", "active", "deleted_at"},
	}
}

// NewMatches returns the mentoring matches repository.
func NewMatches(db *DB) domain.MatchRepository {
	return store[mentoringMatch, domain.MentoringMatch, domain.MatchFilter]{
		db: db, what: "mentoring match",
		toDomain: func(m mentoringMatch) domain.MentoringMatch { return domain.MentoringMatch(m) },
		toModel:  func(m domain.MentoringMatch) mentoringMatch { return mentoringMatch(m) },
		newID:    func(m *mentoringMatch) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.MatchFilter) *gorm.DB {
			return where(q, map[string]any{"mentor_id": f.MentorID, "participant_id": f.ParticipantID, "status": f.Status})
		},
		deleted: func(f domain.MatchFilter) bool { return f.IncludeDeleted },
		columns: []string{"planned_end_on", "ended_on", "status", "end_reason", "deleted_at"},
	}
}

// NewCheckIns returns the check-ins repository.
func NewCheckIns(db *DB) domain.CheckInRepository {
	return store[checkIn, domain.CheckIn, domain.CheckInFilter]{
		db: db, what: "check-in",
		toDomain: func(m checkIn) domain.CheckIn { return domain.CheckIn(m) },
		toModel:  func(m domain.CheckIn) checkIn { return checkIn(m) },
		newID:    func(m *checkIn) { m.ID = NewID() },
		filter:   func(q *gorm.DB, f domain.CheckInFilter) *gorm.DB { return q.Where("match_id = ?", f.MatchID) },
		columns:  []string{"held_on", "minutes", "mode"},
	}
}

// NewVacancies returns the vacancies repository.
func NewVacancies(db *DB) domain.VacancyRepository {
	return store[vacancy, domain.Vacancy, domain.VacancyFilter]{
		db: db, what: "vacancy",
		toDomain: func(m vacancy) domain.Vacancy { return domain.Vacancy(m) },
		toModel:  func(m domain.Vacancy) vacancy { return vacancy(m) },
		newID:    func(m *vacancy) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.VacancyFilter) *gorm.DB {
			q = where(q, map[string]any{"status": f.Status})
			if f.ClosingAfter != nil {
				q = q.Where("closing_on >= ?", *f.ClosingAfter)
			}
			return q
		},
		deleted: func(f domain.VacancyFilter) bool { return f.IncludeDeleted },
		columns: []string{"employer_name", "role", "band", "closing_on", "status", "deleted_at"},
	}
}

// NewInterviews returns the interviews repository.
func NewInterviews(db *DB) domain.InterviewRepository {
	return store[interview, domain.Interview, domain.InterviewFilter]{
		db: db, what: "interview",
		toDomain: func(m interview) domain.Interview { return domain.Interview(m) },
		toModel:  func(m domain.Interview) interview { return interview(m) },
		newID:    func(m *interview) { m.ID = NewID() },
		filter: func(q *gorm.DB, f domain.InterviewFilter) *gorm.DB {
			return where(q, map[string]any{"vacancy_id": f.VacancyID, "participant_id": f.ParticipantID, "result": f.Result})
		},
		deleted: func(f domain.InterviewFilter) bool { return f.IncludeDeleted },
		columns: []string{"held_on", "result", "deleted_at"},
	}
}
