package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type user struct {
	ID               uuid.UUID `gorm:"primaryKey"`
	OrganisationID   uuid.UUID
	Email            string
	PasswordHash     string
	Role             string
	Enabled          bool
	FederatedIssuer  *string
	FederatedSubject *string
	CreatedAt        time.Time `gorm:"<-:false"`
	UpdatedAt        time.Time `gorm:"<-:false"`
	Version          int64     `gorm:"<-:false"`
}

func (user) TableName() string { return "users" }

func (m user) toDomain() domain.User {
	return domain.User{ID: m.ID, OrganisationID: m.OrganisationID, Email: m.Email, PasswordHash: m.PasswordHash,
		Role: domain.Role(m.Role), Enabled: m.Enabled, FederatedIssuer: deref(m.FederatedIssuer), FederatedSubject: deref(m.FederatedSubject),
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func (m user) position() domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }
func (m user) rowVersion() int64         { return m.Version }

func userModel(u domain.User) user {
	return user{ID: u.ID, OrganisationID: u.OrganisationID, Email: strings.ToLower(u.Email), PasswordHash: u.PasswordHash,
		Role: string(u.Role), Enabled: u.Enabled, FederatedIssuer: orNil(u.FederatedIssuer), FederatedSubject: orNil(u.FederatedSubject)}
}

// Users stores users.
type Users struct {
	store[user, domain.User, domain.UserFilter]
	// federated is the same store writing what a federated user's identity provider decides.
	federated store[user, domain.User, domain.UserFilter]
}

// NewUsers returns the users repository.
func NewUsers(db *DB) *Users {
	s := store[user, domain.User, domain.UserFilter]{
		db: db, what: "user", duplicate: "a user with this email",
		toDomain: user.toDomain,
		toModel:  userModel,
		newID:    func(m *user) { m.ID = NewID() },
		filter: func(s *statement, f domain.UserFilter) {
			eq(s, "organisation_id", f.OrganisationID)
			eq(s, "role", f.Role)
		},
		columns: []string{"role", "enabled"},
	}
	federated := s
	federated.columns = []string{"organisation_id", "role", "email"}
	return &Users{store: s, federated: federated}
}

// ByFederatedSubject finds the user linked to subject of issuer. Errors: not_found.
func (r *Users) ByFederatedSubject(ctx context.Context, issuer, subject string) (domain.User, error) {
	m, err := one[user](ctx, r.db, r.tenancy(ctx).to(selectFrom[user]().
		and("federated_issuer = ?", issuer).and("federated_subject = ?", subject)))
	return m.toDomain(), translate(err, "user")
}

// SyncFederated updates a federated user's organisation, role and email. Errors: not_found, conflict.
func (r *Users) SyncFederated(ctx context.Context, id uuid.UUID, change func(*domain.User) error) (domain.User, error) {
	return r.federated.Update(ctx, id, nil, change)
}

// ByEmail finds a user by email, in any case. Errors: not_found.
func (r *Users) ByEmail(ctx context.Context, email string) (domain.User, error) {
	m, err := one[user](ctx, r.db, r.tenancy(ctx).to(selectFrom[user]().and("email = ?", strings.ToLower(strings.TrimSpace(email)))))
	return m.toDomain(), translate(err, "user")
}

// ByID finds a user. Errors: not_found.
func (r *Users) ByID(ctx context.Context, id uuid.UUID) (domain.User, error) { return r.Get(ctx, id) }

// orNil is nil for the empty string: a column whose absence is NULL.
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
