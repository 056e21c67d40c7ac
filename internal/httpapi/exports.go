package httpapi

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// The lists of what an import takes, and funding awards, answer Accept: text/csv with the
// whole selection as a CSV file in the import's columns (internal/tabular). The handler calls
// the same service list as the JSON answer, a page at a time, so filters, tenancy, scopes and
// consent apply alike, and the file is written as it is read: memory holds one page, whatever
// the size. All the pages are read in one snapshot of the database (Snapshotter), so the file
// is the selection as it stood at one instant: a record changed while the file streams is
// neither written twice (moved to a later page by its new updated_at) nor left out (moved to
// an earlier one, or deleted before its page), as separate reads would let it be.

// Snapshotter runs fn in one read-only snapshot of the database, on the read replica when
// there is one: every read made with fn's context sees the same instant (postgres.DB.Snapshot).
// fn may run twice (on the primary after the replica failed) when it returns an error.
type Snapshotter interface {
	Snapshot(ctx context.Context, fn func(ctx context.Context) error) error
}

// exportPage is how many records each read of an export fetches: the most a list page holds.
const exportPage = 500

type wantsCSVKey struct{}

// exportPaths are the lists that answer text/csv.
var exportPaths = []string{"/v1/participants", "/v1/enrolments", "/v1/placements", "/v1/outcomes",
	"/v1/mentoring-matches", "/v1/funding-awards"}

// isExport matches a request for a list as CSV, before routing.
func isExport(c echo.Context) bool {
	r := c.Request()
	return r.Method == http.MethodGet && slices.Contains(exportPaths, strings.TrimSuffix(r.URL.Path, "/")) &&
		prefersCSV(r.Header.Get(echo.HeaderAccept))
}

type pageBoundKey struct{}

// boundExports gives an export, which takes as long as its file is large and its client slow,
// a bound on each page it reads instead of one on the whole request (the deadline middleware
// leaves exports alone), and lifts the server's write timeout for it.
func boundExports(perPage time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !isExport(c) {
				return next(c)
			}
			_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), pageBoundKey{}, perPage)))
			return next(c)
		}
	}
}

// readPage reads one page of an export within its bound.
func readPage[T any](ctx context.Context, list func(context.Context, domain.PageRequest) (domain.Page[T], error), req domain.PageRequest) (domain.Page[T], error) {
	if d, _ := ctx.Value(pageBoundKey{}).(time.Duration); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	return list(ctx, req)
}

// negotiate keeps with the request whether it prefers text/csv to JSON, for the lists that
// can answer either; JSON stays the default.
func negotiate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Answers of more than two representations (reports.go) read the header itself.
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), acceptKey{}, c.Request().Header.Get(echo.HeaderAccept))))
		if accept := c.Request().Header.Get(echo.HeaderAccept); accept != "" && prefersCSV(accept) {
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), wantsCSVKey{}, true)))
		}
		return next(c)
	}
}

func wantsCSV(ctx context.Context) bool {
	v, _ := ctx.Value(wantsCSVKey{}).(bool)
	return v
}

// prefersCSV reads an Accept header (RFC 9110 §12.5.1): text/csv wins when its quality is
// higher than JSON's, or equal but matched more specifically (text/csv against */*).
func prefersCSV(accept string) bool {
	type match struct {
		q           float64
		specificity int
	}
	var csv, json match
	better := func(m *match, q float64, spec int) {
		if spec > m.specificity || spec == m.specificity && q > m.q {
			*m = match{q, spec}
		}
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		switch mt {
		case "text/csv":
			better(&csv, q, 3)
		case "application/json":
			better(&json, q, 3)
		case "text/*":
			better(&csv, q, 2)
		case "application/*":
			better(&json, q, 2)
		case "*/*":
			better(&csv, q, 1)
			better(&json, q, 1)
		}
	}
	return csv.q > 0 && (csv.q > json.q || csv.q == json.q && csv.specificity > json.specificity)
}

// csvExport writes a list as CSV, reading it a page at a time.
type csvExport[T any] struct {
	ctx       context.Context
	log       *slog.Logger
	snapshots Snapshotter
	kind      *tabular.Kind
	req       domain.PageRequest
	list      func(context.Context, domain.PageRequest) (domain.Page[T], error)
	cells     func(T) []string
}

// newExport is the export of list, each record written as the row cells makes of it.
func newExport[T any](s *Server, ctx context.Context, kind *tabular.Kind, req domain.PageRequest,
	list func(context.Context, domain.PageRequest) (domain.Page[T], error), cells func(T) []string) *csvExport[T] {
	req.Limit = exportPage
	return &csvExport[T]{ctx: ctx, log: s.Log, snapshots: s.Snapshots, kind: kind, req: req, list: list, cells: cells}
}

// visit opens the export's snapshot and reads the first page before sending anything, so that
// an error (a missing scope, a bad filter, the database unavailable) is answered as
// problem+json, as the JSON list would answer it; then it streams the file.
//
// The snapshot is one transaction, open until the last page is read. A page is read once the
// one before has gone into the connection's buffers, so a slow client keeps the transaction
// open as long as it takes to download nearly the whole file: minutes, for a large file on a
// slow line. It writes nothing, so it holds no lock a write waits on (postgres.DB.Snapshot
// says what it costs). Each page's read is still bounded by the request timeout; the
// transaction as a whole is not, since the file is as long as the selection is large.
func (x *csvExport[T]) visit(w http.ResponseWriter) error {
	var gone error // the client went away: no fault of the database, so not Snapshot's error
	err := x.snapshots.Snapshot(x.ctx, func(ctx context.Context) error {
		first, err := readPage(ctx, x.list, x.req)
		if err != nil {
			return err // nothing sent yet, so Snapshot may try again on the primary
		}
		gone = x.stream(ctx, w, first)
		return nil
	})
	if err != nil {
		return err
	}
	return gone
}

// stream writes the file: the first page, read already, then each next page of the snapshot
// of ctx. It returns only the error of a write: the client went away. When a read fails, the
// status line has gone: it cuts the connection, so that the client sees a broken transfer and
// never takes a truncated file for the whole one.
func (x *csvExport[T]) stream(ctx context.Context, w http.ResponseWriter, page domain.Page[T]) error {
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+x.kind.Name+`.csv"`)
	w.WriteHeader(http.StatusOK)
	cw, err := tabular.NewWriter(w, x.kind)
	if err != nil {
		return err
	}
	req := x.req
	for {
		for _, item := range page.Items {
			if err := cw.Write(x.cells(item)); err != nil {
				return err
			}
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // the page is on its way while the next is read
		}
		if page.Next == nil {
			return nil
		}
		req.After = page.Next
		if page, err = readPage(ctx, x.list, req); err != nil {
			x.log.Error("export cut short", "kind", x.kind.Name, "request_id", domain.RequestIDFrom(ctx), "error", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// The answers of each list as CSV: the generated text/csv answer sets neither the charset nor
// Content-Disposition, and would need a pipe and a goroutine to stream.
type (
	participantsCSV struct{ *csvExport[domain.Participant] }
	enrolmentsCSV   struct{ *csvExport[domain.Enrolment] }
	placementsCSV   struct{ *csvExport[domain.Placement] }
	outcomesCSV     struct{ *csvExport[domain.Outcome] }
	matchesCSV      struct {
		*csvExport[domain.MentoringMatch]
	}
	fundingAwardsCSV struct {
		*csvExport[domain.FundingAward]
	}
)

func (x participantsCSV) VisitListParticipantsResponse(w http.ResponseWriter) error {
	return x.visit(w)
}
func (x enrolmentsCSV) VisitListEnrolmentsResponse(w http.ResponseWriter) error { return x.visit(w) }
func (x placementsCSV) VisitListPlacementsResponse(w http.ResponseWriter) error { return x.visit(w) }
func (x outcomesCSV) VisitListOutcomesResponse(w http.ResponseWriter) error     { return x.visit(w) }
func (x matchesCSV) VisitListMentoringMatchesResponse(w http.ResponseWriter) error {
	return x.visit(w)
}
func (x fundingAwardsCSV) VisitListFundingAwardsResponse(w http.ResponseWriter) error {
	return x.visit(w)
}

func (s *Server) participantsCSV(ctx context.Context, f domain.ParticipantFilter, req domain.PageRequest) (api.ListParticipantsResponseObject, error) {
	return participantsCSV{newExport(s, ctx, tabular.Participants, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.Participant], error) {
		return s.Participants.List(ctx, f, req)
	}, tabular.ParticipantCells)}, nil
}

func (s *Server) enrolmentsCSV(ctx context.Context, f domain.EnrolmentFilter, req domain.PageRequest) (api.ListEnrolmentsResponseObject, error) {
	return enrolmentsCSV{newExport(s, ctx, tabular.Enrolments, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.Enrolment], error) {
		return s.Enrolments.List(ctx, f, req)
	}, tabular.EnrolmentCells)}, nil
}

func (s *Server) placementsCSV(ctx context.Context, f domain.PlacementFilter, req domain.PageRequest) (api.ListPlacementsResponseObject, error) {
	return placementsCSV{newExport(s, ctx, tabular.Placements, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.Placement], error) {
		return s.Placements.List(ctx, f, req)
	}, tabular.PlacementCells)}, nil
}

func (s *Server) outcomesCSV(ctx context.Context, f domain.OutcomeFilter, req domain.PageRequest) (api.ListOutcomesResponseObject, error) {
	return outcomesCSV{newExport(s, ctx, tabular.Outcomes, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.Outcome], error) {
		return s.Outcomes.List(ctx, f, req)
	}, tabular.OutcomeCells)}, nil
}

func (s *Server) matchesCSV(ctx context.Context, f domain.MatchFilter, req domain.PageRequest) (api.ListMentoringMatchesResponseObject, error) {
	return matchesCSV{newExport(s, ctx, tabular.MentoringMatches, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.MentoringMatch], error) {
		return s.Matches.List(ctx, f, req)
	}, tabular.MatchCells)}, nil
}

// Funding awards are exported only (tabular.FundingAwards is no import kind).
func (s *Server) fundingAwardsCSV(ctx context.Context, f domain.FundingAwardFilter, req domain.PageRequest) (api.ListFundingAwardsResponseObject, error) {
	return fundingAwardsCSV{newExport(s, ctx, tabular.FundingAwards, req, func(ctx context.Context, req domain.PageRequest) (domain.Page[domain.FundingAward], error) {
		return s.FundingAwards.List(ctx, f, req)
	}, tabular.FundingAwardCells)}, nil
}
