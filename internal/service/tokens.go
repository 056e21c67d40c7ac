package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
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
	AccessToken  string
	ExpiresIn    int    // seconds
	RefreshToken string // users only
	Scope        string
}

// OAuthError is a refusal the token endpoint reports in OAuth 2's own terms.
type OAuthError struct {
	Code        string // invalid_grant, invalid_client, invalid_scope, invalid_request
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

// Throttled says a sign-in was refused for too many failures; retry after RetryAfter.
type Throttled struct{ RetryAfter time.Duration }

func (e *Throttled) Error() string { return "too many failed sign-ins" }

// Accounts signs users and API clients in, turns access tokens into principals, and manages
// users and API clients. One service, because a change of a user or a client must drop the
// principals it cached: sign-in and tokens are here, users in users.go, API clients in
// apiclients.go.
type Accounts struct {
	AccountsDeps
	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cachedPrincipal
}

// AccountsDeps are what Accounts is built on.
type AccountsDeps struct {
	Tx            Transactor
	Users         domain.UserAdminRepository
	APIClients    domain.APIClientRepository
	RefreshTokens domain.RefreshTokenRepository
	Throttle      domain.SignInThrottle
	Organisations domain.OrganisationRepository
	Audit         Auditor
	Tokens        *auth.Tokens
	Federation    *auth.Federation // the identity providers whose tokens Exchange takes; nil: none
	AccessTTL     time.Duration    // the access tokens' lifetime
	RefreshTTL    time.Duration    // how long a refresh token may wait to be used
}

type cachedPrincipal struct {
	principal domain.Principal
	err       error
	until     time.Time
	subject   string
}

// NewAccounts wires sign-in, token resolution and the management of users and API clients.
func NewAccounts(d AccountsDeps) *Accounts {
	return &Accounts{AccountsDeps: d, cache: map[[sha256.Size]byte]cachedPrincipal{}}
}

// errBadCredentials is the one answer to an unknown email, a wrong password and a disabled
// account alike, so that sign-in tells nobody which emails exist.
var errBadCredentials = &OAuthError{Code: "invalid_grant", Description: "the email or password is wrong"}

// throttleAfter consecutive failures of one account name block it for a doubling time.
const throttleAfter = 5

func blockFor(failures int) time.Duration {
	if failures < throttleAfter {
		return 0
	}
	return min(time.Second<<(failures-throttleAfter), 15*time.Minute)
}

func throttleKey(kind, name string) string {
	return kind + ":" + hex.EncodeToString(auth.HashSecret(strings.ToLower(strings.TrimSpace(name))))
}

// SignIn checks a user's password and issues an access token and a refresh token.
// Errors: *OAuthError, *Throttled.
func (s *Accounts) SignIn(ctx context.Context, email, password string) (SignedIn, error) {
	ctx = domain.WithPrincipal(ctx, System())
	key := throttleKey("email", email)
	var out SignedIn
	var refused error
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if until, err := s.Throttle.BlockedUntil(ctx, key); err != nil || time.Now().Before(until) {
			if err == nil {
				refused = &Throttled{RetryAfter: time.Until(until)}
			}
			return err
		}
		u, err := s.Users.ByEmail(ctx, email)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound:
			auth.EqualiseTiming(password)
			refused = errBadCredentials
		case err != nil:
			return err
		case u.PasswordHash == "": // a federated user, who signs in at its identity provider
			auth.EqualiseTiming(password)
			refused = errBadCredentials
		case !auth.VerifyPassword(u.PasswordHash, password) || !u.Enabled:
			refused = errBadCredentials
		}
		if refused != nil { // the failure counts and is audited, so the transaction commits
			if err := s.Throttle.Fail(ctx, key, blockFor); err != nil {
				return err
			}
			return s.auditFailure(ctx, "auth.login_failed", "user", u.ID, u.OrganisationID)
		}
		if err := s.Throttle.Clear(ctx, key); err != nil {
			return err
		}
		out, err = s.issueForUser(ctx, u, uuid.Nil)
		if err != nil {
			return err
		}
		return audit(asActor(ctx, userSubject(u.ID), u.OrganisationID), s.Audit, "auth.login", "user", u.ID, &u.OrganisationID, nil)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// issueForUser issues an access token and a refresh token of family (a new family when nil).
func (s *Accounts) issueForUser(ctx context.Context, u domain.User, family uuid.UUID) (SignedIn, error) {
	scope := strings.Join(domain.ScopesOf(u.Role), " ")
	access, _, err := s.Tokens.Issue(userSubject(u.ID), u.OrganisationID.String(), string(u.Role), scope, "")
	if err != nil {
		return SignedIn{}, err
	}
	refresh, err := auth.NewSecret()
	if err != nil {
		return SignedIn{}, err
	}
	if family == uuid.Nil {
		family = uuid.Must(uuid.NewV7())
	}
	rt := domain.RefreshToken{FamilyID: family, UserID: u.ID, OrganisationID: u.OrganisationID,
		TokenHash: auth.HashSecret(refresh), ExpiresAt: time.Now().Add(s.RefreshTTL)}
	if err := s.RefreshTokens.Create(ctx, &rt); err != nil {
		return SignedIn{}, err
	}
	return SignedIn{AccessToken: access, ExpiresIn: int(s.AccessTTL.Seconds()), RefreshToken: refresh, Scope: scope}, nil
}

// Refresh exchanges a refresh token for a new pair. A token works once: presenting a used or
// revoked one revokes its whole family, so a thief and the owner cannot both carry on.
// Errors: *OAuthError.
func (s *Accounts) Refresh(ctx context.Context, token string) (SignedIn, error) {
	ctx = domain.WithPrincipal(ctx, System())
	var out SignedIn
	var refused error
	invalid := &OAuthError{Code: "invalid_grant", Description: "the refresh token is not valid"}
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		rt, err := s.RefreshTokens.ByHashForUpdate(ctx, auth.HashSecret(token))
		if domain.ErrorCode(err) == domain.CodeNotFound {
			refused = invalid
			return nil
		}
		if err != nil {
			return err
		}
		now := time.Now()
		if rt.UsedAt != nil || rt.RevokedAt != nil {
			refused = invalid
			if err := s.RefreshTokens.RevokeFamily(ctx, rt.FamilyID, now); err != nil {
				return err
			}
			return audit(asActor(ctx, userSubject(rt.UserID), rt.OrganisationID), s.Audit, "auth.refresh_reuse", "user", rt.UserID, &rt.OrganisationID, nil)
		}
		u, err := s.Users.ByID(ctx, rt.UserID)
		if err != nil || !u.Enabled || now.After(rt.ExpiresAt) {
			refused = invalid
			return nil
		}
		if err := s.RefreshTokens.MarkUsed(ctx, rt.ID, now); err != nil {
			return err
		}
		out, err = s.issueForUser(ctx, u, rt.FamilyID)
		if err != nil {
			return err
		}
		return audit(asActor(ctx, userSubject(u.ID), u.OrganisationID), s.Audit, "auth.refresh", "user", u.ID, &u.OrganisationID, nil)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// RevokeRefresh revokes a refresh token's family; an unknown token is no error (RFC 7009).
func (s *Accounts) RevokeRefresh(ctx context.Context, token string) error {
	ctx = domain.WithPrincipal(ctx, System())
	return s.Tx.InTx(ctx, func(ctx context.Context) error {
		rt, err := s.RefreshTokens.ByHashForUpdate(ctx, auth.HashSecret(token))
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.RefreshTokens.RevokeFamily(ctx, rt.FamilyID, time.Now()); err != nil {
			return err
		}
		return audit(asActor(ctx, userSubject(rt.UserID), rt.OrganisationID), s.Audit, "auth.revoke", "user", rt.UserID, &rt.OrganisationID, nil)
	})
}

// ClientCredentials signs an API client in. Errors: *OAuthError, *Throttled.
func (s *Accounts) ClientCredentials(ctx context.Context, clientID, secret string, requested []string) (SignedIn, error) {
	ctx = domain.WithPrincipal(ctx, System())
	key := throttleKey("client", clientID)
	var out SignedIn
	var refused error
	badClient := &OAuthError{Code: "invalid_client", Description: "the client id or secret is wrong"}
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if until, err := s.Throttle.BlockedUntil(ctx, key); err != nil || time.Now().Before(until) {
			if err == nil {
				refused = &Throttled{RetryAfter: time.Until(until)}
			}
			return err
		}
		c, err := s.APIClients.ByClientID(ctx, clientID)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound:
			auth.SecretMatches(secret, make([]byte, 32)) // the same work as a real check
			refused = badClient
		case err != nil:
			return err
		case !auth.SecretMatches(secret, c.SecretHash) || c.Revoked():
			refused = badClient
		}
		if refused != nil {
			if err := s.Throttle.Fail(ctx, key, blockFor); err != nil {
				return err
			}
			return s.auditFailure(ctx, "auth.client_failed", "api_client", c.ID, c.OrganisationID)
		}
		scopes, err := c.GrantedScopes(requested)
		if err != nil {
			refused = &OAuthError{Code: "invalid_scope", Description: err.(*domain.Error).Fields[0].Message}
			return nil
		}
		scope := strings.Join(scopes, " ")
		token, _, err := s.Tokens.Issue(clientSubject(c.ID), c.OrganisationID.String(), "", scope, c.ClientID)
		if err != nil {
			return err
		}
		out = SignedIn{AccessToken: token, ExpiresIn: int(s.AccessTTL.Seconds()), Scope: scope}
		if err := s.Throttle.Clear(ctx, key); err != nil {
			return err
		}
		return audit(asActor(ctx, clientSubject(c.ID), c.OrganisationID), s.Audit, "auth.client_token", "api_client", c.ID, &c.OrganisationID, nil)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// auditFailure records a refused sign-in (a wrong password or secret; an unknown, disabled or
// revoked account) in the name of "anonymous": the caller proved nothing. When the name given
// is an account's (id is not nil), the event names the account and its organisation, whose
// admins then see the attempts on their accounts; otherwise it belongs to no organisation, and
// only the national team sees it. Nothing that was typed is recorded.
func (s *Accounts) auditFailure(ctx context.Context, action, resourceType string, id, org uuid.UUID) error {
	event := domain.AuditEvent{Actor: "anonymous", Action: action, ResourceType: resourceType, RequestID: domain.RequestIDFrom(ctx)}
	if id != uuid.Nil {
		event.ResourceID, event.OrganisationID = id.String(), &org
	}
	return s.Audit.Record(ctx, event)
}

// asActor returns ctx acting as subject, with reach over its own organisation only: the audit
// event of a sign-in is written in the name of the one who signed in.
func asActor(ctx context.Context, subject string, org uuid.UUID) context.Context {
	return domain.WithPrincipal(ctx, domain.Principal{Subject: subject, OrganisationID: org, Reach: []uuid.UUID{org}})
}

// Authenticate verifies an access token and returns the principal it speaks for, as the
// database has it now (within principalTTL): a disabled user's or a revoked client's token
// stops working. Each token's answer is kept for principalTTL (never past its expiry), so
// the signature check and the database read happen once per token and interval, not per
// request. Errors: unauthenticated.
func (s *Accounts) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	key := sha256.Sum256([]byte(token)) // the cache holds no token, only its hash
	now := time.Now()
	s.mu.RLock()
	c, ok := s.cache[key]
	s.mu.RUnlock()
	if ok && now.Before(c.until) {
		return c.principal, c.err
	}
	claims, err := s.Tokens.Verify(token)
	if err != nil {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the access token is not valid")
	}
	p, err := s.resolve(ctx, claims)
	if err != nil && domain.ErrorCode(err) != domain.CodeUnauthenticated {
		return p, err // a database fault is not the caller's fault: do not cache it
	}
	until := now.Add(principalTTL)
	if claims.ExpiresAt != nil && claims.ExpiresAt.Before(until) {
		until = claims.ExpiresAt.Time
	}
	s.mu.Lock()
	if len(s.cache) > 100_000 {
		clear(s.cache) // bounded: a flood of distinct tokens cannot grow it without end
	}
	s.cache[key] = cachedPrincipal{principal: p, err: err, until: until, subject: claims.Subject}
	s.mu.Unlock()
	return p, err
}

func (s *Accounts) resolve(ctx context.Context, claims auth.AccessClaims) (domain.Principal, error) {
	ctx = domain.WithPrincipal(ctx, System())
	disabled := domain.Errorf(domain.CodeUnauthenticated, "the account is disabled or revoked")
	kind, id, _ := strings.Cut(claims.Subject, ":")
	uid, err := uuid.Parse(id)
	if err != nil || uid.String() != id { // only the canonical form that Issue writes
		err = errors.New("not canonical")
	}
	if err != nil {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthenticated, "the access token is not valid")
	}
	p := domain.Principal{Subject: claims.Subject}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		switch kind {
		case "user":
			u, err := s.Users.ByID(ctx, uid)
			if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && !u.Enabled) {
				return disabled
			}
			if err != nil {
				return err
			}
			p.OrganisationID, p.Role, p.Scopes = u.OrganisationID, u.Role, domain.ScopesOf(u.Role)
		case "client":
			c, err := s.APIClients.Get(ctx, uid)
			if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && c.Revoked()) {
				return disabled
			}
			if err != nil {
				return err
			}
			// The token's scope, never more than the client holds now.
			p.OrganisationID, p.Purpose = c.OrganisationID, c.Purpose
			for _, sc := range strings.Fields(claims.Scope) {
				if slices.Contains(c.Scopes, sc) {
					p.Scopes = append(p.Scopes, sc)
				}
			}
		default:
			return domain.Errorf(domain.CodeUnauthenticated, "the access token is not valid")
		}
		return s.fillReach(ctx, &p)
	})
	return p, err
}

// fillReach sets what the principal may see: everything for the national team, its own
// organisation otherwise, and a collaboration's member trusts too.
func (s *Accounts) fillReach(ctx context.Context, p *domain.Principal) error {
	org, err := s.Organisations.Get(ctx, p.OrganisationID)
	if err != nil {
		return err
	}
	// The national team's users see everything; its API clients, if any, too.
	p.AllOrganisations = org.Kind == domain.KindNational
	p.Reach = append([]uuid.UUID{org.ID}, org.MemberIDs...)
	return nil
}

func userSubject(id uuid.UUID) string   { return "user:" + id.String() }
func clientSubject(id uuid.UUID) string { return "client:" + id.String() }

func firstOr[T any](items []T) T {
	var zero T
	if len(items) == 0 {
		return zero
	}
	return items[0]
}

// forget drops the cached principals of subject's tokens.
func (s *Accounts) forget(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.cache {
		if c.subject == subject {
			delete(s.cache, k)
		}
	}
}
