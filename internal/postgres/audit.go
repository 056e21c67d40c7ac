package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type auditEvent struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	Actor          string
	OrganisationID *uuid.UUID
	Action         string
	ResourceType   string
	ResourceID     string
	Fields         []string `gorm:"serializer:json"`
	RequestID      string
	At             time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
}

func (auditEvent) TableName() string { return "audit_events" }

func (m auditEvent) toDomain() domain.AuditEvent {
	return domain.AuditEvent{ID: m.ID, Actor: m.Actor, OrganisationID: m.OrganisationID, Action: m.Action,
		ResourceType: m.ResourceType, ResourceID: m.ResourceID, Fields: m.Fields, RequestID: m.RequestID, At: m.At}
}

// Audit stores the audit trail.
type Audit struct{ db *DB }

// NewAudit returns the audit repository.
func NewAudit(db *DB) *Audit { return &Audit{db} }

// Record appends e in the context's transaction, so the event exists exactly when the write does.
func (r *Audit) Record(ctx context.Context, e domain.AuditEvent) error {
	if e.Fields == nil {
		e.Fields = []string{}
	}
	m := auditEvent{ID: NewID(), Actor: e.Actor, OrganisationID: e.OrganisationID, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, Fields: e.Fields, RequestID: e.RequestID}
	return translate(r.db.InTx(ctx, func(ctx context.Context) error { return r.db.orm(ctx).Create(&m).Error }), "audit event")
}

// List returns a page of audit events within the caller's reach, in (updated_at, id) order.
func (r *Audit) List(ctx context.Context, f domain.AuditFilter, req domain.PageRequest) (domain.Page[domain.AuditEvent], error) {
	s := reach(ctx, "organisation_id").to(selectFrom[auditEvent]())
	eq(s, "actor", f.Actor)
	eq(s, "action", f.Action)
	eq(s, "resource_type", f.ResourceType)
	eq(s, "resource_id", f.ResourceID)
	eq(s, "organisation_id", f.OrganisationID)
	if f.From != nil {
		s.and("at >= ?", *f.From)
	}
	if f.To != nil {
		s.and("at < ?", *f.To)
	}
	found, err := rows[auditEvent](ctx, r.db, page(s, "audit_events", req))
	if err != nil {
		return domain.Page[domain.AuditEvent]{}, translate(err, "list audit events")
	}
	return cut(found, req.Limit, func(m auditEvent) domain.Position { return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID} }, auditEvent.toDomain), nil
}
