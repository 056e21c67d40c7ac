package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// IssuerUnavailable says a trusted issuer's discovery document or keys cannot be fetched now,
// so a token it issued cannot be checked: the token endpoint answers temporarily_unavailable.
type IssuerUnavailable struct {
	Issuer string
	Err    error
}

func (e *IssuerUnavailable) Error() string {
	return fmt.Sprintf("the identity provider %s cannot be reached: %v", e.Issuer, e.Err)
}

func (e *IssuerUnavailable) Unwrap() error { return e.Err }

// Exchange signs in a person of a trusted identity provider with an ID token or JWT access
// token the provider issued (RFC 8693 token exchange). The person is a p4w user linked by
// (issuer, subject), made on their first exchange; the organisation and role the issuer's
// rules give are applied again at every exchange, so a change of group at the provider takes
// effect at the next one. A user an admin disabled in p4w stays refused.
//
// The answer holds an access token only, no refresh token: the provider stays the judge of
// whether the person may still sign in (a leaver disabled there is out of p4w when the access
// token expires), and a front end exchanges a fresh provider token instead of refreshing.
// Errors: *OAuthError, *IssuerUnavailable.
func (s *Accounts) Exchange(ctx context.Context, subjectToken string) (SignedIn, error) {
	ctx = domain.WithPrincipal(ctx, System())
	if s.Federation == nil {
		return SignedIn{}, &OAuthError{Code: "unsupported_grant_type",
			Description: "token exchange is not enabled: this installation trusts no identity provider (P4W_OIDC_ISSUERS)"}
	}
	id, verr := s.Federation.Verify(ctx, subjectToken)
	if un := (*auth.Unavailable)(nil); errors.As(verr, &un) {
		return SignedIn{}, &IssuerUnavailable{Issuer: un.Issuer, Err: un.Err}
	}
	var out SignedIn
	var refused error
	refuse := func(ctx context.Context, reason string, u domain.User) error {
		refused = &OAuthError{Code: "invalid_grant", Description: reason}
		return s.auditFailure(ctx, "auth.exchange_failed", "user", u.ID, u.OrganisationID)
	}
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if verr != nil {
			return refuse(ctx, verr.Error(), domain.User{})
		}
		// One exchange of an identity at a time: two first exchanges must not both make a user.
		if _, err := s.Throttle.BlockedUntil(ctx, throttleKey("federated", id.Issuer+"\n"+id.Subject)); err != nil {
			return err
		}
		u, err := s.Users.ByFederatedSubject(ctx, id.Issuer, id.Subject)
		known := err == nil
		if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
			return err
		}
		m, err := s.Federation.Map(ctx, id, s.organisationOfODSCode)
		if r := (*auth.Refused)(nil); errors.As(err, &r) {
			return refuse(ctx, r.Reason, u)
		} else if err != nil {
			return err
		}
		org, err := s.Organisations.Get(ctx, m.OrganisationID)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound:
			return refuse(ctx, fmt.Sprintf("rule %d of the issuer names an organisation_id p4w does not have", m.Rule), u)
		case err != nil:
			return err
		case m.Role == domain.RoleNationalAdmin && org.Kind != domain.KindNational:
			return refuse(ctx, fmt.Sprintf("rule %d of the issuer gives national_admin at an organisation that is not the national team", m.Rule), u)
		case known && !u.Enabled:
			return refuse(ctx, "the p4w account of this identity is disabled; an admin of its organisation can enable it", u)
		}
		email, err := s.federatedEmail(ctx, id, u.ID)
		if err != nil {
			return err
		}
		if u, err = s.linkFederated(ctx, u, known, org.ID, m.Role, email, id); err != nil {
			return err
		}
		scope := strings.Join(domain.ScopesOf(u.Role), " ")
		access, _, err := s.Tokens.Issue(userSubject(u.ID), u.OrganisationID.String(), string(u.Role), scope, "")
		if err != nil {
			return err
		}
		out = SignedIn{AccessToken: access, ExpiresIn: int(s.AccessTTL.Seconds()), Scope: scope}
		return audit(asActor(ctx, userSubject(u.ID), u.OrganisationID), s.Audit, "auth.token_exchange", "user", u.ID, &u.OrganisationID, nil)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// linkFederated makes the user of a federated identity on its first exchange, and afterwards
// applies what the issuer now says of its organisation, role and email, auditing each change
// in the person's own name.
func (s *Accounts) linkFederated(ctx context.Context, u domain.User, known bool, org uuid.UUID, role domain.Role, email string, id auth.Identity) (domain.User, error) {
	if !known {
		u = domain.User{OrganisationID: org, Email: email, Role: role, Enabled: true,
			FederatedIssuer: id.Issuer, FederatedSubject: id.Subject}
		if err := s.Users.Create(ctx, &u); err != nil {
			return u, err
		}
		return u, audit(asActor(ctx, userSubject(u.ID), org), s.Audit, "user.create", "user", u.ID, &org,
			[]string{"email", "role", "organisation_id"})
	}
	var changed []string
	if u.OrganisationID != org {
		changed = append(changed, "organisation_id")
	}
	if u.Role != role {
		changed = append(changed, "role")
	}
	if u.Email != email {
		changed = append(changed, "email")
	}
	if len(changed) == 0 {
		return u, nil
	}
	u, err := s.Users.SyncFederated(ctx, u.ID, func(u *domain.User) error {
		u.OrganisationID, u.Role, u.Email = org, role, email
		return nil
	})
	if err != nil {
		return u, err
	}
	s.forget(userSubject(u.ID)) // the tokens already issued speak for the new role within principalTTL anyway
	return u, audit(asActor(ctx, userSubject(u.ID), org), s.Audit, "user.update", "user", u.ID, &org, changed)
}

// federatedEmail is the email a federated user is listed with: the token's email claim when it
// is an address no other user has, and otherwise one made from the identity that can receive
// no mail (.invalid, RFC 2606), since every user has an email and each a different one.
func (s *Accounts) federatedEmail(ctx context.Context, id auth.Identity, self uuid.UUID) (string, error) {
	email := strings.ToLower(strings.TrimSpace(id.Email))
	if a, err := mail.ParseAddress(email); err == nil && a.Address == email && len(email) <= 254 {
		other, err := s.Users.ByEmail(ctx, email)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && other.ID == self):
			return email, nil
		case err != nil:
			return "", err
		}
	}
	h := sha256.Sum256([]byte(id.Issuer + "\n" + id.Subject))
	return hex.EncodeToString(h[:10]) + "@federated.invalid", nil
}

// organisationOfODSCode finds the organisation with an ODS code, for the issuers' rules.
func (s *Accounts) organisationOfODSCode(ctx context.Context, code string) (uuid.UUID, bool, error) {
	page, err := s.Organisations.List(ctx, domain.OrganisationFilter{ODSCode: &code}, domain.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return uuid.Nil, false, err
	}
	return page.Items[0].ID, true, nil
}
