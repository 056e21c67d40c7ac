package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is returned (wrapped) by Tokens.Verify for every failure.
// The wrapped text names the reason (expired, bad signature, ...) but never
// repeats anything from the token.
var ErrInvalidToken = errors.New("invalid access token")

const (
	// MaxTokenLength is the longest token Verify will parse. Issue refuses
	// to mint a longer one.
	MaxTokenLength = 8 << 10
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway = 30 * time.Second
	// TokenType is the JOSE "typ" header of access tokens (RFC 9068 §2.1).
	TokenType = "at+jwt"
)

// AccessClaims are the claims of an access token (RFC 9068).
type AccessClaims struct {
	jwt.RegisteredClaims // iss, aud, sub, exp, iat, nbf, jti

	Organisation string `json:"org"`
	Role         string `json:"role,omitempty"`      // users
	Scope        string `json:"scope,omitempty"`     // API clients: space-separated scopes (RFC 9068)
	ClientID     string `json:"client_id,omitempty"` // API clients
}

// errDateNotNumber: RFC 7519 §2 makes exp, iat and nbf NumericDates, JSON numbers; jwt's
// NumericDate would also read one from a string such as "1999999999".
var errDateNotNumber = errors.New("exp, iat and nbf must be numbers")

// UnmarshalJSON decodes claims whose dates are JSON numbers, and refuses any other.
func (c *AccessClaims) UnmarshalJSON(b []byte) error {
	var dates struct {
		Exp, Iat, Nbf json.RawMessage
	}
	if err := json.Unmarshal(b, &dates); err != nil {
		return err
	}
	for _, d := range []json.RawMessage{dates.Exp, dates.Iat, dates.Nbf} {
		if d != nil && !isNumber(d) {
			return errDateNotNumber
		}
	}
	type plain AccessClaims // without this method
	return json.Unmarshal(b, (*plain)(c))
}

// isNumber reports whether raw, one JSON value, is a number.
func isNumber(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9')
}

// Tokens issues and verifies access tokens for one issuer and audience.
// It is safe for concurrent use.
type Tokens struct {
	keys     *KeySet
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// NewTokens returns a Tokens that signs with keys' signing key, verifies
// with any key of keys, and issues tokens valid for ttl.
func NewTokens(keys *KeySet, issuer, audience string, ttl time.Duration) (*Tokens, error) {
	switch {
	case keys == nil:
		return nil, errors.New("auth: tokens: key set is nil")
	case issuer == "":
		return nil, errors.New("auth: tokens: issuer is empty")
	case audience == "":
		return nil, errors.New("auth: tokens: audience is empty")
	case ttl <= 0:
		return nil, errors.New("auth: tokens: ttl must be positive")
	}
	t := &Tokens{keys: keys, issuer: issuer, audience: audience, ttl: ttl, now: time.Now}
	t.parser = t.newParser()
	return t, nil
}

// WithClock returns a copy of t that reads the time from now, for tests.
// t itself is unchanged.
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	c := *t
	c.now = now
	c.parser = c.newParser()
	return &c
}

func (t *Tokens) newParser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
}

// Issue signs an access token for subject sub of organisation org. Users
// have a role; API clients have space-separated scopes and a client id.
// It returns the token and the claims it carries.
func (t *Tokens) Issue(sub, org, role, scope, clientID string) (string, AccessClaims, error) {
	if sub == "" {
		return "", AccessClaims{}, errors.New("auth: issue: subject is empty")
	}
	if org == "" {
		return "", AccessClaims{}, errors.New("auth: issue: organisation is empty")
	}
	jti, err := newTokenID()
	if err != nil {
		return "", AccessClaims{}, fmt.Errorf("auth: issue: %w", err)
	}
	now := jwt.NewNumericDate(t.now()) // truncated to whole seconds, as encoded
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   sub,
			Audience:  jwt.ClaimStrings{t.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			NotBefore: now,
			IssuedAt:  now,
			ID:        jti,
		},
		Organisation: org,
		Role:         role,
		Scope:        scope,
		ClientID:     clientID,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["typ"] = TokenType
	tok.Header["kid"] = t.keys.signing.ID
	signed, err := tok.SignedString(t.keys.signing.Private)
	if err != nil {
		return "", AccessClaims{}, fmt.Errorf("auth: issue: signing: %w", err)
	}
	if len(signed) > MaxTokenLength {
		return "", AccessClaims{}, fmt.Errorf("auth: issue: token would be %d bytes, over the %d byte limit", len(signed), MaxTokenLength)
	}
	return signed, claims, nil
}

// newTokenID returns a random 128-bit id, base64url without padding.
func newTokenID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Reasons found by the key func; they become the wrapped text of
// ErrInvalidToken.
var (
	errBadType    = errors.New("typ header is not " + TokenType)
	errNoKid      = errors.New("kid header is missing or not a string")
	errUnknownKid = errors.New("kid is not a known key")
	errCrit       = errors.New("crit header is not supported")
)

// Verify checks token's signature, algorithm, type, issuer, audience and
// times and returns its claims. Every failure is ErrInvalidToken (test with
// errors.Is).
func (t *Tokens) Verify(token string) (AccessClaims, error) {
	if len(token) > MaxTokenLength {
		return AccessClaims{}, invalid("token is longer than 8 KiB")
	}
	var claims AccessClaims
	if _, err := t.parser.ParseWithClaims(token, &claims, t.keyFunc); err != nil {
		return AccessClaims{}, invalid(reason(err))
	}
	// RFC 9068 §2.2 makes these mandatory; the parser only checks them when present.
	switch {
	case claims.Subject == "":
		return AccessClaims{}, invalid("sub claim is required")
	case claims.IssuedAt == nil:
		return AccessClaims{}, invalid("iat claim is required")
	case claims.ID == "":
		return AccessClaims{}, invalid("jti claim is required")
	case claims.Organisation == "":
		return AccessClaims{}, invalid("org claim is required")
	}
	return claims, nil
}

// keyFunc runs after the header is decoded and the algorithm is checked
// against the allow-list, and before the signature is verified.
func (t *Tokens) keyFunc(tok *jwt.Token) (any, error) {
	if tok.Method != jwt.SigningMethodEdDSA { // belt and braces over WithValidMethods
		return nil, errors.New("algorithm is not EdDSA")
	}
	typ, _ := tok.Header["typ"].(string)
	if !strings.EqualFold(typ, TokenType) && !strings.EqualFold(typ, "application/"+TokenType) {
		return nil, errBadType
	}
	// RFC 7515 §4.1.11: extensions we do not understand must be refused.
	if _, ok := tok.Header["crit"]; ok {
		return nil, errCrit
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return nil, errNoKid
	}
	pub, ok := t.keys.lookup(kid)
	if !ok {
		return nil, errUnknownKid
	}
	return pub, nil
}

func invalid(why string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, why)
}

// reason turns a jwt error into fixed text: the library's own messages may
// quote header values (the algorithm, say) from the token.
func reason(err error) string {
	for _, e := range []error{errBadType, errNoKid, errUnknownKid, errCrit} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	switch {
	case errors.Is(err, errDateNotNumber):
		return "malformed token: " + errDateNotNumber.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrEd25519Verification):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "algorithm not allowed or unusable key"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "token is unverifiable"
	}
	// Claims: several may fail together.
	var why []string
	for _, c := range []struct {
		err error
		why string
	}{
		{jwt.ErrTokenExpired, "token is expired"},
		{jwt.ErrTokenNotValidYet, "token is not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, "token is issued in the future"},
		{jwt.ErrTokenInvalidAudience, "wrong audience"},
		{jwt.ErrTokenInvalidIssuer, "wrong issuer"},
		{jwt.ErrTokenRequiredClaimMissing, "a required claim is missing"},
		{jwt.ErrInvalidType, "a claim has the wrong type"},
	} {
		if errors.Is(err, c.err) {
			why = append(why, c.why)
		}
	}
	if len(why) == 0 {
		return "token is invalid"
	}
	return strings.Join(why, ", ")
}
