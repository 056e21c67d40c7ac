// Package app wires p4w together once: storage, services and the HTTP layer. The server
// binary and the end-to-end tests build the same application through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/httpapi"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/markdown"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
	"github.com/p4w-nhs/p4w/internal/tabular"
	"github.com/p4w-nhs/p4w/internal/webhooks"
)

// Services are the use cases, built on one database.
type Services struct {
	Organisations *service.Organisations
	Programmes    *service.Programmes
	Participants  *service.Participants
	Accounts      *service.Accounts
	Audit         *service.AuditTrail
	Changes       *service.Changes
	Cohorts       *service.Cohorts
	Enrolments    *service.Enrolments
	Placements    *service.Placements
	Outcomes      *service.Outcomes
	Mentors       *service.Mentors
	Matches       *service.Matches
	Vacancies     *service.Vacancies
	Interviews    *service.Interviews
	Timeline      *service.Timeline
	Imports       *service.Imports
	FundingAwards *service.FundingAwards
	Reports       *service.Reports
	CaseStudies   *service.CaseStudies
	Guidance      *service.Guidance
	Directory     *service.PublicDirectory
	Opportunities *service.Opportunities
	Webhooks      *service.Webhooks
	Deliverer     *webhooks.Deliverer // the jobs' delivery of webhook messages
	Keys          *auth.KeySet
	Tokens        *auth.Tokens
}

// NewServices builds the use cases on db.
func NewServices(cfg config.Config, db *postgres.DB) (Services, error) {
	keys, err := loadKeys(cfg)
	if err != nil {
		return Services{}, err
	}
	tokens, err := auth.NewTokens(keys, cfg.JWTIssuer, cfg.JWTAudience, cfg.AccessTokenTTL)
	if err != nil {
		return Services{}, err
	}
	federation, err := auth.LoadFederation(cfg.OIDCIssuers)
	if err != nil {
		return Services{}, err
	}
	orgs, audit := postgres.NewOrganisations(db), postgres.NewAudit(db)
	participants, enrolments, cohorts := postgres.NewParticipants(db), postgres.NewEnrolments(db), postgres.NewCohorts(db)
	programmes, mentors, matches := postgres.NewProgrammes(db), postgres.NewMentors(db), postgres.NewMatches(db)
	vacancies, interviews := postgres.NewVacancies(db), postgres.NewInterviews(db)
	placements, outcomes := postgres.NewPlacements(db), postgres.NewOutcomes(db)
	awards := postgres.NewFundingAwards(db)
	guidance, md := postgres.NewGuidance(db), markdown.New()
	deliveries := postgres.NewWebhookDeliveries(db)
	guard := &webhooks.Guard{AllowHTTPLoopback: cfg.WebhookAllowHTTPLoopback, Allow: cfg.WebhookAllowCIDRs}
	now := func() time.Time { return time.Now().UTC() }
	queue, err := jobs.NewQueue(db)
	if err != nil {
		return Services{}, err
	}
	contract, err := tabular.NewContract(api.Spec)
	if err != nil {
		return Services{}, err
	}
	accounts := service.NewAccounts(service.AccountsDeps{
		Tx: db, Users: postgres.NewUsers(db), APIClients: postgres.NewAPIClients(db), RefreshTokens: postgres.NewRefreshTokens(db),
		Throttle: postgres.NewThrottle(db), Organisations: orgs, Audit: audit, Tokens: tokens, Federation: federation,
		AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL,
	})
	enrolmentsSvc := service.NewEnrolments(service.EnrolmentsDeps{Tx: db, Enrolments: enrolments, Cohorts: cohorts,
		Programmes: programmes, Participants: participants, Organisations: orgs, Audit: audit, Now: now})
	placementsSvc := service.NewPlacements(service.PlacementsDeps{Tx: db, Placements: placements, Enrolments: enrolments,
		Cohorts: cohorts, Audit: audit, Now: now})
	outcomesSvc := service.NewOutcomes(service.OutcomesDeps{Tx: db, Outcomes: outcomes, Participants: participants,
		Enrolments: enrolments, Audit: audit, Now: now})
	mentorsSvc := service.NewMentors(service.MentorsDeps{Tx: db, Mentors: mentors, Participants: participants,
		Enrolments: enrolments, Cohorts: cohorts, Programmes: programmes, Organisations: orgs, Audit: audit, Now: now})
	matchesSvc := service.NewMatches(service.MatchesDeps{Tx: db, Matches: matches, CheckIns: postgres.NewCheckIns(db),
		Mentors: mentors, Participants: participants, Enrolments: enrolments, Audit: audit, Now: now})
	return Services{
		Organisations: service.NewOrganisations(service.OrganisationsDeps{Tx: db, Organisations: orgs, Audit: audit}),
		Programmes: service.NewProgrammes(service.ProgrammesDeps{Tx: db, Programmes: programmes, Organisations: orgs,
			Audit: audit}),
		Participants: service.NewParticipants(service.ParticipantsDeps{Tx: db, Participants: participants, Organisations: orgs,
			Mentors: mentors, Records: postgres.NewErasure(db), Replies: postgres.NewIdempotency(db), Audit: audit, Now: now}),
		Accounts: accounts,
		Audit:    service.NewAuditTrail(service.AuditTrailDeps{Events: audit, Reads: db}), // a long read: on the replica, if any
		Cohorts: service.NewCohorts(service.CohortsDeps{Tx: db, Cohorts: cohorts, Programmes: programmes, Organisations: orgs,
			Awards: awards, Audit: audit}),
		Enrolments: enrolmentsSvc,
		Placements: placementsSvc,
		Outcomes:   outcomesSvc,
		Mentors:    mentorsSvc,
		Matches:    matchesSvc,
		Vacancies: service.NewVacancies(service.VacanciesDeps{Tx: db, Vacancies: vacancies, Organisations: orgs,
			Audit: audit, Now: now}),
		Interviews: service.NewInterviews(service.InterviewsDeps{Tx: db, Interviews: interviews, Vacancies: vacancies,
			Participants: participants, Enrolments: enrolments, Audit: audit, Now: now}),
		Timeline: service.NewTimeline(service.TimelineDeps{Tx: db, Participants: participants, Enrolments: enrolments,
			Cohorts: cohorts, Placements: placements, Matches: matches, Interviews: interviews, Vacancies: vacancies,
			Outcomes: outcomes}),
		Imports: service.NewImports(service.ImportsDeps{Tx: db, Store: postgres.NewImports(db), Queue: queue, Accounts: accounts,
			Organisations: orgs, Enrolments: enrolmentsSvc, Placements: placementsSvc, Outcomes: outcomesSvc,
			Mentors: mentorsSvc, Matches: matchesSvc, Contract: contract, Audit: audit, Now: now}),
		FundingAwards: service.NewFundingAwards(service.FundingAwardsDeps{Tx: db, Awards: awards, Cohorts: cohorts,
			Programmes: programmes, Organisations: orgs, Audit: audit, Now: now}),
		Reports: service.NewReports(service.ReportsDeps{Awards: awards, Store: postgres.NewReports(db), Reads: db, Now: now}),
		Changes: service.NewChanges(service.ChangesDeps{Events: postgres.NewChanges(db)}),
		Keys:    keys,
		Tokens:  tokens,
		CaseStudies: service.NewCaseStudies(service.CaseStudiesDeps{Tx: db, CaseStudies: postgres.NewCaseStudies(db),
			Participants: participants, Programmes: programmes, Organisations: orgs, Markdown: md, Audit: audit, Now: now}),
		Guidance:  service.NewGuidance(service.GuidanceDeps{Tx: db, Guidance: guidance, Markdown: md, Audit: audit, Now: now}),
		Directory: &service.PublicDirectory{Directory: postgres.NewDirectory(db), Guidance: guidance},

		Opportunities: service.NewOpportunities(service.OpportunitiesDeps{Opportunities: postgres.NewOpportunities(db)}),
		Webhooks: service.NewWebhooks(service.WebhooksDeps{Tx: db, Subscriptions: postgres.NewWebhookSubscriptions(db),
			Deliveries: deliveries, Organisations: orgs, Guard: guard, Audit: audit, Now: now}),
		Deliverer: &webhooks.Deliverer{Store: deliveries, Sender: webhooks.NewSender(guard, cfg.WebhookTimeout),
			Timeout: cfg.WebhookTimeout, Schedule: cfg.WebhookRetrySchedule},
	}, nil
}

// loadKeys reads the signing key (and retired verification keys) from the configuration, or,
// when none is configured, a development key kept in the data folder.
func loadKeys(cfg config.Config) (*auth.KeySet, error) {
	signing := []byte(cfg.JWTSigningKey)
	if len(signing) == 0 && cfg.JWTSigningKeyFile != "" {
		b, err := os.ReadFile(cfg.JWTSigningKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read P4W_JWT_SIGNING_KEY_FILE: %w", err)
		}
		signing = b
	}
	var verify [][]byte
	for _, f := range cfg.JWTVerifyKeyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read P4W_JWT_VERIFY_KEY_FILES: %w", err)
		}
		verify = append(verify, b)
	}
	if len(signing) > 0 {
		return auth.LoadKeySet(signing, verify)
	}
	// Development only: replicas that each made their own key could not verify each other's
	// tokens, which is why the deployment manifests always configure one.
	dev, err := auth.LoadOrCreateDevKey(filepath.Join(cfg.DataDir, "keys", "dev-signing-key.pem"))
	if err != nil {
		return nil, err
	}
	return auth.NewKeySet(dev)
}

// PoolOptions are the server's database pool settings: its size and its bounds on waiting.
func PoolOptions(cfg config.Config, log *slog.Logger) postgres.PoolOptions {
	return postgres.PoolOptions{MaxOpen: cfg.DBMaxConns, ConnectTimeout: cfg.DBConnectTimeout, AcquireTimeout: cfg.DBAcquireTimeout,
		StatementTimeout: cfg.DBStatementTimeout, Log: log}
}

// OpenReadDB opens the read replica of P4W_READ_DATABASE_URL with opts, the primary's pool
// options, and sends db's long reads to it (postgres.DB.Read). It is never migrated: a replica
// is read-only and replays the primary's schema. It returns nil when none is configured; the
// caller closes it once the server has stopped. A replica down does not fail it: the long reads
// fall back to the primary until it answers.
func OpenReadDB(ctx context.Context, cfg config.Config, db *postgres.DB, opts postgres.PoolOptions) (*postgres.DB, error) {
	if cfg.ReadDatabaseURL == "" {
		return nil, nil
	}
	if opts.Log != nil {
		opts.Log = opts.Log.With("database", "replica") // its outages are the replica's, not the API's
	}
	replica, err := postgres.OpenReplica(ctx, cfg.ReadDatabaseURL, opts)
	if err != nil {
		return nil, fmt.Errorf("P4W_READ_DATABASE_URL: %w", err)
	}
	db.ReadFrom(replica)
	return replica, nil
}

// NewHandler builds the services and the HTTP handler that serves the whole API on them.
func NewHandler(cfg config.Config, db *postgres.DB, log *slog.Logger) (http.Handler, error) {
	s, err := NewServices(cfg, db)
	if err != nil {
		return nil, err
	}
	return Handler(cfg, db, s, log, nil)
}

// Handler builds the HTTP handler that serves the whole API on services already built. drain,
// when not nil, is how the server tells readiness it is shutting down.
func Handler(cfg config.Config, db *postgres.DB, s Services, log *slog.Logger, drain *httpapi.Drain) (http.Handler, error) {
	return httpapi.New(httpapi.Config{
		CORSOrigins:        cfg.CORSOrigins,
		BodyLimit:          cfg.BodyLimitBytes,
		ImportMaxBytes:     cfg.ImportMaxBytes,
		IdempotencyTTL:     cfg.IdempotencyTTL,
		TokenRatePerMinute: cfg.TokenRatePerMinute,
		TrustProxyHeaders:  cfg.TrustProxyHeaders,
		RequestTimeout:     cfg.RequestTimeout,

		PublicRatePerMinute: cfg.PublicRatePerMinute,
	}, httpapi.Deps{
		Log:           log,
		DB:            db,
		Tx:            db,
		Snapshots:     db, // an export's pages: on the replica, if any
		Idempotency:   postgres.NewIdempotency(db),
		Organisations: s.Organisations,
		Programmes:    s.Programmes,
		Participants:  s.Participants,
		Accounts:      s.Accounts,
		Audit:         s.Audit,
		Changes:       s.Changes,
		Cohorts:       s.Cohorts,
		Enrolments:    s.Enrolments,
		Placements:    s.Placements,
		Outcomes:      s.Outcomes,
		Mentors:       s.Mentors,
		Matches:       s.Matches,
		Vacancies:     s.Vacancies,
		Interviews:    s.Interviews,
		Timeline:      s.Timeline,
		Imports:       s.Imports,
		FundingAwards: s.FundingAwards,
		Reports:       s.Reports,
		CaseStudies:   s.CaseStudies,
		Guidance:      s.Guidance,
		Directory:     s.Directory,
		Opportunities: s.Opportunities,
		Webhooks:      s.Webhooks,
		JWKS:          s.Keys.JWKS(),
		Drain:         drain,
	})
}
