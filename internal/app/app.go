// Package app wires p4w together once: storage, services and the HTTP layer. The server
// binary and the end-to-end tests build the same application through it.
package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/httpapi"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
)

// Services are the use cases, built on one database.
type Services struct {
	Organisations *service.Organisations
	Programmes    *service.Programmes
	Participants  *service.Participants
}

// NewServices builds the use cases on db.
func NewServices(db *postgres.DB) Services {
	orgs := postgres.NewOrganisations(db)
	audit := postgres.NewAudit(db)
	now := func() time.Time { return time.Now().UTC() }
	return Services{
		Organisations: service.NewOrganisations(db, orgs, audit),
		Programmes:    service.NewProgrammes(db, postgres.NewProgrammes(db), orgs, audit),
		Participants:  service.NewParticipants(db, postgres.NewParticipants(db), orgs, audit, postgres.NewIdempotency(db), now),
	}
}

// NewHandler builds the HTTP handler that serves the whole API.
func NewHandler(cfg config.Config, db *postgres.DB, log *slog.Logger) (http.Handler, error) {
	s := NewServices(db)
	return httpapi.New(httpapi.Config{
		CORSOrigins:    cfg.CORSOrigins,
		BodyLimit:      cfg.BodyLimitBytes,
		IdempotencyTTL: cfg.IdempotencyTTL,
	}, httpapi.Deps{
		Log:           log,
		DB:            db.SQL(),
		Tx:            db,
		Idempotency:   postgres.NewIdempotency(db),
		Organisations: s.Organisations,
		Programmes:    s.Programmes,
		Participants:  s.Participants,
	})
}
