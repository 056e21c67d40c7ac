package postgres_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// filled returns a filter of type F with every field set: pointers to a value of their
// type, booleans true, lists of one id.
func filled[F any]() F {
	var f F
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		field := v.Field(i)
		if !field.CanSet() {
			continue
		}
		target := field
		if field.Kind() == reflect.Pointer {
			field.Set(reflect.New(field.Type().Elem()))
			target = field.Elem()
		}
		switch x := target.Addr().Interface().(type) {
		case *uuid.UUID:
			*x = uuid.New()
		case *time.Time:
			*x = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		case *[]uuid.UUID:
			*x = []uuid.UUID{uuid.New()}
		default:
			switch target.Kind() {
			case reflect.String:
				target.SetString("x")
			case reflect.Bool:
				target.SetBool(true)
			default:
				panic("filled: no value for a field of type " + target.Type().String())
			}
		}
	}
	return f
}

// Every list builds its SQL in a fixed order: the same filters make the same statement text
// every time, so PostgreSQL prepares it once. (Ranging over a map of filters made up to six
// texts for three filters.) With every filter set each list must also run.
func TestTheSameFiltersMakeTheSameSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	org := uuid.New()
	principal := domain.Principal{Subject: "user:test", OrganisationID: org, Reach: []uuid.UUID{org}}
	req := domain.PageRequest{Limit: 10, UpdatedSince: &time.Time{}, After: &domain.Position{UpdatedAt: time.Now(), ID: uuid.New()}}
	lists := map[string]func(ctx context.Context) error{
		"participants":   list(postgres.NewParticipants(db), filled[domain.ParticipantFilter](), req),
		"cohorts":        list(postgres.NewCohorts(db), filled[domain.CohortFilter](), req),
		"enrolments":     list(postgres.NewEnrolments(db), filled[domain.EnrolmentFilter](), req),
		"placements":     list(postgres.NewPlacements(db), filled[domain.PlacementFilter](), req),
		"outcomes":       list(postgres.NewOutcomes(db), filled[domain.OutcomeFilter](), req),
		"mentors":        list(postgres.NewMentors(db), filled[domain.MentorFilter](), req),
		"matches":        list(postgres.NewMatches(db), filled[domain.MatchFilter](), req),
		"check-ins":      list(postgres.NewCheckIns(db), filled[domain.CheckInFilter](), req),
		"vacancies":      list(postgres.NewVacancies(db), filled[domain.VacancyFilter](), req),
		"interviews":     list(postgres.NewInterviews(db), filled[domain.InterviewFilter](), req),
		"funding awards": list(postgres.NewFundingAwards(db), filled[domain.FundingAwardFilter](), req),
		"programmes":     list(postgres.NewProgrammes(db), filled[domain.ProgrammeFilter](), req),
		"users":          list(postgres.NewUsers(db), filled[domain.UserFilter](), req),
		"api clients":    list(postgres.NewAPIClients(db), &org, req),
		"organisations":  list(postgres.NewOrganisations(db), filled[domain.OrganisationFilter](), req),
		"audit events":   list(postgres.NewAudit(db), filled[domain.AuditFilter](), req),
		"members of a collaboration": func(ctx context.Context) error {
			_, err := postgres.NewOrganisations(db).ListMembers(ctx, uuid.New(), req)
			return err
		},
	}
	// A trust HR system's client adds consent conditions (sharedWithHR): they too must run and
	// make one text.
	hr := principal
	hr.Subject, hr.Purpose = "client:test", domain.ConsentHRSharing
	for name, run := range lists {
		for _, p := range []domain.Principal{principal, hr} {
			ctx, statements := pgtest.Record(domain.WithPrincipal(context.Background(), p))
			for range 12 {
				if err := run(ctx); err != nil {
					t.Fatalf("%s with every filter set, as %s: %v", name, p.Subject, err)
				}
			}
			wantOneText(t, name+" as "+p.Subject, statements.SQL())
		}
	}
}

// wantOneText checks that the statements sent, setting aside the tenancy settings, were of one text.
func wantOneText(t *testing.T, name string, sent []string) {
	t.Helper()
	var texts []string
	for _, sql := range sent {
		if !strings.Contains(sql, "set_config") && !slices.Contains(texts, sql) {
			texts = append(texts, sql)
		}
	}
	if len(texts) != 1 {
		t.Errorf("%s: 12 lists with the same filters sent %d statement texts, want 1:\n%s", name, len(texts), strings.Join(texts, "\n"))
	}
}

// lister is a store's List.
type lister[T, F any] interface {
	List(ctx context.Context, f F, req domain.PageRequest) (domain.Page[T], error)
}

func list[T, F any](l lister[T, F], f F, req domain.PageRequest) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := l.List(ctx, f, req)
		return err
	}
}

// A read that fails is an error of its own, never "not found": a 404 would tell a client the
// record is gone when the database did not answer.
func TestAFailedReadIsNotNotFound(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx, cancel := context.WithCancel(domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true}))
	cancel()
	_, err := postgres.NewParticipants(db).Get(ctx, uuid.New())
	if err == nil || domain.ErrorCode(err) == domain.CodeNotFound {
		t.Errorf("a read with its context cancelled answered %v (code %s), want an error other than not_found", err, domain.ErrorCode(err))
	}
}
