package apitest

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

type absent struct{}

// Absent, as a value given to JSON, leaves its key out of the object.
var Absent = absent{}

// JSON encodes the key, value pairs of kv as a JSON object; a later pair replaces an earlier one
// of the same key, so that a default can be overridden or, with Absent, dropped.
func JSON(tb testing.TB, kv ...any) string {
	tb.Helper()
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			tb.Fatalf("JSON: key %v is not a string", kv[i])
		}
		if kv[i+1] == Absent {
			delete(m, k)
			continue
		}
		m[k] = kv[i+1]
	}
	return Marshal(tb, m)
}

// Marshal encodes v as JSON.
func Marshal(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// ParticipantBody is a valid create body of a participant of org: a default name and date of
// birth, overridden or extended by the key, value pairs in kv.
func ParticipantBody(tb testing.TB, org uuid.UUID, kv ...any) string {
	tb.Helper()
	return JSON(tb, append([]any{"organisation_id", org.String(), "given_name", "Alex", "family_name", "Taylor",
		"date_of_birth", "2000-01-01"}, kv...)...)
}

// ETag is the entity tag of a record's version.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// Unique is a short random suffix that keeps names, codes and references of one test apart from
// another's.
func Unique() string { return uuid.NewString()[:8] }

// Today is today in UTC; tests take it before and after a request, to accept either across
// midnight.
func Today() string { return time.Now().UTC().Format(time.DateOnly) }

// SameSet reports whether got and want hold the same strings, in any order.
func SameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}
