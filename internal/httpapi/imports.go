package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// An import's upload is the one request whose body is not read whole: the operation says so
// with x-p4w-streamed-body, and its body goes straight from the connection into PostgreSQL,
// under its own size limit and with no request deadline.

// streamed reports whether op's body is read as a stream by its handler.
func streamed(op *openapi3.Operation) bool {
	v, ok := op.Extensions["x-p4w-streamed-body"].(bool)
	return ok && v
}

// checkStreamedType refuses a streamed body of a media type the operation does not declare
// (kin-openapi, told to leave the body alone, checks it no more).
func checkStreamedType(op *openapi3.Operation, req *http.Request) error {
	if !streamed(op) || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if op.RequestBody.Value.Content.Get(mt) == nil {
		return &requestError{status: http.StatusUnsupportedMediaType, detail: "the Content-Type is not one this operation accepts"}
	}
	return nil
}

// isImportUpload matches POST /v1/imports, before routing.
func isImportUpload(c echo.Context) bool {
	r := c.Request()
	return r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == "/v1/imports"
}

// importFormatKey carries the upload's format, from its Content-Type, to CreateImport (the
// generated request object has the body but not its media type).
type importFormatKey struct{}

// uploadFormat is the format of an upload's Content-Type; the contract's validation has
// refused any type the operation does not declare.
func uploadFormat(r *http.Request) tabular.Format {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt == "application/x-ndjson" {
		return tabular.NDJSON
	}
	return tabular.CSV
}

// limitImport gives an import's upload its own body limit (413 past it), and tells
// CreateImport the upload's format.
func limitImport(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !isImportUpload(c) {
				return next(c)
			}
			r := c.Request()
			r = r.WithContext(context.WithValue(r.Context(), importFormatKey{}, uploadFormat(r)))
			c.SetRequest(r)
			if limit <= 0 {
				return next(c)
			}
			if r.ContentLength > limit {
				return tooLarge(limit)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			// The server's read and write timeouts are for ordinary requests: a large file may
			// take longer to send, and the answer comes only once it is stored.
			rc := http.NewResponseController(c.Response().Writer)
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
			return next(c)
		}
	}
}

func tooLarge(limit int64) error {
	return &requestError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the file is larger than the import limit of %d bytes", limit)}
}

// CreateImport stores the uploaded file and queues its import.
func (s *Server) CreateImport(ctx context.Context, r api.CreateImportRequestObject) (api.CreateImportResponseObject, error) {
	q := r.Params
	req := service.ImportRequest{Kind: string(q.Kind), Mode: domain.ImportCreate, IdempotencyKey: q.IdempotencyKey}
	if q.Mode != nil {
		req.Mode = string(*q.Mode)
	}
	req.Format, _ = ctx.Value(importFormatKey{}).(tabular.Format)
	req.DryRun = q.DryRun != nil && *q.DryRun
	req.Atomic = q.Atomic != nil && *q.Atomic
	body := r.Body
	if body == nil {
		body = strings.NewReader("")
	}
	job, _, err := s.Imports.Submit(ctx, req, body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, tooLarge(tooBig.Limit)
	}
	if err != nil {
		return nil, err
	}
	loc := "/v1/imports/" + job.ID.String()
	return api.CreateImport202JSONResponse{Body: importOut(job), Headers: api.CreateImport202ResponseHeaders{Location: &loc}}, nil
}

// GetImport reports a job.
func (s *Server) GetImport(ctx context.Context, r api.GetImportRequestObject) (api.GetImportResponseObject, error) {
	job, err := s.Imports.Get(ctx, r.ImportId)
	if err != nil {
		return nil, err
	}
	return api.GetImport200JSONResponse(importOut(job)), nil
}

// ListImportErrors lists the rows a job refused, as JSON pages or one CSV file.
func (s *Server) ListImportErrors(ctx context.Context, r api.ListImportErrorsRequestObject) (api.ListImportErrorsResponseObject, error) {
	if wantsCSV(ctx) {
		return s.importErrorsCSV(ctx, r.ImportId)
	}
	limit := 50
	if r.Params.Limit != nil {
		limit = *r.Params.Limit
	}
	var after service.ErrorsCursor
	if r.Params.Cursor != nil {
		var ok bool
		if after, ok = decodeErrorsCursor(*r.Params.Cursor); !ok {
			return nil, domain.Invalid("cursor", "is not a cursor this list gave")
		}
	}
	errs, next, err := s.Imports.Errors(ctx, r.ImportId, after, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListImportErrors200JSONResponse{Data: make([]api.ImportError, len(errs))}
	for i, e := range errs {
		out.Data[i] = api.ImportError{Row: e.Row, Column: e.Column, Message: e.Message}
	}
	if next != nil {
		c := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%d", next.Row, next.Ord)))
		out.NextCursor = &c
	}
	return out, nil
}

func decodeErrorsCursor(s string) (service.ErrorsCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return service.ErrorsCursor{}, false
	}
	row, ord, ok := strings.Cut(string(b), ".")
	r, err1 := strconv.Atoi(row)
	o, err2 := strconv.Atoi(ord)
	return service.ErrorsCursor{Row: r, Ord: o}, ok && err1 == nil && err2 == nil
}

// importErrorsCSV streams every error of a job, a page at a time.
func (s *Server) importErrorsCSV(ctx context.Context, id uuid.UUID) (api.ListImportErrorsResponseObject, error) {
	first, next, err := s.Imports.Errors(ctx, id, service.ErrorsCursor{}, exportPage)
	if err != nil {
		return nil, err
	}
	return importErrorsFile{ctx: ctx, s: s, id: id, first: first, next: next}, nil
}

type importErrorsFile struct {
	ctx   context.Context
	s     *Server
	id    uuid.UUID
	first []domain.ImportRowError
	next  *service.ErrorsCursor
}

func (f importErrorsFile) VisitListImportErrorsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-errors.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "column", "message"})
	page, next := f.first, f.next
	for {
		for _, e := range page {
			_ = cw.Write([]string{strconv.Itoa(e.Row), e.Column, e.Message})
		}
		if next == nil {
			break
		}
		var err error
		if page, next, err = f.s.Imports.Errors(f.ctx, f.id, *next, exportPage); err != nil {
			panic(http.ErrAbortHandler) // cut the connection: a partial file must not pass for the whole
		}
	}
	cw.Flush()
	return cw.Error()
}

func importOut(j domain.ImportJob) api.ImportJob {
	return api.ImportJob{
		Id: j.ID, OrganisationId: j.OrganisationID, Kind: api.ImportJobKind(j.Kind), Mode: api.ImportJobMode(j.Mode),
		DryRun: j.DryRun, Atomic: j.Atomic, Status: api.ImportJobStatus(j.Status), RowsRead: j.RowsRead,
		Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged, Failed: j.Failed, Progress: float32(j.Progress()),
		Failure: j.Failure, SubmittedBy: j.SubmittedBy, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt,
		FinishedAt: j.FinishedAt, UpdatedAt: j.UpdatedAt,
	}
}
