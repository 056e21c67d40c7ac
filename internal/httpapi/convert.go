package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// cursor is the opaque form of a domain.Position.
type cursor struct {
	UpdatedAt time.Time `json:"u"`
	ID        uuid.UUID `json:"i"`
}

func encodeCursor(p *domain.Position) *string {
	if p == nil {
		return nil
	}
	b, _ := json.Marshal(cursor{UpdatedAt: p.UpdatedAt, ID: p.ID}) // plain struct: cannot fail
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
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

// ifMatch reads If-Match into the version it names. Absent or "*" checks nothing. If-Match
// compares strongly (RFC 9110 §13.1.1), so a weak tag (W/"3") matches no version, and neither
// does a tag that is not one of ours, nor a list of them: each names version -1.
func ifMatch(header *string) *int64 {
	if header == nil {
		return nil
	}
	tag := strings.TrimSpace(*header)
	if tag == "*" {
		return nil
	}
	v := int64(-1)
	if len(tag) > 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
		opaque := tag[1 : len(tag)-1]
		// Only the exact text etag makes: "+3" or "03" is not a tag p4w gave out.
		if n, err := strconv.ParseInt(opaque, 10, 64); err == nil && n >= 1 && strconv.FormatInt(n, 10) == opaque {
			v = n
		}
	}
	return &v
}

// change turns field of a merge patch, decoded into v, into a domain change: a field the
// body leaves out changes nothing, null clears it. The decoded value alone cannot tell the
// two apart; the body's keys, which the validator keeps, can.
func change[T any, D any](ctx context.Context, field string, v *T, conv func(T) D) domain.Change[D] {
	if !slices.Contains(bodyFields(ctx), field) {
		return domain.Change[D]{}
	}
	if v == nil {
		return domain.Change[D]{Set: true}
	}
	d := conv(*v)
	return domain.Change[D]{Set: true, Value: &d}
}

func same[T any](v T) T { return v }

func str[T ~string](v T) string { return string(v) }

// ptrOf converts an optional value between types.
func ptrOf[T any, D any](v *T, conv func(T) D) *D {
	if v == nil {
		return nil
	}
	d := conv(*v)
	return &d
}

type bodyFieldsKey struct{}

// withBodyFields keeps the top-level fields of a JSON object body, sorted, with the request.
func withBodyFields(ctx context.Context, body []byte) context.Context {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ctx // not an object: the validator names the problem
	}
	fields := make([]string, 0, len(m))
	for k := range m {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	return context.WithValue(ctx, bodyFieldsKey{}, fields)
}

// bodyFields lists the top-level fields the request body gave, sorted: what a merge patch
// changes, and what the audit trail names.
func bodyFields(ctx context.Context) []string {
	fields, _ := ctx.Value(bodyFieldsKey{}).([]string)
	return fields
}
