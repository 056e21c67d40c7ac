package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type user struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	Email          string
	PasswordHash   string
	Role           string
	Enabled        bool
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (user) TableName() string { return "users" }

func (m user) toDomain() domain.User {
	return domain.User{ID: m.ID, OrganisationID: m.OrganisationID, Email: m.Email, PasswordHash: m.PasswordHash,
		Role: domain.Role(m.Role), Enabled: m.Enabled, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

// Users stores users.
type Users struct{ db *DB }

// NewUsers returns the users repository.
func NewUsers(db *DB) *Users { return &Users{db} }

// Create inserts u, giving it an id. Errors: conflict (email taken).
func (r *Users) Create(ctx context.Context, u *domain.User) error {
	m := user{ID: NewID(), OrganisationID: u.OrganisationID, Email: strings.ToLower(u.Email), PasswordHash: u.PasswordHash,
		Role: string(u.Role), Enabled: u.Enabled}
	if err := r.db.conn(ctx).Clauses(clause.Returning{}).Create(&m).Error; err != nil {
		return translate(err, "a user with this email")
	}
	*u = m.toDomain()
	return nil
}

// ByEmail finds a user by email. Errors: not_found.
func (r *Users) ByEmail(ctx context.Context, email string) (domain.User, error) {
	var m user
	err := r.db.conn(ctx).Take(&m, "email = ?", strings.ToLower(strings.TrimSpace(email))).Error
	return m.toDomain(), translate(err, "user")
}

// ByID finds a user. Errors: not_found.
func (r *Users) ByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	var m user
	err := r.db.conn(ctx).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "user")
}
