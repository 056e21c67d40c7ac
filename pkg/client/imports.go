package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strings"
	"time"
)

// ImportOptions say what an import does and how Import waits for it.
type ImportOptions struct {
	// Kind is the kind of record the file holds: "participants".
	Kind string
	// Mode is "create" (the server's default when empty), "upsert" or "update".
	Mode string
	// DryRun checks every row and counts what would change, writing nothing.
	DryRun bool
	// Atomic fails the whole job, writing nothing, when any row is refused.
	Atomic bool
	// IdempotencyKey, when set, makes the upload safe to repeat: p4w answers every upload
	// with the same key with the job the first one started, whatever the body. Give one
	// made of the file's identity (its name and date, say) and, when an upload's answer is
	// lost, call Import again with the same key and the file from its start.
	IdempotencyKey string
	// ContentType is the file's media type; "text/csv" when empty.
	ContentType string

	// Progress, when set, is called with the job as Import first sees it and then each time
	// a poll finds it changed (its status, rows read, progress or counts), the last call
	// with the job ended. It runs on Import's goroutine: a slow Progress delays the polls.
	Progress func(ImportJob)
	// PollInterval is the first wait between polls (250 ms when zero); each poll that finds
	// nothing changed waits half as long again, up to MaxPollInterval (5 s when zero).
	PollInterval    time.Duration
	MaxPollInterval time.Duration
}

// APIError is an answer of p4w that is not the one asked for: its status, and the problem
// (RFC 9457) it carries when it is problem+json.
type APIError struct {
	Op         string // what was asked: "upload the import", "read import job ..."
	StatusCode int
	Problem    *Problem // nil when the answer was not problem+json
	RetryAfter string   // the answer's Retry-After header, if any
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": ")
	if e.Problem == nil || e.Problem.Title == "" {
		fmt.Fprintf(&b, "the server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
		return b.String()
	}
	fmt.Fprintf(&b, "%s (%d)", e.Problem.Title, e.StatusCode)
	if e.Problem.Detail != nil && *e.Problem.Detail != "" {
		b.WriteString(": " + *e.Problem.Detail)
	}
	if e.Problem.Errors != nil {
		for _, fe := range *e.Problem.Errors {
			fmt.Fprintf(&b, "; %s: %s", fe.Field, fe.Message)
		}
	}
	return b.String()
}

// apiError reads a refused answer (and closes its body).
func apiError(op string, res *http.Response) *APIError {
	defer res.Body.Close()
	e := &APIError{Op: op, StatusCode: res.StatusCode, RetryAfter: res.Header.Get("Retry-After")}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var p Problem
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); (mt == "application/json" || strings.HasSuffix(mt, "+json")) &&
		json.Unmarshal(body, &p) == nil && p.Title != "" {
		e.Problem = &p
	}
	return e
}

// decodeJob reads an answer of status want holding an import job.
func decodeJob(op string, res *http.Response, want int) (ImportJob, error) {
	if res.StatusCode != want {
		return ImportJob{}, apiError(op, res)
	}
	defer res.Body.Close()
	var job ImportJob
	if err := json.NewDecoder(res.Body).Decode(&job); err != nil {
		return ImportJob{}, fmt.Errorf("%s: read the job: %w", op, err)
	}
	return job, nil
}

// StartImport uploads file and returns the job it starts, queued (POST /v1/imports). The file
// is streamed as it is read, never held whole in memory; it is read to its end or until the
// server answers. Check the options' Kind and Mode before calling: the server refuses others
// with a 400, returned as an *APIError as any refusal is.
func StartImport(ctx context.Context, api ClientInterface, file io.Reader, opts ImportOptions) (ImportJob, error) {
	params := &CreateImportParams{Kind: CreateImportParamsKind(opts.Kind)}
	if opts.Mode != "" {
		m := CreateImportParamsMode(opts.Mode)
		params.Mode = &m
	}
	if opts.DryRun {
		params.DryRun = &opts.DryRun
	}
	if opts.Atomic {
		params.Atomic = &opts.Atomic
	}
	if opts.IdempotencyKey != "" {
		params.IdempotencyKey = &opts.IdempotencyKey
	}
	contentType := opts.ContentType
	if contentType == "" {
		contentType = "text/csv"
	}
	// Only an io.Reader the standard library knows how to read again (bytes and strings
	// readers) is retried by WithRetries; any other is sent once, and the key makes calling
	// Import again safe.
	res, err := api.CreateImportWithBody(ctx, params, contentType, file)
	if err != nil {
		return ImportJob{}, err
	}
	return decodeJob("upload the import", res, http.StatusAccepted)
}

// GetImport reads an import job (GET /v1/imports/{id}).
func GetImport(ctx context.Context, api ClientInterface, id ImportID) (ImportJob, error) {
	res, err := api.GetImport(ctx, id)
	if err != nil {
		return ImportJob{}, err
	}
	return decodeJob("read import job "+id.String(), res, http.StatusOK)
}

// ImportEnded reports whether job has ended: succeeded or failed.
func ImportEnded(job ImportJob) bool {
	return job.Status == ImportJobStatusSucceeded || job.Status == ImportJobStatusFailed
}

// Import uploads file as StartImport does and waits for its job to end as WaitImport does,
// returning the job ended. A job that ended failed (an atomic import with a refused row, a file
// that cannot be read) is not an error: its Status is "failed" and Failure says why; refused
// rows are counted in Failed and listed by ImportErrors. The error is of a request that could
// not be made or that p4w refused (an *APIError), or of ctx ending; after the upload it comes
// with the job as last seen, whose Id names it for a later WaitImport.
func Import(ctx context.Context, api ClientInterface, file io.Reader, opts ImportOptions) (ImportJob, error) {
	job, err := StartImport(ctx, api, file, opts)
	if err != nil {
		return job, err
	}
	return WaitImport(ctx, api, job, opts)
}

// WaitImport polls job until it ends and returns it ended, calling opts.Progress as the job
// changes (see ImportOptions). It stops when ctx ends, returning the job as last seen with
// ctx's error; the job goes on in the server.
func WaitImport(ctx context.Context, api ClientInterface, job ImportJob, opts ImportOptions) (ImportJob, error) {
	interval, most := opts.PollInterval, opts.MaxPollInterval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	if most <= 0 {
		most = 5 * time.Second
	}
	interval = min(interval, most)
	if opts.Progress != nil {
		opts.Progress(job)
	}
	for !ImportEnded(job) {
		if err := sleep(ctx, interval); err != nil {
			return job, err
		}
		next, err := GetImport(ctx, api, job.Id)
		if err != nil {
			return job, err
		}
		if progressed(job, next) {
			if opts.Progress != nil {
				opts.Progress(next)
			}
		} else {
			// Nothing moved: a queued job waits for a worker, a big batch is being written.
			// Ask less often, so that many waiting clients cost the server little.
			interval = min(interval*3/2, most)
		}
		job = next
	}
	return job, nil
}

// progressed reports whether a poll found the job changed in what a progress report shows.
func progressed(before, after ImportJob) bool {
	return before.Status != after.Status || before.RowsRead != after.RowsRead || before.Progress != after.Progress ||
		before.Created != after.Created || before.Updated != after.Updated || before.Unchanged != after.Unchanged ||
		before.Failed != after.Failed
}

// ImportErrors walks the errors of an import's refused rows in row order
// (GET /v1/imports/{id}/errors), a page of 500 at a time, fetching each page as the loop
// reaches it: one entry for each thing wrong with a row, with the row's number as a
// spreadsheet shows it (the header is row 1) and the column (empty for the row as a whole).
// A failed request is yielded once as an error, ending the walk.
func ImportErrors(ctx context.Context, api ClientInterface, id ImportID) iter.Seq2[ImportError, error] {
	limit := Limit(500)
	return All(ctx, func(ctx context.Context, cursor *string) ([]ImportError, *string, error) {
		res, err := api.ListImportErrors(ctx, id, &ListImportErrorsParams{Limit: &limit, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		op := "read the errors of import " + id.String()
		if res.StatusCode != http.StatusOK {
			return nil, nil, apiError(op, res)
		}
		defer res.Body.Close()
		var page ImportErrorPage
		if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", op, err)
		}
		return page.Data, NextCursor(page.NextCursor), nil
	})
}
