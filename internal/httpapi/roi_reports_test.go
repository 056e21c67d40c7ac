package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
)

type roiDoc struct {
	FinancialYear               *string `json:"financial_year"`
	FundedYears                 int     `json:"funded_years"`
	SpendPence                  int64   `json:"spend_pence"`
	PositiveOutcomes            int     `json:"positive_outcomes"`
	CostPerPositiveOutcomePence *int64  `json:"cost_per_positive_outcome_pence"`
	Multiplier                  float64 `json:"multiplier"`
	EstimatedBenefitPence       int64   `json:"estimated_benefit_pence"`
	Estimate                    bool    `json:"estimate"`
	Method                      string  `json:"method"`
}

func (f highlightFixture) roi(t *testing.T, query, token string) roiDoc {
	t.Helper()
	res := f.env.Do(t, http.MethodGet, "/v1/reports/roi"+query, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	var d roiDoc
	res.Decode(t, &d)
	return d
}

func TestROIReportEstimatesFromTheAwardsAndTheRawRecords(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	// The fixture's two awards to the collaboration, both of tender round 2025/26, each
	// 12,000,000, 9,000,000 and 6,000,000 pence (awardBody); only the first has cohorts.
	amounts := []int64{12_000_000, 9_000_000, 6_000_000}
	years := []struct{ name, from, to string }{{"2025/26", "2025-04-01", "2026-03-31"}, {"2026/27", "2026-04-01", "2027-03-31"},
		{"2027/28", "2027-04-01", "2028-03-31"}}
	positives := make([]int, len(years))
	for i, y := range years {
		positives[i] = f.world.expectedHighlight(f.awardCohorts, y.from, y.to, 0).Conversion.Numerator
	}
	check := func(t *testing.T, got roiDoc, fundedYears int, spend int64, positive int, multiplier float64) {
		t.Helper()
		if got.FundedYears != fundedYears || got.SpendPence != spend || got.PositiveOutcomes != positive || got.Multiplier != multiplier ||
			got.EstimatedBenefitPence != int64(math.Round(float64(spend)*multiplier)) || !got.Estimate ||
			!strings.Contains(got.Method, "Estimated benefit = spend x multiplier") {
			t.Errorf("got %+v, want %d funded years, spend %d, %d positive, multiplier %v", got, fundedYears, spend, positive, multiplier)
		}
		switch {
		case positive == 0 && got.CostPerPositiveOutcomePence != nil:
			t.Errorf("cost per positive outcome %d with none", *got.CostPerPositiveOutcomePence)
		case positive > 0 && (got.CostPerPositiveOutcomePence == nil || *got.CostPerPositiveOutcomePence != int64(math.Round(float64(spend)/float64(positive)))):
			t.Errorf("cost per positive outcome %v, spend %d over %d", got.CostPerPositiveOutcomePence, spend, positive)
		}
	}
	for i, y := range years {
		t.Run(y.name, func(t *testing.T) {
			check(t, f.roi(t, "?financial_year="+y.name, f.collabUser), 2, 2*amounts[i], positives[i], 2.5)
		})
	}
	all := positives[0] + positives[1] + positives[2]
	check(t, f.roi(t, "", f.collabUser), 6, 2*(amounts[0]+amounts[1]+amounts[2]), all, 2.5)
	check(t, f.roi(t, "?multiplier=3.75&programme_id="+workExperienceProgramme, f.nat), 3, amounts[0]+amounts[1]+amounts[2], all, 3.75)
	check(t, f.roi(t, "?financial_year=2028/29", f.collabUser), 0, 0, 0, 2.5)
	if positives[0] != 4 { // the highlight report's year 1, written out
		t.Errorf("year 1's positive outcomes: %d", positives[0])
	}

	for _, bad := range []struct{ query, field string }{{"?financial_year=2025/27", "financial_year"}, {"?multiplier=-1", "multiplier"},
		{"?multiplier=101", "multiplier"}} {
		res := f.env.Do(t, http.MethodGet, "/v1/reports/roi"+bad.query, f.nat, "")
		if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", bad.query, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, res.Status, bad.field)
	}

	// CSV: the same figures, one a row.
	res := f.env.Do(t, http.MethodGet, "/v1/reports/roi?financial_year=2025/26", f.collabUser, "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename=roi-report.csv" {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatalf("not a CSV: %v", err)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[1]
	}
	for k, v := range map[string]string{"financial_year": "2025/26", "funded_years": "2", "spend_pence": "24000000",
		"positive_outcomes": strconv.Itoa(positives[0]), "multiplier": "2.5", "estimated_benefit_pence": "60000000", "estimate": "true"} {
		if got[k] != v {
			t.Errorf("CSV %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestROIReportCountsOnlyTheAwardsWithinReach(t *testing.T) {
	t.Parallel()
	f := newHighlightFixture(t)
	// Another trust, naming the collaboration or not, and the trusts that deliver the
	// collaboration's cohorts but do not receive its awards, count nothing.
	for who, token := range map[string]string{"another trust": f.outsider, "a member trust": f.firstUser, "the member that left": f.secondUser} {
		for _, query := range []string{"", "?organisation_id=" + f.collab.ID.String()} {
			if got := f.roi(t, query, token); got.FundedYears != 0 || got.SpendPence != 0 || got.PositiveOutcomes != 0 ||
				got.CostPerPositiveOutcomePence != nil || got.EstimatedBenefitPence != 0 {
				t.Errorf("%s, %q: %+v", who, query, got)
			}
		}
	}
	// The national team and the recipient count the same.
	nat, collab := f.roi(t, "?organisation_id="+f.collab.ID.String(), f.nat), f.roi(t, "", f.collabUser)
	if nat.CostPerPositiveOutcomePence == nil || collab.CostPerPositiveOutcomePence == nil ||
		*nat.CostPerPositiveOutcomePence != *collab.CostPerPositiveOutcomePence {
		t.Errorf("national cost %v, the collaboration's %v", nat.CostPerPositiveOutcomePence, collab.CostPerPositiveOutcomePence)
	}
	nat.CostPerPositiveOutcomePence, collab.CostPerPositiveOutcomePence = nil, nil
	if nat != collab || nat.SpendPence == 0 {
		t.Errorf("national %+v, the collaboration %+v", nat, collab)
	}

	// A member trust's own award is its own: its report counts that award and still not the
	// collaboration's, whose cohorts it delivers; the collaboration's report, which reaches its
	// members, counts both. The method says where the money is attributed.
	if !strings.Contains(collab.Method, "a collaboration's award never counts in a member trust's report") {
		t.Errorf("the method does not say how awards are attributed: %q", collab.Method)
	}
	f.env.MustCreate(t, "/v1/funding-awards", f.nat, awardBody(t, f.first.ID.String(), getStartedProgramme, "2025/26", 500_000, 400_000, 300_000))
	if own := f.roi(t, "", f.firstUser); own.FundedYears != 3 || own.SpendPence != 1_200_000 || own.PositiveOutcomes != 0 ||
		own.Method != collab.Method {
		t.Errorf("the member trust's own award: %+v", own)
	}
	if both := f.roi(t, "", f.collabUser); both.FundedYears != collab.FundedYears+3 || both.SpendPence != collab.SpendPence+1_200_000 ||
		both.PositiveOutcomes != collab.PositiveOutcomes {
		t.Errorf("the collaboration with its member's award: %+v, before %+v", both, collab)
	}
	if got := f.roi(t, "", f.secondUser); got.SpendPence != 0 {
		t.Errorf("the member that left counts %+v", got)
	}
}
