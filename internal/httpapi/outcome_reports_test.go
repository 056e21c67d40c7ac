package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
)

// outcomeRowDoc is a row of an outcome report as the API sends it.
type outcomeRowDoc struct {
	ProgrammeID          string `json:"programme_id"`
	OrganisationID       string `json:"organisation_id"`
	Region               string `json:"region"`
	CohortID             string `json:"cohort_id"`
	FundingAwardID       string `json:"funding_award_id"`
	Quarter              string `json:"quarter"`
	Started              int    `json:"started"`
	Completed            int    `json:"completed"`
	Withdrawn            int    `json:"withdrawn"`
	PositiveDestinations []struct {
		Destination string `json:"destination"`
		Positive    bool   `json:"positive"`
		Count       int    `json:"count"`
	} `json:"positive_destinations"`
	Sustained3Months rateDoc `json:"sustained_3_months"`
	Sustained6Months rateDoc `json:"sustained_6_months"`
	Conversion       rateDoc `json:"conversion"`
}

type outcomeReportDoc struct {
	GroupBy []string        `json:"group_by"`
	Rows    []outcomeRowDoc `json:"rows"`
}

// cohortFacts are what an outcome report groups a cohort's enrolments by, as the API reads
// the cohort back.
type cohortFacts struct{ programme, organisation, region, award string }

var positiveDestinations = []string{"employment", "apprenticeship", "volunteering", "further_education", "training"}

// expectedOutcomes computes an outcome report from the raw rows: the enrolments that started
// from from to to ("" unbounded) in the cohorts of facts that pass keep, grouped by groupBy
// (canonical order), sorted by the keys.
func (w reportWorld) expectedOutcomes(facts map[string]cohortFacts, groupBy []string, from, to string, keep func(cohortFacts) bool) []outcomeRowDoc {
	rows := map[string]*outcomeRowDoc{}
	converted := map[string]map[string]bool{}
	for _, e := range w.enrolments {
		c, ok := facts[e.cohort]
		if !ok || e.started == "" || !keep(c) || from != "" && e.started < from || to != "" && e.started > to {
			continue
		}
		var k outcomeRowDoc
		for _, d := range groupBy {
			switch d {
			case "programme":
				k.ProgrammeID = c.programme
			case "organisation":
				k.OrganisationID = c.organisation
			case "region":
				k.Region = c.region
			case "cohort":
				k.CohortID = e.cohort
			case "award":
				k.FundingAwardID = c.award
			case "quarter":
				month, _ := strconv.Atoi(e.started[5:7])
				k.Quarter = e.started[:4] + "-Q" + strconv.Itoa((month-1)/3+1)
			}
		}
		key := strings.Join([]string{k.ProgrammeID, k.OrganisationID, k.Region, k.CohortID, k.FundingAwardID, k.Quarter}, "|")
		row := rows[key]
		if row == nil {
			row, converted[key] = &k, map[string]bool{}
			for _, d := range positiveDestinations {
				row.PositiveDestinations = append(row.PositiveDestinations, struct {
					Destination string `json:"destination"`
					Positive    bool   `json:"positive"`
					Count       int    `json:"count"`
				}{d, true, 0})
			}
			rows[key] = row
		}
		row.Started++
		if e.completed != "" {
			row.Completed++
		}
		if e.withdrawn != "" {
			row.Withdrawn++
		}
		for _, o := range w.outcomes {
			if o.deleted || o.participant != e.participant || o.enrolment != "" && o.enrolment != e.id {
				continue
			}
			i := slices.Index(positiveDestinations, o.destination)
			if i < 0 {
				continue
			}
			row.PositiveDestinations[i].Count++
			converted[key][e.id] = true
			if o.held3m != "" {
				row.Sustained3Months.Denominator++
			}
			if o.held3m == "yes" {
				row.Sustained3Months.Numerator++
			}
			if o.held6m != "" {
				row.Sustained6Months.Denominator++
			}
			if o.held6m == "yes" {
				row.Sustained6Months.Numerator++
			}
		}
	}
	out := []outcomeRowDoc{}
	for key, row := range rows {
		row.Conversion = rateDoc{Numerator: len(converted[key]), Denominator: row.Started}
		out = append(out, *row)
	}
	// Sorted by the keys, an absent award or region last.
	less := func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "":
			return 1
		case b == "":
			return -1
		}
		return strings.Compare(a, b)
	}
	slices.SortFunc(out, func(a, b outcomeRowDoc) int {
		for _, c := range [][2]string{{a.ProgrammeID, b.ProgrammeID}, {a.OrganisationID, b.OrganisationID}, {a.Region, b.Region},
			{a.CohortID, b.CohortID}, {a.FundingAwardID, b.FundingAwardID}, {a.Quarter, b.Quarter}} {
			if n := less(c[0], c[1]); n != 0 {
				return n
			}
		}
		return 0
	})
	return out
}

// outcomeFixture is the highlight report's world, with a Get Started cohort of the first trust
// under no award and the second trust moved to London, and what each cohort is, read back.
type outcomeFixture struct {
	highlightFixture
	facts map[string]cohortFacts
}

func newOutcomeFixture(t *testing.T) outcomeFixture {
	t.Helper()
	f := outcomeFixture{highlightFixture: newHighlightFixture(t), facts: map[string]cohortFacts{}}
	apitest.WantStatus(t, f.env.Patch(t, "/v1/organisations/"+f.second.ID.String(), f.nat, `{"region":"london"}`), http.StatusOK)
	first := reportTrust{f.env, f.first, f.firstUser, f.world}
	// Get Started runs 2 or 3 days: a cohort in the last quarter of 2025, one started and
	// completed into an apprenticeship, one started then withdrawn.
	kv := []any{"programme_id", getStartedProgramme, "organisation_id", f.first.ID.String(), "name", "Get Started December",
		"starts_on", "2025-12-08", "ends_on", "2025-12-10", "capacity", 10}
	gs := f.env.MustCreate(t, "/v1/cohorts", f.firstUser, apitest.JSON(t, kv...))
	f.world.cohorts = append(f.world.cohorts, rawCohort{gs, "2025-12-08", "2025-12-10"})
	p := first.participant(t)
	e := first.enrol(t, gs, p, "2025-12-01", "2025-12-08", "2025-12-10", "", "")
	first.outcome(t, p, e, "apprenticeship", "EDU2", "yes", "yes")
	q := first.participant(t)
	first.enrol(t, gs, q, "2025-12-01", "2025-12-08", "", "2025-12-09", "Unwell")

	for _, c := range f.world.cohorts {
		var doc struct {
			ProgrammeID    string  `json:"programme_id"`
			OrganisationID string  `json:"organisation_id"`
			FundingAwardID *string `json:"funding_award_id"`
		}
		f.env.Do(t, http.MethodGet, "/v1/cohorts/"+c.id, f.nat, "").Decode(t, &doc)
		var org struct {
			Region string `json:"region"`
		}
		f.env.Do(t, http.MethodGet, "/v1/organisations/"+doc.OrganisationID, f.nat, "").Decode(t, &org)
		facts := cohortFacts{programme: doc.ProgrammeID, organisation: doc.OrganisationID, region: org.Region}
		if doc.FundingAwardID != nil {
			facts.award = *doc.FundingAwardID
		}
		f.facts[c.id] = facts
	}
	return f
}

func (f outcomeFixture) outcomes(t *testing.T, query, token string) outcomeReportDoc {
	t.Helper()
	res := f.env.Do(t, http.MethodGet, "/v1/reports/outcomes"+query, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var d outcomeReportDoc
	res.Decode(t, &d)
	for i := range d.Rows {
		for _, r := range []*rateDoc{&d.Rows[i].Conversion, &d.Rows[i].Sustained3Months, &d.Rows[i].Sustained6Months} {
			r.Rate = nil
		}
	}
	return d
}

func TestOutcomeReportCountsFromTheRawRecords(t *testing.T) {
	t.Parallel()
	f := newOutcomeFixture(t)
	everything := func(cohortFacts) bool { return true }
	cases := []struct {
		query    string
		groupBy  []string
		from, to string
		keep     func(cohortFacts) bool
	}{
		{"", nil, "", "", everything},
		{"?group_by=quarter,programme", []string{"programme", "quarter"}, "", "", everything},
		{"?group_by=region", []string{"region"}, "", "", everything},
		{"?group_by=award,organisation", []string{"organisation", "award"}, "", "", everything},
		{"?group_by=cohort,programme,organisation,region,award,quarter", []string{"programme", "organisation", "region", "cohort", "award", "quarter"}, "", "", everything},
		{"?group_by=organisation&from=2025-07-01&to=2025-12-31", []string{"organisation"}, "2025-07-01", "2025-12-31", everything},
		{"?group_by=cohort&programme_id=" + workExperienceProgramme, []string{"cohort"}, "", "",
			func(c cohortFacts) bool { return c.programme == workExperienceProgramme }},
		{"?group_by=programme&organisation_id=" + f.first.ID.String(), []string{"programme"}, "", "",
			func(c cohortFacts) bool { return c.organisation == f.first.ID.String() }},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			got := f.outcomes(t, c.query, f.nat)
			if want := c.groupBy; !slices.Equal(got.GroupBy, want) && !(len(want) == 0 && len(got.GroupBy) == 0) {
				t.Errorf("group_by %v, want %v", got.GroupBy, want)
			}
			want := f.world.expectedOutcomes(f.facts, c.groupBy, c.from, c.to, c.keep)
			if len(c.groupBy) == 0 && len(want) == 0 {
				want = []outcomeRowDoc{{}}
			}
			if !reflect.DeepEqual(got.Rows, want) {
				t.Errorf("rows:\n got %+v\nwant %+v", got.Rows, want)
			}
		})
	}
	// The totals written out, so a reader sees what the rows make: eight enrolments started (six
	// of Work experience, one of them under no award, two of Get Started), six of them with a
	// positive outcome (the first participant's apprenticeship, linked to no enrolment, converts
	// both of theirs).
	total := f.outcomes(t, "", f.nat).Rows[0]
	if total.Started != 8 || total.Conversion.Numerator != 6 || total.Withdrawn != 3 || total.Completed != 3 {
		t.Errorf("totals: %+v", total)
	}
	// The regional roll-up: London (the second trust), then the North West.
	if regions := f.outcomes(t, "?group_by=region", f.nat).Rows; len(regions) != 2 || regions[0].Region != "london" || regions[0].Started != 1 {
		t.Errorf("regions: %+v", regions)
	}
	for _, bad := range []string{"?group_by=county", "?group_by=programme,programme", "?from=2025-07-01&to=2025-06-30"} {
		res := f.env.Do(t, http.MethodGet, "/v1/reports/outcomes"+bad, f.nat, "")
		field := "group_by"
		if strings.Contains(bad, "to=") {
			field = "to"
		}
		if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", bad, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, res.Status, field)
	}
}

func TestOutcomeReportCountsOnlyTheCallersReach(t *testing.T) {
	t.Parallel()
	f := newOutcomeFixture(t)
	// The collaboration sees its own and its member's cohorts; the second trust has left it.
	collab := map[string]bool{f.collab.ID.String(): true, f.first.ID.String(): true}
	got := f.outcomes(t, "?group_by=organisation", f.collabUser)
	want := f.world.expectedOutcomes(f.facts, []string{"organisation"}, "", "", func(c cohortFacts) bool { return collab[c.organisation] })
	if !reflect.DeepEqual(got.Rows, want) || len(want) != 1 {
		t.Errorf("the collaboration's rows:\n got %+v\nwant %+v", got.Rows, want)
	}
	// The second trust sees only its own.
	got = f.outcomes(t, "?group_by=organisation", f.secondUser)
	if len(got.Rows) != 1 || got.Rows[0].OrganisationID != f.second.ID.String() || got.Rows[0].Started != 1 {
		t.Errorf("the second trust's rows: %+v", got.Rows)
	}
	// Another trust naming the first trust, or grouping every way, learns nothing of it: the same
	// answer as for an organisation with no enrolments.
	for _, query := range []string{"?group_by=organisation&organisation_id=" + f.first.ID.String(),
		"?group_by=programme,organisation,region,cohort,award,quarter", "?organisation_id=" + f.first.ID.String()} {
		got := f.outcomes(t, query, f.outsider)
		if strings.Contains(query, "group_by") && len(got.Rows) != 0 || !strings.Contains(query, "group_by") &&
			(len(got.Rows) != 1 || got.Rows[0].Started != 0 || got.Rows[0].Conversion.Numerator != 0) {
			t.Errorf("another trust, %s: %+v", query, got.Rows)
		}
	}
	// The same in CSV: a header and no row.
	res := f.env.Do(t, http.MethodGet, "/v1/reports/outcomes?group_by=organisation&organisation_id="+f.first.ID.String(), f.outsider, "",
		"Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll(); err != nil || len(rows) != 1 {
		t.Errorf("another trust's CSV (%v):\n%s", err, res.Body)
	}
}

func TestOutcomeReportAsCSVHasEveryFigureOfTheJSON(t *testing.T) {
	t.Parallel()
	f := newOutcomeFixture(t)
	query := "?group_by=programme,quarter"
	res := f.env.Do(t, http.MethodGet, "/v1/reports/outcomes"+query, f.collabUser, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != "attachment; filename=outcome-report.csv" {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatalf("not a CSV: %v\n%s", err, res.Body)
	}
	wantHeader := []string{"programme_id", "quarter", "started", "completed", "withdrawn", "employment", "apprenticeship", "volunteering",
		"further_education", "training", "sustained_3_months_numerator", "sustained_3_months_denominator", "sustained_6_months_numerator",
		"sustained_6_months_denominator", "conversion_numerator", "conversion_denominator", "conversion_rate"}
	if !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %v", rows[0])
	}
	j := f.env.Do(t, http.MethodGet, "/v1/reports/outcomes"+query, f.collabUser, "")
	var doc outcomeReportDoc
	j.Decode(t, &doc)
	if len(rows)-1 != len(doc.Rows) || len(doc.Rows) < 3 {
		t.Fatalf("%d CSV rows, %d JSON rows", len(rows)-1, len(doc.Rows))
	}
	for i, r := range doc.Rows {
		want := []string{r.ProgrammeID, r.Quarter, strconv.Itoa(r.Started), strconv.Itoa(r.Completed), strconv.Itoa(r.Withdrawn)}
		for _, d := range r.PositiveDestinations {
			want = append(want, strconv.Itoa(d.Count))
		}
		rate := ""
		if r.Conversion.Rate != nil {
			rate = strconv.FormatFloat(*r.Conversion.Rate, 'f', -1, 64)
		}
		want = append(want, strconv.Itoa(r.Sustained3Months.Numerator), strconv.Itoa(r.Sustained3Months.Denominator),
			strconv.Itoa(r.Sustained6Months.Numerator), strconv.Itoa(r.Sustained6Months.Denominator),
			strconv.Itoa(r.Conversion.Numerator), strconv.Itoa(r.Conversion.Denominator), rate)
		if !slices.Equal(rows[i+1], want) {
			t.Errorf("row %d: CSV %v, JSON %v", i, rows[i+1], want)
		}
	}
}
