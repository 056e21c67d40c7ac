package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Regions lists the seven NHS England regions, in the order reports show them.
var Regions = []string{"east_of_england", "london", "midlands", "north_east_and_yorkshire", "north_west", "south_east", "south_west"}

// ActivityYear reads an activity report's financial year, "2018/19". Errors: invalid, naming
// year.
func ActivityYear(name string) (FinancialYear, error) {
	first, ok := tenderRoundStart(name)
	if !ok {
		return FinancialYear{}, Invalid("year", "must be a financial year such as 2018/19")
	}
	return FinancialYear{Name: name, StartsOn: time.Date(first, time.April, 1, 0, 0, 0, 0, time.UTC),
		EndsOn: time.Date(first+1, time.March, 31, 0, 0, 0, 0, time.UTC)}, nil
}

// ActivityCounts are the national counts by category the way HEE's survey reports them, over
// one financial year: placements (not deleted) of kind work_experience and of kind
// work_related_learning starting in it, and distinct participants whose enrolment on an
// employability programme started (reached active) in it.
type ActivityCounts struct {
	WorkExperience, WorkRelatedLearning, EmployabilityParticipants int
}

// RegionActivity is the activity of the organisations of one region.
type RegionActivity struct {
	Region string
	ActivityCounts
}

// ActivityReport is a financial year's activity within reach, in total and by region.
type ActivityReport struct {
	Year        FinancialYear
	GeneratedAt time.Time
	Total       ActivityCounts
	Regions     []RegionActivity // every region, in Regions' order
}

// ActivityReportStore counts activity reports.
type ActivityReportStore interface {
	// Activity counts the year's activity of the organisations within reach (all, or these):
	// the total, and by region (organisations with none counted in the total only). Errors:
	// unavailable.
	Activity(ctx context.Context, year FinancialYear, all bool, reach []uuid.UUID) (ActivityCounts, []RegionActivity, error)
}
