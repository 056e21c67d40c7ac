package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// principalTTL bounds how long a disabled user's token keeps working, and how long a change of
// role or of a collaboration's members takes to reach requests.
const principalTTL = 5 * time.Second

// SignedIn is the answer to a successful sign-in.
type SignedIn struct {
	AccessToken string
	ExpiresIn   int // seconds
	Scope       string
}

// Accounts signs users in and turns access tokens into principals.
type Accounts struct {
	tx     Transactor
	users  domain.UserRepository
	orgs   domain.OrganisationRepository
	audit  Auditor
	tokens *auth.Tokens
	ttl    time.Duration

	mu    sync.Mutex
	cache map[string]cachedPrincipal
}

type cachedPrincipal struct {
	principal domain.Principal
	err       error
	until     time.Time
}

// NewAccounts wires sign-in and token resolution; ttl is the access tokens' lifetime.
func NewAccounts(tx Transactor, users domain.UserRepository, orgs domain.OrganisationRepository, audit Auditor, tokens *auth.Tokens, ttl time.Duration) *Accounts {
	return &Accounts{tx: tx, users: users, orgs: orgs, audit: audit, tokens: tokens, ttl: ttl, cache: map[string]cachedPrincipal{}}
}

// errBadCredentials is the one answer to an unknown email, a wrong password and a disabled
// account alike, so that sign-in tells nobody which emails exist.
var errBadCredentials = domain.Errorf(domain.CodeUnauthenticated, "the email or password is wrong")

// SignIn checks a user's password and issues an access token. Errors: unauthenticated.
func (s *Accounts) SignIn(ctx context.Context, email, password string) (SignedIn, error) {
	ctx = domain.WithPrincipal(ctx, System())
	u, err := s.users.ByEmail(ctx, email)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		auth.EqualiseTiming(password)
		return SignedIn{}, errBadCredentials
	}
	if err != nil {
		return SignedIn{}, err
	}
	if !auth.VerifyPassword(u.PasswordHash, password) || !u.Enabled {
		return SignedIn{}, errBadCredentials
	}
	scope := strings.Join(domain.ScopesOf(u.Role), " ")
	token, _, err := s.tokens.Issue(userSubject(u.ID), u.OrganisationID.String(), string(u.Role), scope, "")
	if err != nil {
		return SignedIn{}, err
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		ctx = domain.WithPrincipal(ctx, domain.Principal{Subject: userSubject(u.ID)})
		return audit(ctx, s.audit, "auth.login", "user", u.ID, &u.OrganisationID, nil)
	})
	return SignedIn{AccessToken: token, ExpiresIn: int(s.ttl.Seconds()), Scope: scope}, err
}

// Authenticate verifies an access token and returns the principal it speaks for, as the
// database has it now (within principalTTL): a disabled user's token stops working.
// Errors: unauthenticated.
func (s *Accounts) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	claims, err := s.tokens.Verify(token)
	if err != nil {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the access token is not valid")
	}
	s.mu.Lock()
	c, ok := s.cache[claims.Subject]
	s.mu.Unlock()
	if ok && time.Now().Before(c.until) {
		return c.principal, c.err
	}
	p, err := s.resolve(ctx, claims.Subject)
	if err != nil && domain.ErrorCode(err) != domain.CodeUnauthenticated {
		return p, err // a database fault is not the caller's fault: do not cache it
	}
	s.mu.Lock()
	if len(s.cache) > 100_000 {
		clear(s.cache) // bounded: a flood of distinct subjects cannot grow it without end
	}
	s.cache[claims.Subject] = cachedPrincipal{principal: p, err: err, until: time.Now().Add(principalTTL)}
	s.mu.Unlock()
	return p, err
}

func (s *Accounts) resolve(ctx context.Context, subject string) (domain.Principal, error) {
	ctx = domain.WithPrincipal(ctx, System())
	id, ok := strings.CutPrefix(subject, "user:")
	uid, err := uuid.Parse(id)
	if !ok || err != nil {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the access token is not valid")
	}
	u, err := s.users.ByID(ctx, uid)
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && !u.Enabled) {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the account is disabled")
	}
	if err != nil {
		return domain.Principal{}, err
	}
	p := domain.Principal{Subject: subject, OrganisationID: u.OrganisationID, Role: u.Role, Scopes: domain.ScopesOf(u.Role)}
	return p, s.fillReach(ctx, &p)
}

// fillReach sets what the principal may see: everything for the national team, its own
// organisation otherwise, and a collaboration's member trusts too.
func (s *Accounts) fillReach(ctx context.Context, p *domain.Principal) error {
	org, err := s.orgs.Get(ctx, p.OrganisationID)
	if err != nil {
		return err
	}
	p.AllOrganisations = org.Kind == domain.KindNational
	p.Reach = append([]uuid.UUID{org.ID}, org.MemberIDs...)
	return nil
}

// Bootstrap creates the national organisation, if there is none, and its first national_admin.
// Running it again with the same email changes nothing. Errors: invalid (password policy).
func (s *Accounts) Bootstrap(ctx context.Context, email, password string) (created bool, err error) {
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return false, domain.Invalid("password", err.Error())
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return false, domain.Invalid("email", "is not an email address")
	}
	ctx = domain.WithPrincipal(ctx, System())
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.users.ByEmail(ctx, email); err == nil {
			return nil
		}
		national, err := s.nationalOrganisation(ctx)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		u := domain.User{OrganisationID: national.ID, Email: email, PasswordHash: hash, Role: domain.RoleNationalAdmin, Enabled: true}
		if err := s.users.Create(ctx, &u); err != nil {
			return err
		}
		created = true
		return audit(ctx, s.audit, "user.create", "user", u.ID, &national.ID, []string{"email", "role", "organisation_id"})
	})
	return created, err
}

func (s *Accounts) nationalOrganisation(ctx context.Context) (domain.Organisation, error) {
	kind := domain.KindNational
	page, err := s.orgs.List(ctx, domain.OrganisationFilter{Kind: &kind}, domain.PageRequest{Limit: 1})
	if err != nil || len(page.Items) > 0 {
		return firstOr(page.Items), err
	}
	o := domain.Organisation{Kind: domain.KindNational, Name: "Health Education England — National Widening Participation Team"}
	if err := s.orgs.Create(ctx, &o); err != nil {
		return o, err
	}
	return o, audit(ctx, s.audit, "organisation.create", "organisation", o.ID, &o.ID, []string{"kind", "name"})
}

// CreateUser adds a user; only for p4w's own jobs (the demo seed) until the users API exists.
func (s *Accounts) CreateUser(ctx context.Context, u domain.User, password string) (domain.User, error) {
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return u, domain.Invalid("password", err.Error())
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return u, err
	}
	u.PasswordHash, u.Enabled = hash, true
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.users.Create(ctx, &u); err != nil {
			return err
		}
		return audit(ctx, s.audit, "user.create", "user", u.ID, &u.OrganisationID, []string{"email", "role", "organisation_id"})
	})
	return u, err
}

func userSubject(id uuid.UUID) string { return "user:" + id.String() }

func firstOr[T any](items []T) T {
	var zero T
	if len(items) == 0 {
		return zero
	}
	return items[0]
}
