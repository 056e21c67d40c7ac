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
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "email = ?", strings.ToLower(strings.TrimSpace(email))).Error
	return m.toDomain(), translate(err, "user")
}

// ByID finds a user. Errors: not_found.
func (r *Users) ByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	var m user
	err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Take(&m, "id = ?", id).Error
	return m.toDomain(), translate(err, "user")
}

// List returns a page of users within reach.
func (r *Users) List(ctx context.Context, f domain.UserFilter, req domain.PageRequest) (domain.Page[domain.User], error) {
	q := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id"), page("users", req))
	if f.OrganisationID != nil {
		q = q.Where("organisation_id = ?", *f.OrganisationID)
	}
	if f.Role != nil {
		q = q.Where("role = ?", *f.Role)
	}
	var rows []user
	if err := q.Find(&rows).Error; err != nil {
		return domain.Page[domain.User]{}, translate(err, "list users")
	}
	return cut(rows, req.Limit, func(m user) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, user.toDomain), nil
}

// Update locks user id, checks its version, lets change edit it and saves it.
// Errors: not_found, precondition_failed, and whatever change returns.
func (r *Users) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, change func(*domain.User) error) (domain.User, error) {
	var out domain.User
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		var m user
		err := r.db.conn(ctx).Scopes(reach(ctx, "organisation_id")).Clauses(clause.Locking{Strength: "UPDATE"}).Take(&m, "id = ?", id).Error
		if err != nil {
			return translate(err, "user")
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return domain.Errorf(domain.CodePreconditionFailed, "the user has changed since version %d", *ifVersion)
		}
		u := m.toDomain()
		if err := change(&u); err != nil {
			return err
		}
		m.Role, m.Enabled = string(u.Role), u.Enabled
		if err := r.db.conn(ctx).Model(&m).Clauses(clause.Returning{}).Select("role", "enabled").Updates(&m).Error; err != nil {
			return translate(err, "user")
		}
		out = m.toDomain()
		return nil
	})
	return out, err
}
