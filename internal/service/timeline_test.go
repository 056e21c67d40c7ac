package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/service"
)

// workExperience is the catalogue's "Work experience" programme: no age limit that matters
// here, no benefit needed, no bounds on its duration.
var workExperience = uuid.MustParse("01900000-0000-7000-8000-000000000106")

// A participant's timeline costs the same number of statements whatever their history: with
// one cohort read per enrolment and one vacancy read per interview, the longer history below
// sent six more.
func TestTimelineReadsInAFixedNumberOfQueries(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	s, err := app.NewServices(apitest.Config(t, "unused"), db)
	if err != nil {
		t.Fatal(err)
	}
	sys := apitest.System()
	region := "london"
	trust, err := s.Organisations.Create(sys, domain.Organisation{Kind: domain.KindTrust, Name: "Trust", Region: &region}, nil)
	if err != nil {
		t.Fatal(err)
	}
	statements := func(history int) int {
		t.Helper()
		dob := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		ref := uuid.NewString()
		who, err := s.Participants.Create(sys, domain.Participant{OrganisationID: trust.ID, ExternalRef: &ref, DateOfBirth: &dob},
			domain.ConsentChange{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		starts := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 1, 0)
		for i := range history {
			c, err := s.Cohorts.Create(sys, domain.Cohort{ProgrammeID: workExperience, OrganisationID: trust.ID,
				Name: fmt.Sprintf("Cohort %d", i), StartsOn: starts, EndsOn: starts.AddDate(0, 0, 7), Capacity: 5}, nil)
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.Enrolments.Create(sys, c.ID, who.ID, domain.Referred, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.Vacancies.Create(sys, domain.Vacancy{OrganisationID: trust.ID, EmployerName: "Trust",
				Role: fmt.Sprintf("Porter %d", i), ClosingOn: starts}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Interviews.Create(sys, domain.Interview{VacancyID: v.ID, ParticipantID: who.ID, EnrolmentID: &e.ID,
				HeldOn: starts, Result: "pending"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		ctx, recorded := pgtest.Record(domain.WithPrincipal(context.Background(), service.System()))
		events, err := s.Timeline.Of(ctx, who.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 * history; len(events) != want { // a referral and an interview each
			t.Fatalf("%d events, want %d: %+v", len(events), want, events)
		}
		return len(recorded.SQL())
	}
	short, long := statements(1), statements(4)
	if short != long {
		t.Errorf("the timeline of one enrolment and one interview took %d statements, of four of each %d: it reads per record", short, long)
	}
}
