package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// GetROIReport answers the estimated return on the awards within the caller's reach.
func (s *Server) GetROIReport(ctx context.Context, r api.GetROIReportRequestObject) (api.GetROIReportResponseObject, error) {
	q, err := domain.NewROIQuery(r.Params.FinancialYear, r.Params.ProgrammeId, r.Params.OrganisationId, r.Params.Multiplier)
	if err != nil {
		return nil, err
	}
	rep, err := s.Reports.ROI(ctx, q)
	if err != nil {
		return nil, err
	}
	out := roiReportOut(rep)
	if reportFormat(ctx) == "text/csv" {
		return roiCSV(out)
	}
	return api.GetROIReport200JSONResponse(out), nil
}

func roiReportOut(r domain.ROIReport) api.ROIReport {
	out := api.ROIReport{ProgrammeId: r.Query.ProgrammeID, OrganisationId: r.Query.OrganisationID, GeneratedAt: r.GeneratedAt,
		FundedYears: r.FundedYears, SpendPence: r.SpendPence, PositiveOutcomes: r.PositiveOutcomes, Multiplier: r.Query.Multiplier,
		EstimatedBenefitPence: r.EstimatedBenefitPence(), Estimate: true, Method: domain.ROIMethod}
	if r.Query.FinancialYear != nil {
		name := r.Query.FinancialYear.Name
		out.FinancialYear = &name
	}
	if pence, ok := r.CostPerPositiveOutcomePence(); ok {
		out.CostPerPositiveOutcomePence = &pence
	}
	return out
}

// roiCSV writes the report's figures one a row, in the order of the JSON answer; an absent
// figure is an empty cell. The method is the one free text, and it is ours.
func roiCSV(r api.ROIReport) (reportFile, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	id := ""
	if r.ProgrammeId != nil {
		id = r.ProgrammeId.String()
	}
	org := ""
	if r.OrganisationId != nil {
		org = r.OrganisationId.String()
	}
	cost := ""
	if r.CostPerPositiveOutcomePence != nil {
		cost = strconv.FormatInt(*r.CostPerPositiveOutcomePence, 10)
	}
	rows := [][]string{{"measure", "value"}, {"financial_year", str(r.FinancialYear)}, {"programme_id", id}, {"organisation_id", org},
		{"generated_at", r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z07:00")}, {"funded_years", strconv.Itoa(r.FundedYears)},
		{"spend_pence", strconv.FormatInt(r.SpendPence, 10)}, {"positive_outcomes", strconv.Itoa(r.PositiveOutcomes)},
		{"cost_per_positive_outcome_pence", cost}, {"multiplier", strconv.FormatFloat(r.Multiplier, 'f', -1, 64)},
		{"estimated_benefit_pence", strconv.FormatInt(r.EstimatedBenefitPence, 10)}, {"estimate", "true"}, {"method", r.Method}}
	_ = w.WriteAll(rows)
	return reportFile{"text/csv; charset=utf-8", "roi-report.csv", buf.Bytes()}, w.Error()
}

func (f reportFile) VisitGetROIReportResponse(w http.ResponseWriter) error {
	return f.VisitGetHighlightReportResponse(w)
}
