package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://p4w.test"
	testAudience = "p4w-api"
	testTTL      = 15 * time.Minute
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func newTestKey(t testing.TB) Key {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: KeyID(pub), Private: priv, Public: pub}
}

func newTestKeySet(t testing.TB, signing Key, verifyOnly ...Key) *KeySet {
	t.Helper()
	ks, err := NewKeySet(signing, verifyOnly...)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// newTestTokens returns Tokens over ks whose clock reads t0.
func newTestTokens(t testing.TB, ks *KeySet) *Tokens {
	t.Helper()
	tk, err := NewTokens(ks, testIssuer, testAudience, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	return tk.WithClock(at(t0))
}

// validClaims are the claims Issue would produce at t0.
func validClaims() AccessClaims {
	return AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   "user:0190a4b2-0000-7000-8000-000000000001",
			Audience:  jwt.ClaimStrings{testAudience},
			ExpiresAt: jwt.NewNumericDate(t0.Add(testTTL)),
			NotBefore: jwt.NewNumericDate(t0),
			IssuedAt:  jwt.NewNumericDate(t0),
			ID:        "dGVzdC1qdGktMDAwMDAwMQ",
		},
		Organisation: "0190a4b2-0000-7000-8000-0000000000aa",
		Role:         "coordinator",
	}
}

// sign hand-builds a token. header entries override the defaults (alg from
// method, typ JWT); a nil value deletes the entry.
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	ks := newTestKeySet(t, newTestKey(t))
	tk := newTestTokens(t, ks)

	token, issued, err := tk.Issue("client:42", "org-1", "", "participants:read programmes:read", "client-42")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}

	if got.Issuer != testIssuer || got.Subject != "client:42" || got.Organisation != "org-1" ||
		got.Role != "" || got.Scope != "participants:read programmes:read" || got.ClientID != "client-42" {
		t.Errorf("claims = %+v", got)
	}
	if len(got.Audience) != 1 || got.Audience[0] != testAudience {
		t.Errorf("aud = %v, want [%s]", got.Audience, testAudience)
	}
	if !got.IssuedAt.Equal(t0) || !got.NotBefore.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(testTTL)) {
		t.Errorf("iat %v nbf %v exp %v, want %v, %v, %v", got.IssuedAt, got.NotBefore, got.ExpiresAt, t0, t0, t0.Add(testTTL))
	}
	if got.ID != issued.ID || got.Subject != issued.Subject || !got.ExpiresAt.Equal(issued.ExpiresAt.Time) ||
		!got.IssuedAt.Equal(issued.IssuedAt.Time) || got.Organisation != issued.Organisation {
		t.Errorf("verified claims %+v differ from issued %+v", got, issued)
	}
	jti, err := base64.RawURLEncoding.DecodeString(got.ID)
	if err != nil || len(jti) != 16 {
		t.Errorf("jti %q is not 128 bits of base64url (%v)", got.ID, err)
	}

	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	header := decodeSegment(t, parts[0])
	if header["alg"] != "EdDSA" || header["typ"] != "at+jwt" || header["kid"] != ks.Signing().ID {
		t.Errorf("header = %v, want alg EdDSA, typ at+jwt, kid %s", header, ks.Signing().ID)
	}
	payload := decodeSegment(t, parts[1])
	// One audience (golang-jwt encodes it as a one-element array, which
	// RFC 7519 §4.1.3 allows).
	if aud, ok := payload["aud"].([]any); !ok || len(aud) != 1 || aud[0] != testAudience {
		t.Errorf("payload aud = %#v, want [%q]", payload["aud"], testAudience)
	}
	for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "org", "scope", "client_id"} {
		if _, ok := payload[c]; !ok {
			t.Errorf("payload lacks %q: %v", c, payload)
		}
	}
	if _, ok := payload["role"]; ok {
		t.Errorf("payload has an empty role: %v", payload)
	}

	// A user's token carries a role.
	token2, _, err := tk.Issue("user:1", "org-1", "org_admin", "", "")
	if err != nil {
		t.Fatal(err)
	}
	got2, err := tk.Verify(token2)
	if err != nil || got2.Role != "org_admin" || got2.Scope != "" {
		t.Errorf("user token: %+v, %v", got2, err)
	}
	if got2.ID == got.ID {
		t.Error("two tokens share a jti")
	}
}

func TestVerifyAcceptsMediaTypeTyp(t *testing.T) {
	key := newTestKey(t)
	tk := newTestTokens(t, newTestKeySet(t, key))
	for _, typ := range []string{"at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"} {
		token := sign(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": key.ID, "typ": typ}, validClaims())
		if _, err := tk.Verify(token); err != nil {
			t.Errorf("typ %q: %v", typ, err)
		}
	}
}

func TestVerifyLeeway(t *testing.T) {
	tk := newTestTokens(t, newTestKeySet(t, newTestKey(t)))
	token, _, err := tk.Issue("user:1", "org-1", "viewer", "", "")
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Add(testTTL)
	if _, err := tk.WithClock(at(exp.Add(Leeway - time.Second))).Verify(token); err != nil {
		t.Errorf("within leeway after exp: %v", err)
	}
	if _, err := tk.WithClock(at(t0.Add(-Leeway + time.Second))).Verify(token); err != nil {
		t.Errorf("within leeway before nbf/iat: %v", err)
	}
	if _, err := tk.WithClock(at(exp.Add(Leeway))).Verify(token); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("at exp+leeway: %v, want ErrInvalidToken", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	key := newTestKey(t)
	ks := newTestKeySet(t, key)
	tk := newTestTokens(t, ks)
	good := map[string]any{"kid": key.ID, "typ": "at+jwt"}
	with := func(k string, v any) map[string]any {
		h := map[string]any{"kid": key.ID, "typ": "at+jwt"}
		h[k] = v
		return h
	}
	claims := func(edit func(*AccessClaims)) AccessClaims {
		c := validClaims()
		edit(&c)
		return c
	}
	_, impostor, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issued, _, err := tk.Issue("user:1", "org-1", "viewer", "", "")
	if err != nil {
		t.Fatal(err)
	}
	big := claims(func(c *AccessClaims) { c.Scope = strings.Repeat("participants:read ", 500) })

	// A payload swapped in under a genuine header and signature.
	parts := strings.Split(issued, ".")
	forgedPayload, _ := json.Marshal(claims(func(c *AccessClaims) { c.Role = "national_admin" }))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2]

	cases := []struct {
		name   string
		token  string
		now    time.Time // zero: t0
		reason string    // expected in the error text
	}{
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good, validClaims()), t0, "algorithm"},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, []byte(key.Public), good, validClaims()), t0, "algorithm"},
		{"unknown kid", sign(t, jwt.SigningMethodEdDSA, key.Private, with("kid", "not-a-key"), validClaims()), t0, "kid is not a known key"},
		{"path-like kid", sign(t, jwt.SigningMethodEdDSA, key.Private, with("kid", "../../etc/passwd"), validClaims()), t0, "kid is not a known key"},
		{"missing kid", sign(t, jwt.SigningMethodEdDSA, key.Private, with("kid", nil), validClaims()), t0, "kid header is missing"},
		{"empty kid", sign(t, jwt.SigningMethodEdDSA, key.Private, with("kid", ""), validClaims()), t0, "kid header is missing"},
		{"numeric kid", sign(t, jwt.SigningMethodEdDSA, key.Private, with("kid", 42), validClaims()), t0, "kid header is missing"},
		{"signed by another key with the same kid", sign(t, jwt.SigningMethodEdDSA, impostor, good, validClaims()), t0, "bad signature"},
		{"tampered payload", tampered, t0, "bad signature"},
		{"expired", issued, t0.Add(testTTL + Leeway + time.Second), "expired"},
		{"nbf in the future", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) {
			c.NotBefore = jwt.NewNumericDate(t0.Add(5 * time.Minute))
		})), t0, "not valid yet"},
		{"iat in the future", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(5 * time.Minute))
		})), t0, "issued in the future"},
		{"wrong aud", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) {
			c.Audience = jwt.ClaimStrings{"another-api"}
		})), t0, "wrong audience"},
		{"missing aud", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.Audience = nil })), t0, "required claim"},
		{"wrong iss", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) {
			c.Issuer = "https://evil.example"
		})), t0, "wrong issuer"},
		{"missing iss", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.Issuer = "" })), t0, "required claim"},
		{"missing exp", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.ExpiresAt = nil })), t0, "required claim"},
		{"exp of the wrong type", sign(t, jwt.SigningMethodEdDSA, key.Private, good, jwt.MapClaims{
			"iss": testIssuer, "aud": testAudience, "sub": "user:1", "org": "org-1", "jti": "x",
			"iat": t0.Unix(), "exp": "tomorrow",
		}), t0, "malformed"},
		{"missing iat", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.IssuedAt = nil })), t0, "iat claim is required"},
		{"missing sub", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.Subject = "" })), t0, "sub claim is required"},
		{"missing jti", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.ID = "" })), t0, "jti claim is required"},
		{"missing org", sign(t, jwt.SigningMethodEdDSA, key.Private, good, claims(func(c *AccessClaims) { c.Organisation = "" })), t0, "org claim is required"},
		{"typ JWT", sign(t, jwt.SigningMethodEdDSA, key.Private, with("typ", "JWT"), validClaims()), t0, "typ header"},
		{"missing typ", sign(t, jwt.SigningMethodEdDSA, key.Private, with("typ", nil), validClaims()), t0, "typ header"},
		{"crit header", sign(t, jwt.SigningMethodEdDSA, key.Private, with("crit", []string{"exp"}), validClaims()), t0, "crit header"},
		{"over 8 KiB", sign(t, jwt.SigningMethodEdDSA, key.Private, good, big), t0, "longer than 8 KiB"},
		{"empty", "", t0, "malformed"},
		{"garbage", "garbage", t0, "malformed"},
		{"three garbage segments", "not.a.token", t0, "malformed"},
		{"bearer prefix left on", "Bearer " + issued, t0, "malformed"},
		{"four segments", issued + ".AAAA", t0, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, err := tk.WithClock(at(c.now)).Verify(c.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", claims, err)
			}
			if !reflect.ValueOf(claims).IsZero() {
				t.Errorf("claims returned with the error: %+v", claims)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.reason) {
				t.Errorf("error %q does not say %q", msg, c.reason)
			}
			for _, seg := range strings.Split(c.token, ".") {
				if len(seg) >= 8 && strings.Contains(msg, seg) {
					t.Errorf("error %q quotes the token", msg)
				}
			}
		})
	}

	// The size guard must hold exactly at the boundary.
	if len(sign(t, jwt.SigningMethodEdDSA, key.Private, good, big)) <= MaxTokenLength {
		t.Fatal("the over-8-KiB case is not over 8 KiB")
	}
}

func TestIssueRefusesOversizedToken(t *testing.T) {
	tk := newTestTokens(t, newTestKeySet(t, newTestKey(t)))
	if _, _, err := tk.Issue("client:1", "org-1", "", strings.Repeat("s ", MaxTokenLength), "c"); err == nil {
		t.Error("Issue minted a token that Verify would refuse")
	}
}

func TestIssueRequiresSubjectAndOrganisation(t *testing.T) {
	tk := newTestTokens(t, newTestKeySet(t, newTestKey(t)))
	if _, _, err := tk.Issue("", "org-1", "viewer", "", ""); err == nil {
		t.Error("empty subject accepted")
	}
	if _, _, err := tk.Issue("user:1", "", "viewer", "", ""); err == nil {
		t.Error("empty organisation accepted")
	}
}

func TestNewTokensValidates(t *testing.T) {
	ks := newTestKeySet(t, newTestKey(t))
	for _, c := range []struct {
		name     string
		ks       *KeySet
		iss, aud string
		ttl      time.Duration
	}{
		{"nil keys", nil, testIssuer, testAudience, testTTL},
		{"empty issuer", ks, "", testAudience, testTTL},
		{"empty audience", ks, testIssuer, "", testTTL},
		{"zero ttl", ks, testIssuer, testAudience, 0},
		{"negative ttl", ks, testIssuer, testAudience, -time.Minute},
	} {
		if tk, err := NewTokens(c.ks, c.iss, c.aud, c.ttl); err == nil || tk != nil {
			t.Errorf("%s: NewTokens = %v, %v; want an error", c.name, tk, err)
		}
	}
}

func TestWithClockLeavesOriginalAlone(t *testing.T) {
	tk := newTestTokens(t, newTestKeySet(t, newTestKey(t)))
	token, _, err := tk.Issue("user:1", "org-1", "viewer", "", "")
	if err != nil {
		t.Fatal(err)
	}
	later := tk.WithClock(at(t0.Add(24 * time.Hour)))
	if _, err := later.Verify(token); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a day later: %v, want ErrInvalidToken", err)
	}
	if _, err := tk.Verify(token); err != nil {
		t.Errorf("original clock changed: %v", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := newTestKey(t), newTestKey(t)

	before := newTestTokens(t, newTestKeySet(t, oldKey))
	oldToken, _, err := before.Issue("user:1", "org-1", "viewer", "", "")
	if err != nil {
		t.Fatal(err)
	}

	// During rotation: sign with the new key, still accept the old one.
	oldPub := Key{ID: oldKey.ID, Public: oldKey.Public}
	during := newTestTokens(t, newTestKeySet(t, newKey, oldPub))
	if _, err := during.Verify(oldToken); err != nil {
		t.Errorf("old token with old key verify-only: %v", err)
	}
	newToken, _, err := during.Issue("user:2", "org-1", "viewer", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if h := decodeSegment(t, strings.Split(newToken, ".")[0]); h["kid"] != newKey.ID {
		t.Errorf("new token kid = %v, want %s", h["kid"], newKey.ID)
	}
	if _, err := during.Verify(newToken); err != nil {
		t.Errorf("new token during rotation: %v", err)
	}
	if _, err := before.Verify(newToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("old set accepted a token of a key it lacks: %v", err)
	}

	// After rotation: the old key is gone.
	after := newTestTokens(t, newTestKeySet(t, newKey))
	if _, err := after.Verify(oldToken); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "kid is not a known key") {
		t.Errorf("old token after the old key left the set: %v", err)
	}
	if _, err := after.Verify(newToken); err != nil {
		t.Errorf("new token after rotation: %v", err)
	}
}

func TestConcurrentIssueVerify(t *testing.T) {
	tk := newTestTokens(t, newTestKeySet(t, newTestKey(t)))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				token, _, err := tk.Issue("user:1", "org-1", "viewer", "", "")
				if err == nil {
					_, err = tk.Verify(token)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	tk := newTestTokens(b, newTestKeySet(b, newTestKey(b), newTestKey(b), newTestKey(b)))
	token, _, err := tk.Issue("user:0190a4b2-0000-7000-8000-000000000001", "0190a4b2-0000-7000-8000-0000000000aa", "coordinator", "", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	tk := newTestTokens(b, newTestKeySet(b, newTestKey(b)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.Issue("user:0190a4b2-0000-7000-8000-000000000001", "0190a4b2-0000-7000-8000-0000000000aa", "coordinator", "", ""); err != nil {
			b.Fatal(err)
		}
	}
}
