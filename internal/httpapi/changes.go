package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// changeCursorPrefix versions the changes feed's cursors, base64url of
// "v1/<seen>/<batch>/<txid>/<seq>" (domain.ChangePosition; a snapshot empty when absent). It
// holds a position only, nothing of the caller: a cursor another caller made, or one made up,
// reads only what its bearer may see, from there.
const changeCursorPrefix = "v1"

func encodeChangeCursor(p domain.ChangePosition) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join([]string{changeCursorPrefix, p.Seen, p.Batch,
		strconv.FormatUint(p.TxID, 10), strconv.FormatInt(p.Seq, 10)}, "/")))
}

// decodeChangeCursor reads after; absent, the feed's beginning.
func decodeChangeCursor(after *string) (domain.ChangePosition, error) {
	var p domain.ChangePosition
	if after == nil {
		return p, nil
	}
	bad := &requestError{status: http.StatusBadRequest, detail: "the request does not match the API contract",
		fields: []fieldError{{Field: "after", Message: "is not a cursor of the changes feed"}}}
	b, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil {
		return p, bad
	}
	parts := strings.Split(string(b), "/")
	if len(parts) != 5 || parts[0] != changeCursorPrefix {
		return p, bad
	}
	p.Seen, p.Batch = parts[1], parts[2]
	for _, s := range []string{p.Seen, p.Batch} {
		if s != "" && !domain.ValidSnapshot(s) {
			return p, bad
		}
	}
	if p.TxID, err = strconv.ParseUint(parts[3], 10, 63); err != nil {
		return p, bad
	}
	if p.Seq, err = strconv.ParseInt(parts[4], 10, 64); err != nil || p.Seq < 0 {
		return p, bad
	}
	return p, nil
}

// ListChanges lists the changes feed within reach.
func (s *Server) ListChanges(ctx context.Context, r api.ListChangesRequestObject) (api.ListChangesResponseObject, error) {
	q := r.Params
	after, err := decodeChangeCursor(q.After)
	if err != nil {
		return nil, err
	}
	limit := defaultLimit
	if q.Limit != nil {
		limit = *q.Limit
	}
	var types []string
	if q.Types != nil {
		types = *q.Types
	}
	page, err := s.Changes.List(ctx, types, after, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListChanges200JSONResponse{Data: make([]api.ChangeEvent, len(page.Items)), NextCursor: encodeChangeCursor(page.Next)}
	for i, c := range page.Items {
		out.Data[i] = api.ChangeEvent{Cursor: encodeChangeCursor(c.Position), EventType: c.EventType, ResourceType: c.ResourceType,
			ResourceId: c.ResourceID, OrganisationId: c.OrganisationID, Fields: c.Fields, ChangedAt: c.At}
	}
	return out, nil
}
