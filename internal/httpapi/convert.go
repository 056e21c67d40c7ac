package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// cursor is the opaque form of a domain.Position.
type cursor struct {
	UpdatedAt time.Time `json:"u"`
	ID        uuid.UUID `json:"i"`
}

func encodeCursor(p *domain.Position) nullable.Nullable[string] {
	if p == nil {
		return nullable.NewNullNullable[string]()
	}
	b, _ := json.Marshal(cursor{UpdatedAt: p.UpdatedAt, ID: p.ID}) // plain struct: cannot fail
	return nullable.NewNullableWithValue(base64.RawURLEncoding.EncodeToString(b))
}

const defaultLimit = 50

// pageRequest reads the paging parameters every collection shares.
func pageRequest(limit *int, after *string, updatedSince *time.Time) (domain.PageRequest, error) {
	req := domain.PageRequest{Limit: defaultLimit, UpdatedSince: updatedSince}
	if limit != nil {
		req.Limit = *limit
	}
	if after != nil {
		var c cursor
		b, err := base64.RawURLEncoding.DecodeString(*after)
		if err != nil || json.Unmarshal(b, &c) != nil || c.ID == uuid.Nil {
			return req, &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract",
				fields: []fieldError{{Field: "cursor", Message: "is not a cursor this API gave out"}}}
		}
		req.After = &domain.Position{UpdatedAt: c.UpdatedAt, ID: c.ID}
	}
	return req, nil
}

// etag is a record's version as an entity tag.
func etag(version int64) *string {
	s := `"` + strconv.FormatInt(version, 10) + `"`
	return &s
}

// ifMatch reads If-Match into the version it names. Absent or "*" checks nothing; an entity
// tag that is not one of ours can match no version.
func ifMatch(header *string) *int64 {
	if header == nil || strings.TrimSpace(*header) == "*" {
		return nil
	}
	tag := strings.TrimPrefix(strings.TrimSpace(*header), "W/")
	v, err := strconv.ParseInt(strings.Trim(tag, `"`), 10, 64)
	if err != nil || v < 1 {
		v = -1
	}
	return &v
}

// change turns a nullable patch field into a domain change.
func change[T any, D any](n nullable.Nullable[T], conv func(T) D) domain.Change[D] {
	if !n.IsSpecified() {
		return domain.Change[D]{}
	}
	if n.IsNull() {
		return domain.Change[D]{Set: true}
	}
	d := conv(n.MustGet())
	return domain.Change[D]{Set: true, Value: &d}
}

func same[T any](v T) T { return v }

func str[T ~string](v T) string { return string(v) }

// nullableOf turns an optional domain value into a nullable contract value.
func nullableOf[T any, A any](v *T, conv func(T) A) nullable.Nullable[A] {
	if v == nil {
		return nullable.NewNullNullable[A]()
	}
	return nullable.NewNullableWithValue(conv(*v))
}

// ptrOf converts an optional value between types.
func ptrOf[T any, D any](v *T, conv func(T) D) *D {
	if v == nil {
		return nil
	}
	d := conv(*v)
	return &d
}

// patchedFields lists the top-level fields of a merge patch, for the audit trail.
func patchedFields(body any) []string {
	b, err := json.Marshal(body)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
