package domain

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"
)

// DefaultBenefitMultiplier is Accenture's estimate the source cites: every £1 spent on
// employability programmes recoups the £1 plus £2.50 in financial and economic benefits.
const DefaultBenefitMultiplier = 2.5

// ROIMethod says how an ROI report's estimate is made; every answer carries it.
const ROIMethod = "Spend is the sum of the amounts of the selected funded years of the funding awards within reach. " +
	"Each award is attributed to its recipient only: a trust's report counts the awards it receives, a collaboration's " +
	"the awards it and its member trusts receive, the national team's every award; a collaboration's award never counts " +
	"in a member trust's report, though the member delivers cohorts under it, because the money was awarded to the " +
	"collaboration. Positive outcomes are counted as in each award's highlight report for each of those funded years " +
	"(engaged participants with a positive outcome, in every cohort delivered under the award), and summed. Estimated benefit = spend x multiplier: the multiplier (2.5 unless given) is the " +
	"benefit over and above recouping the spend that Accenture's business case estimates for every £1 spent on employability " +
	"programmes; it is not measured from these records. Cost per positive outcome = spend / positive outcomes."

// ROIQuery is what an ROI report covers: the live funding awards within reach received by
// OrganisationID and for ProgrammeID when set, their funded years in FinancialYear (nil: every
// funded year), valued with Multiplier.
type ROIQuery struct {
	FinancialYear               *FinancialYear
	ProgrammeID, OrganisationID *uuid.UUID
	Multiplier                  float64
}

// NewROIQuery checks an ROI report's parameters. Errors: invalid, naming financial_year or
// multiplier.
func NewROIQuery(financialYear *string, programme, organisation *uuid.UUID, multiplier *float64) (ROIQuery, error) {
	q := ROIQuery{ProgrammeID: programme, OrganisationID: organisation, Multiplier: DefaultBenefitMultiplier}
	if financialYear != nil {
		first, ok := tenderRoundStart(*financialYear)
		if !ok {
			return q, Invalid("financial_year", "must be a financial year such as 2025/26")
		}
		q.FinancialYear = &FinancialYear{Name: *financialYear, StartsOn: time.Date(first, time.April, 1, 0, 0, 0, 0, time.UTC),
			EndsOn: time.Date(first+1, time.March, 31, 0, 0, 0, 0, time.UTC)}
	}
	if multiplier != nil {
		if *multiplier < 0 || *multiplier > 100 || math.IsNaN(*multiplier) {
			return q, Invalid("multiplier", "must be between 0 and 100")
		}
		q.Multiplier = *multiplier
	}
	return q, nil
}

// ROICounts are what storage counts for an ROI report.
type ROICounts struct {
	FundedYears      int   // award-years selected
	SpendPence       int64 // their amounts, summed
	PositiveOutcomes int   // engaged participants with a positive outcome, per award-year, summed
}

// ROIReport is an estimate of the return on the money awarded.
type ROIReport struct {
	Query       ROIQuery
	GeneratedAt time.Time
	ROICounts
}

// EstimatedBenefitPence is spend x multiplier, to the penny.
func (r ROIReport) EstimatedBenefitPence() int64 {
	return int64(math.Round(float64(r.SpendPence) * r.Query.Multiplier))
}

// CostPerPositiveOutcomePence is spend / positive outcomes, to the penny; ok is false with none.
func (r ROIReport) CostPerPositiveOutcomePence() (pence int64, ok bool) {
	if r.PositiveOutcomes == 0 {
		return 0, false
	}
	return int64(math.Round(float64(r.SpendPence) / float64(r.PositiveOutcomes))), true
}

// ROIReportStore counts ROI reports.
type ROIReportStore interface {
	// ROI counts q's spend and positive outcomes over the awards received within reach (the
	// reach given, not the context's: the awards' figures count every cohort delivered under
	// them). Errors: unavailable.
	ROI(ctx context.Context, q ROIQuery, all bool, reach []uuid.UUID) (ROICounts, error)
}
