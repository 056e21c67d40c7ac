package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// AuditEvent records one write: who did what to which record. Fields names what changed,
// never the values, so that no personal data reaches the audit trail.
type AuditEvent struct {
	ID             uuid.UUID
	Actor          string     // the principal's Subject, or "system"
	OrganisationID *uuid.UUID // the organisation whose record it is
	Action         string     // e.g. "participant.create"
	ResourceType   string
	ResourceID     string
	Fields         []string
	RequestID      string
	At             time.Time
}

// AuditFilter narrows a list of audit events.
type AuditFilter struct {
	OrganisationID *uuid.UUID
	Actor          *string
	Action         *string
	ResourceType   *string
	ResourceID     *string
	From, To       *time.Time
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request id, for audit events and logs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id of ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
