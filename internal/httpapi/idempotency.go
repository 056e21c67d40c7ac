package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// IdempotencyStore keeps the first answer to each POST made with an Idempotency-Key.
type IdempotencyStore interface {
	// Lock takes the key for the rest of ctx's transaction; false when another holds it.
	Lock(ctx context.Context, scope, key string) (bool, error)
	// Find returns the stored reply younger than maxAge, or nil.
	Find(ctx context.Context, scope, key string, maxAge time.Duration) (*domain.IdempotentReply, error)
	// Save stores reply in ctx's transaction.
	Save(ctx context.Context, reply domain.IdempotentReply) error
}

// Transactor runs fn in one transaction that every repository call made with its context joins.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

var errRollback = errors.New("rollback: the handler answered with an error")

// replayedHeaders are the headers a replay repeats.
var replayedHeaders = []string{echo.HeaderContentType, "ETag", "Location"}

// idempotency makes a POST with an Idempotency-Key safe to retry, on the operations that
// declare the header (validator.operations attaches it to those only). The write, its audit event
// and the stored answer share one transaction: either all of them happen or none does.
func idempotency(tx Transactor, store IdempotencyStore, ttl time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get("Idempotency-Key")
			if req.Method != http.MethodPost || key == "" {
				return next(c)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			hash := sha256.Sum256(bytes.Join([][]byte{[]byte(req.Method), []byte(req.URL.Path), body}, []byte{0}))
			scope := "anonymous"
			if p, ok := domain.PrincipalFrom(req.Context()); ok {
				scope = p.Subject
			}

			var replay *domain.IdempotentReply
			rec := newRecorder(c.Response().Header())
			err = tx.InTx(req.Context(), func(ctx context.Context) error {
				locked, err := store.Lock(ctx, scope, key)
				if err != nil {
					return err
				}
				if !locked {
					return domain.Errorf(domain.CodeConflict, "a request with this Idempotency-Key is still being processed; retry later")
				}
				prev, err := store.Find(ctx, scope, key, ttl)
				if err != nil {
					return err
				}
				if prev != nil {
					if !bytes.Equal(prev.RequestHash, hash[:]) {
						return domain.Invalid("Idempotency-Key", "was already used with a different request")
					}
					replay = prev
					return nil
				}
				original := c.Response().Writer
				c.Response().Writer = rec
				c.SetRequest(req.WithContext(ctx))
				if err := next(c); err != nil {
					c.Error(err)
				}
				c.Response().Writer = original
				c.SetRequest(req)
				if rec.status < 200 || rec.status > 299 {
					return errRollback
				}
				stored := domain.IdempotentReply{Scope: scope, Key: key, RequestHash: hash[:], Status: rec.status,
					Header: map[string][]string{}, Body: rec.body.Bytes(), ResourceID: resourceOf(rec.Header().Get("Location"))}
				for _, h := range replayedHeaders {
					if v := rec.Header().Values(h); len(v) > 0 {
						stored.Header[h] = v
					}
				}
				return store.Save(ctx, stored)
			})
			switch {
			case errors.Is(err, errRollback) || (err == nil && replay == nil):
				return rec.flushTo(c.Response().Writer)
			case err != nil:
				// The handler's answer never left the recorder and its write is rolled back:
				// forget that Echo saw it written, so that the error is what the client gets.
				c.Response().Committed, c.Response().Status, c.Response().Size = false, 0, 0
				return err
			}
			h := c.Response().Header()
			for name, values := range replay.Header {
				h[name] = values
			}
			h.Set("Idempotent-Replayed", "true")
			c.Response().WriteHeader(replay.Status)
			_, err = c.Response().Write(replay.Body)
			return err
		}
	}
}

// recorder holds a response until its transaction has committed.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder(base http.Header) *recorder {
	return &recorder{header: base.Clone(), status: http.StatusOK}
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func (r *recorder) flushTo(w http.ResponseWriter) error {
	h := w.Header()
	for name, values := range r.header {
		h[name] = values
	}
	w.WriteHeader(r.status)
	_, err := w.Write(r.body.Bytes())
	return err
}

// resourceOf is the id of the record at location, the last segment of its path, or uuid.Nil
// when that is not an id (a list's URL, say).
func resourceOf(location string) uuid.UUID {
	id, err := uuid.Parse(location[strings.LastIndexByte(location, '/')+1:])
	if err != nil {
		return uuid.Nil
	}
	return id
}
