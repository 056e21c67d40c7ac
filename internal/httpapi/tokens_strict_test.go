package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// exp, iat and nbf are NumericDates (RFC 7519 §2), JSON numbers: a token signed with the
// server's own key that gives one as a string is refused, even a string of a good number.
func TestTokenDatesMustBeNumbers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	userID, _ := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	signing := env.Services.Keys.Signing()
	f := forger{key: signing.Private, kid: signing.ID, iss: env.Config.JWTIssuer, aud: env.Config.JWTAudience}
	sub, org := "user:"+userID.String(), trust.ID.String()
	get := func(t *testing.T, token string) apitest.Response {
		t.Helper()
		return env.Do(t, http.MethodGet, protectedPath, "", "", "Authorization", "Bearer "+token)
	}
	now := time.Now()
	set := func(name string, v any) func(map[string]any, jwt.MapClaims) {
		return func(_ map[string]any, c jwt.MapClaims) { c[name] = v }
	}

	// The control: the same dates as numbers, fractional ones too (RFC 7519 allows them).
	for _, mutate := range []func(map[string]any, jwt.MapClaims){nil, set("exp", float64(now.Add(time.Minute).Unix())+0.5)} {
		if res := get(t, f.token(t, sub, org, mutate)); res.Status != http.StatusOK {
			t.Fatalf("a token with numeric dates: %d %s", res.Status, res.Body)
		}
	}
	for _, tc := range []struct {
		name  string
		claim string
		value any
	}{
		{"exp a string", "exp", strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)},
		{"iat a string", "iat", strconv.FormatInt(now.Unix(), 10)},
		{"nbf a string", "nbf", strconv.FormatInt(now.Unix(), 10)},
		{"exp a string with a fraction", "exp", strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10) + ".0"},
		{"nbf null", "nbf", nil},
		{"exp true", "exp", true},
		{"exp an array", "exp", []int64{now.Add(5 * time.Minute).Unix()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want401(t, get(t, f.token(t, sub, org, set(tc.claim, tc.value))))
		})
	}
}
