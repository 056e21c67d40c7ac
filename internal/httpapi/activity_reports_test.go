package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

type activityCountsDoc struct {
	WorkExperience      int `json:"work_experience_opportunities"`
	WorkRelatedLearning int `json:"work_related_learning_opportunities"`
	Employability       int `json:"employability_programme_participants"`
}

type activityDoc struct {
	Year     string            `json:"year"`
	StartsOn string            `json:"starts_on"`
	EndsOn   string            `json:"ends_on"`
	Total    activityCountsDoc `json:"total"`
	Regions  []struct {
		Region string `json:"region"`
		activityCountsDoc
	} `json:"regions"`
}

// The raw rows an activity test wrote.
type (
	rawActivityPlacement struct {
		org, kind, startsOn string
		deleted             bool
	}
	rawStart struct{ org, participant, started string } // an employability enrolment that started
)

type activityWorld struct {
	regions    map[string]string // organisation -> region
	placements []rawActivityPlacement
	starts     []rawStart
}

// expected computes the activity of the organisations in reach from from to to, in total and
// for region ("" for the total).
func (w activityWorld) expected(reach func(org string) bool, from, to, region string) activityCountsDoc {
	var c activityCountsDoc
	in := func(org string) bool { return reach(org) && (region == "" || w.regions[org] == region) }
	for _, p := range w.placements {
		if p.deleted || !in(p.org) || !within(p.startsOn, from, to) {
			continue
		}
		switch p.kind {
		case "work_experience":
			c.WorkExperience++
		case "work_related_learning":
			c.WorkRelatedLearning++
		}
	}
	seen := map[string]bool{}
	for _, s := range w.starts {
		if in(s.org) && within(s.started, from, to) && !seen[s.participant] {
			seen[s.participant] = true
			c.Employability++
		}
	}
	return c
}

type activityFixture struct {
	env               *apitest.Env
	nat               string
	a, b              domain.Organisation
	aUser, bUser, out string
	collabUser        string // a collaboration of A and B, which B has left
	world             *activityWorld
}

// newActivityFixture: trust A (North West) and trust B (London) run Get Started cohorts either
// side of the end of 2025/26 and a Work experience cohort, with placements of every kind, one
// deleted; a participant starts Get Started twice in a year, another enrols and never starts,
// one starts and withdraws, one starts and is then erased. A and B were members of a
// collaboration; B has left it.
func newActivityFixture(t *testing.T) activityFixture {
	t.Helper()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	f := activityFixture{env: env, nat: nat, a: env.Organisation(t, domain.KindTrust, "Activity A NHS Trust"),
		b: env.Organisation(t, domain.KindTrust, "Activity B NHS Trust"), world: &activityWorld{regions: map[string]string{}}}
	apitest.WantStatus(t, env.Patch(t, "/v1/organisations/"+f.b.ID.String(), nat, `{"region":"london"}`), http.StatusOK)
	f.world.regions[f.a.ID.String()], f.world.regions[f.b.ID.String()] = "north_west", "london"
	f.out = env.User(t, env.Organisation(t, domain.KindTrust, "Activity Outsider NHS Trust").ID, domain.RoleOrgAdmin)
	f.aUser = env.User(t, f.a.ID, domain.RoleCoordinator)
	f.bUser = env.User(t, f.b.ID, domain.RoleCoordinator)
	rw := &reportWorld{}
	trusts := map[string]reportTrust{"a": {env, f.a, f.aUser, rw}, "b": {env, f.b, f.bUser, rw}}

	cohort := func(tr reportTrust, programme, startsOn, endsOn string) string {
		return env.MustCreate(t, "/v1/cohorts", tr.token, apitest.JSON(t, "programme_id", programme, "organisation_id", tr.org.ID.String(),
			"name", "Cohort "+startsOn, "starts_on", startsOn, "ends_on", endsOn, "capacity", 30))
	}
	start := func(tr reportTrust, cohort, participant, started string) string {
		e := tr.enrol(t, cohort, participant, "2025-05-01", started, "", "", "")
		if started != "" {
			f.world.starts = append(f.world.starts, rawStart{tr.org.ID.String(), participant, started})
		}
		return e
	}
	placement := func(tr reportTrust, enrolment, kind, startsOn, endsOn string) string {
		id := env.MustCreate(t, "/v1/placements", tr.token, apitest.JSON(t, "enrolment_id", enrolment, "kind", kind,
			"host_department", "Estates", "role_area", "estates", "starts_on", startsOn, "ends_on", endsOn))
		f.world.placements = append(f.world.placements, rawActivityPlacement{tr.org.ID.String(), kind, startsOn, false})
		return id
	}
	a, b := trusts["a"], trusts["b"]
	// Work experience at A: its enrolment is not an employability start.
	we := cohort(a, workExperienceProgramme, "2025-06-02", "2025-08-29")
	pa := a.participant(t)
	ewe := a.enrol(t, we, pa, "2025-05-20", "2025-06-02", "", "", "")
	placement(a, ewe, "work_experience", "2025-06-09", "2025-06-20")
	placement(a, ewe, "work_related_learning", "2025-07-07", "2025-07-18")
	placement(a, ewe, "placement", "2025-07-21", "2025-07-25")
	gone := placement(a, ewe, "work_experience", "2025-08-04", "2025-08-08")
	env.MustDelete(t, "/v1/placements/"+gone, a.token)
	f.world.placements[len(f.world.placements)-1].deleted = true
	// Get Started at A, twice in 2025/26 for the same participant, and once across the year's end.
	gs1 := cohort(a, getStartedProgramme, "2025-12-08", "2025-12-10")
	gs2 := cohort(a, getStartedProgramme, "2026-01-12", "2026-01-14")
	gs3 := cohort(a, getStartedProgramme, "2026-03-30", "2026-04-01")
	start(a, gs1, pa, "2025-12-08")
	start(a, gs2, pa, "2026-01-12")
	pa2 := a.participant(t)
	start(a, gs3, pa2, "2026-04-01")
	pa3 := a.participant(t)
	start(a, gs3, pa3, "2026-03-31")
	// Get Started at B: one starts (with a work experience placement), one never does.
	gsb := cohort(b, getStartedProgramme, "2025-12-08", "2025-12-10")
	pb := b.participant(t)
	eb := start(b, gsb, pb, "2025-12-08")
	placement(b, eb, "work_experience", "2025-12-09", "2025-12-10")
	start(b, gsb, b.participant(t), "")
	// Started and withdrawn the next day: a participant all the same.
	pbw := b.participant(t)
	b.enrol(t, gsb, pbw, "2025-05-01", "2025-12-08", "", "2025-12-09", "Moved away")
	f.world.starts = append(f.world.starts, rawStart{b.org.ID.String(), pbw, "2025-12-08"})
	// Erased after starting: erasure removes who, not that they took part.
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+pa3, a.token, ""), http.StatusNoContent)

	collab := env.Organisation(t, domain.KindCollaboration, "Activity Collaboration")
	for _, m := range []domain.Organisation{f.a, f.b} {
		apitest.WantStatus(t, env.Do(t, http.MethodPut, "/v1/organisations/"+collab.ID.String()+"/members/"+m.ID.String(), nat, ""), http.StatusNoContent)
	}
	f.collabUser = env.User(t, collab.ID, domain.RoleViewer)
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/organisations/"+collab.ID.String()+"/members/"+f.b.ID.String(), nat, ""),
		http.StatusNoContent)
	return f
}

func (f activityFixture) report(t *testing.T, year, token string) activityDoc {
	t.Helper()
	res := f.env.Do(t, http.MethodGet, "/v1/reports/activity?year="+year, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var d activityDoc
	res.Decode(t, &d)
	return d
}

func TestActivityReportCountsFromTheRawRecords(t *testing.T) {
	t.Parallel()
	f := newActivityFixture(t)
	everyone := func(string) bool { return true }
	for _, y := range []struct{ name, from, to string }{{"2025/26", "2025-04-01", "2026-03-31"}, {"2026/27", "2026-04-01", "2027-03-31"},
		{"2018/19", "2018-04-01", "2019-03-31"}} {
		got := f.report(t, y.name, f.nat)
		if got.Year != y.name || got.StartsOn != y.from || got.EndsOn != y.to {
			t.Errorf("%s: %+v", y.name, got)
		}
		// National: the total of everyone, and every region.
		if want := f.world.expected(everyone, y.from, y.to, ""); got.Total != want {
			t.Errorf("%s total: got %+v, want %+v", y.name, got.Total, want)
		}
		var regions []string
		for _, r := range got.Regions {
			regions = append(regions, r.Region)
			if want := f.world.expected(everyone, y.from, y.to, r.Region); r.activityCountsDoc != want {
				t.Errorf("%s %s: got %+v, want %+v", y.name, r.Region, r.activityCountsDoc, want)
			}
		}
		if !slices.Equal(regions, domain.Regions) {
			t.Errorf("regions %v", regions)
		}
	}
	// Written out: 2025/26 has one work experience placement at each trust (A's deleted one and
	// its plain placement left out), one work-related learning, and four participants
	// (A's twice-started one once, A's started on 31 March and since erased, B's two: one
	// withdrawn the day after starting).
	if got := f.report(t, "2025/26", f.nat).Total; got != (activityCountsDoc{2, 1, 4}) {
		t.Errorf("2025/26: %+v", got)
	}
	for _, bad := range []string{"2025/27", "2025-26", ""} {
		res := f.env.Do(t, http.MethodGet, "/v1/reports/activity?year="+bad, f.nat, "")
		if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("year %q: %d %s", bad, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, res.Status, "year")
	}
	// CSV: the total as "all", then every region.
	res := f.env.Do(t, http.MethodGet, "/v1/reports/activity?year=2025/26", f.nat, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename=activity-report-2025-26.csv" {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil || len(rows) != 2+len(domain.Regions) || !reflect.DeepEqual(rows[1], []string{"all", "2", "1", "4"}) ||
		!reflect.DeepEqual(rows[1+2], []string{"london", "1", "0", "2"}) {
		t.Errorf("CSV (%v): %q", err, rows)
	}
}

func TestActivityReportCountsOnlyTheCallersReach(t *testing.T) {
	t.Parallel()
	f := newActivityFixture(t)
	// The collaboration reaches its remaining member, A, and no longer B, which left it.
	for who, c := range map[string]struct {
		token string
		org   string
	}{"trust A": {f.aUser, f.a.ID.String()}, "trust B": {f.bUser, f.b.ID.String()}, "another trust": {f.out, ""},
		"the collaboration B left": {f.collabUser, f.a.ID.String()}} {
		got := f.report(t, "2025/26", c.token)
		own := func(org string) bool { return org == c.org }
		if want := f.world.expected(own, "2025-04-01", "2026-03-31", ""); got.Total != want {
			t.Errorf("%s: total %+v, want %+v", who, got.Total, want)
		}
		for _, r := range got.Regions {
			if want := f.world.expected(own, "2025-04-01", "2026-03-31", r.Region); r.activityCountsDoc != want {
				t.Errorf("%s, %s: %+v, want %+v", who, r.Region, r.activityCountsDoc, want)
			}
		}
	}
	if got := f.report(t, "2025/26", f.out).Total; got != (activityCountsDoc{}) {
		t.Errorf("another trust counts %+v", got)
	}
}
