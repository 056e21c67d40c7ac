package domain

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Destinations lists every destination, in the order reports show them: the positive ones first.
var Destinations = []string{DestEmployment, DestApprenticeship, DestVolunteering, DestFurtherEducation, DestTraining,
	DestNone, DestUnknown}

// PositiveDestinations are the destinations Positive accepts, for queries that count them.
func PositiveDestinations() []string {
	var out []string
	for _, d := range Destinations {
		if Positive(d) {
			out = append(out, d)
		}
	}
	return out
}

// RoleAreas lists every role area of a placement, in the order reports show them.
var RoleAreas = []string{"facilities", "estates", "healthcare_support", "administration", "clinical_support", "other"}

// ReportPeriod is the stretch of days a report covers, both ends included.
type ReportPeriod struct {
	Name       string // as asked: "2025-Q3" or "year-1"
	FundedYear int    // the award's funded year the period lies in, 1 to 3
	Year       FinancialYear
	From, To   time.Time
}

var quarterName = regexp.MustCompile(`^([0-9]{4})-Q([1-4])$`)

// HighlightPeriod reads a highlight report's period of award a: a calendar quarter, "2025-Q3",
// which must lie within one of the award's three funded years (a quarter always lies within one
// financial year), or a funded year, "year-1" to "year-3". Errors: invalid, naming period.
func HighlightPeriod(a FundingAward, name string) (ReportPeriod, error) {
	if len(name) == 6 && name[:5] == "year-" {
		n, _ := strconv.Atoi(name[5:])
		if fy, ok := a.FundedYear(n); ok {
			return ReportPeriod{Name: name, FundedYear: n, Year: fy, From: fy.StartsOn, To: fy.EndsOn}, nil
		}
		return ReportPeriod{}, Invalid("period", "must be year-1, year-2 or year-3")
	}
	m := quarterName.FindStringSubmatch(name)
	if m == nil {
		return ReportPeriod{}, Invalid("period", "must be a quarter such as 2025-Q3 or a funded year such as year-1")
	}
	year, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	from := time.Date(year, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 3, -1)
	for n := 1; n <= FundedYears; n++ {
		fy, ok := a.FundedYear(n)
		if ok && !from.Before(fy.StartsOn) && !to.After(fy.EndsOn) {
			return ReportPeriod{Name: name, FundedYear: n, Year: fy, From: from, To: to}, nil
		}
	}
	first, _ := a.FundedYear(1)
	last, _ := a.FundedYear(FundedYears)
	return ReportPeriod{}, Invalid("period", fmt.Sprintf("must be a quarter within the award's funded years, %s to %s",
		first.StartsOn.Format(time.DateOnly), last.EndsOn.Format(time.DateOnly)))
}

// Rate is a share with what it was computed from; reports never show one without the other.
type Rate struct{ Numerator, Denominator int }

// Value is the rate rounded to 4 decimal places; ok is false when the denominator is 0.
func (r Rate) Value() (v float64, ok bool) {
	if r.Denominator == 0 {
		return 0, false
	}
	return math.Round(float64(r.Numerator)/float64(r.Denominator)*10000) / 10000, true
}

// Count is one line of a breakdown: how many of Key.
type Count struct {
	Key string
	N   int
}

// OutcomeTally is how many outcomes of one destination and ILR code a report counts, and how
// their sustainment checks went.
type OutcomeTally struct {
	Destination, ILRCode string
	Outcomes             int
	Checked3m, Held3m    int // with a 3-month check recorded; of which still in post
	Checked6m, Held6m    int
}

// HighlightCounts are the figures storage counts for a highlight report (HighlightReport
// says what each counts).
type HighlightCounts struct {
	Cohorts                          int
	Engaged, EngagedPositive         int
	Starts, Completions, Withdrawals int
	WithdrawalsByReason              []Count // most frequent first
	Outcomes                         []OutcomeTally
	PlacementsByRoleArea             []Count
	Matches, CheckIns                int
	CaseStudies                      []ReportedCaseStudy // published in the period, earliest first
}

// ReportedCaseStudy is a published case study a highlight report lists: what the public
// directory shows of it anyway, and nothing of the participant it may name.
type ReportedCaseStudy struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Title          string
	PublishedOn    time.Time
}

// HighlightReport is a recipient's report to HEE on one funding award for one period. Over the
// cohorts delivered under the award and the period's days:
//   - an enrolment is engaged when it reached active on or before the period's last day and
//     did not complete or withdraw before its first; a participant is engaged when one of their
//     enrolments is;
//   - an outcome counts for the award when it is live, belongs to an engaged participant, and is
//     linked to one of the award's enrolments or to none;
//   - conversion is engaged participants with a positive outcome over engaged participants;
//   - sustainment is positive outcomes still held at a check over those with the check recorded;
//   - a case study counts when it is published, and was published in the period, about the
//     award's programme, by the recipient, one of its member trusts, or an organisation that
//     delivers a cohort under the award (a trust that has since left the collaboration).
type HighlightReport struct {
	Award       FundingAward
	Period      ReportPeriod
	Minimum     int // the funded year's minimum number of participants
	GeneratedAt time.Time
	HighlightCounts
}

// Conversion is engaged participants with a positive outcome over engaged participants.
func (r HighlightReport) Conversion() Rate { return Rate{r.EngagedPositive, r.Engaged} }

// MinimumMet reports whether the award engaged at least the funded year's minimum.
func (r HighlightReport) MinimumMet() bool { return r.Engaged >= r.Minimum }

// ByDestination counts the outcomes of each destination, every destination listed.
func (r HighlightReport) ByDestination() []Count {
	out := make([]Count, len(Destinations))
	for i, d := range Destinations {
		out[i].Key = d
		for _, t := range r.Outcomes {
			if t.Destination == d {
				out[i].N += t.Outcomes
			}
		}
	}
	return out
}

// ByILRCode counts the outcomes of each ILR code recorded, in code order (storage sorts them).
func (r HighlightReport) ByILRCode() []Count {
	var out []Count
	for _, t := range r.Outcomes {
		if n := len(out); n > 0 && out[n-1].Key == t.ILRCode {
			out[n-1].N += t.Outcomes
			continue
		}
		out = append(out, Count{t.ILRCode, t.Outcomes})
	}
	return out
}

// Sustained3m and Sustained6m are positive outcomes still held at the check over those checked.
func (r HighlightReport) Sustained3m() Rate {
	return r.sustained(func(t OutcomeTally) (int, int) { return t.Held3m, t.Checked3m })
}

func (r HighlightReport) Sustained6m() Rate {
	return r.sustained(func(t OutcomeTally) (int, int) { return t.Held6m, t.Checked6m })
}

func (r HighlightReport) sustained(of func(OutcomeTally) (held, checked int)) Rate {
	var rate Rate
	for _, t := range r.Outcomes {
		if Positive(t.Destination) {
			held, checked := of(t)
			rate.Numerator += held
			rate.Denominator += checked
		}
	}
	return rate
}

// ReportStore counts what reports show. Its reads return counts only, never a person.
type ReportStore interface {
	OutcomeReportStore
	ROIReportStore
	ActivityReportStore
	// Highlight counts award's figures over the days from to to, both included, within the
	// context's reach. Errors: unavailable.
	Highlight(ctx context.Context, award uuid.UUID, from, to time.Time) (HighlightCounts, error)
}
