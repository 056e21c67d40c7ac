package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// GetOutcomeReport answers the outcome analytics of the caller's reach.
func (s *Server) GetOutcomeReport(ctx context.Context, r api.GetOutcomeReportRequestObject) (api.GetOutcomeReportResponseObject, error) {
	p := r.Params
	var groupBy []string
	if p.GroupBy != nil {
		for _, d := range *p.GroupBy {
			groupBy = append(groupBy, string(d))
		}
	}
	var from, to *time.Time
	if p.From != nil {
		d := dateIn(*p.From)
		from = &d
	}
	if p.To != nil {
		d := dateIn(*p.To)
		to = &d
	}
	q, err := domain.NewOutcomeQuery(groupBy, from, to, p.ProgrammeId, p.OrganisationId)
	if err != nil {
		return nil, err
	}
	rep, err := s.Reports.Outcomes(ctx, q)
	if err != nil {
		return nil, err
	}
	if reportFormat(ctx) == "text/csv" {
		return outcomeCSV(rep)
	}
	return api.GetOutcomeReport200JSONResponse(outcomeReportOut(rep)), nil
}

func outcomeReportOut(r domain.OutcomeReport) api.OutcomeReport {
	out := api.OutcomeReport{GroupBy: []api.OutcomeDimension{}, GeneratedAt: r.GeneratedAt, Rows: make([]api.OutcomeReportRow, len(r.Rows))}
	for _, d := range r.Query.GroupBy {
		out.GroupBy = append(out.GroupBy, api.OutcomeDimension(d))
	}
	if r.Query.From != nil {
		d := dateOut(*r.Query.From)
		out.Filters.From = &d
	}
	if r.Query.To != nil {
		d := dateOut(*r.Query.To)
		out.Filters.To = &d
	}
	out.Filters.ProgrammeId, out.Filters.OrganisationId = r.Query.ProgrammeID, r.Query.OrganisationID
	for i, row := range r.Rows {
		o := api.OutcomeReportRow{Started: row.Started, Completed: row.Completed, Withdrawn: row.Withdrawn,
			Conversion: rateOut(row.Conversion()), Sustained3Months: rateOut(row.Sustained3m()), Sustained6Months: rateOut(row.Sustained6m())}
		id := func(v uuid.UUID) *uuid.UUID { return &v }
		if r.Query.Groups(domain.GroupProgramme) {
			o.ProgrammeId = id(row.ProgrammeID)
		}
		if r.Query.Groups(domain.GroupOrganisation) {
			o.OrganisationId = id(row.OrganisationID)
		}
		if r.Query.Groups(domain.GroupRegion) && row.Region != "" {
			region := api.Region(row.Region)
			o.Region = &region
		}
		if r.Query.Groups(domain.GroupCohort) {
			o.CohortId = id(row.CohortID)
		}
		if r.Query.Groups(domain.GroupAward) {
			o.FundingAwardId = row.AwardID
		}
		if r.Query.Groups(domain.GroupQuarter) {
			quarter := row.Quarter
			o.Quarter = &quarter
		}
		for _, c := range row.Positive {
			o.PositiveDestinations = append(o.PositiveDestinations, api.DestinationCount{Destination: api.Destination(c.Key), Positive: true, Count: c.N})
		}
		out.Rows[i] = o
	}
	return out
}

// outcomeKeyHeaders name the CSV columns of each dimension.
var outcomeKeyHeaders = map[string]string{
	domain.GroupProgramme: "programme_id", domain.GroupOrganisation: "organisation_id", domain.GroupRegion: "region",
	domain.GroupCohort: "cohort_id", domain.GroupAward: "funding_award_id", domain.GroupQuarter: "quarter",
}

// outcomeCSV writes one row a group: its keys, then its counts. Every cell is an id, a code or a
// number, so none needs neutralising.
func outcomeCSV(r domain.OutcomeReport) (reportFile, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	var header []string
	for _, d := range r.Query.GroupBy {
		header = append(header, outcomeKeyHeaders[d])
	}
	header = append(header, "started", "completed", "withdrawn")
	header = append(header, domain.PositiveDestinations()...)
	header = append(header, "sustained_3_months_numerator", "sustained_3_months_denominator", "sustained_6_months_numerator",
		"sustained_6_months_denominator", "conversion_numerator", "conversion_denominator", "conversion_rate")
	_ = w.Write(header)
	itoa := strconv.Itoa
	for _, row := range r.Rows {
		var cells []string
		for _, d := range r.Query.GroupBy {
			switch d {
			case domain.GroupProgramme:
				cells = append(cells, row.ProgrammeID.String())
			case domain.GroupOrganisation:
				cells = append(cells, row.OrganisationID.String())
			case domain.GroupRegion:
				cells = append(cells, row.Region)
			case domain.GroupCohort:
				cells = append(cells, row.CohortID.String())
			case domain.GroupAward:
				award := ""
				if row.AwardID != nil {
					award = row.AwardID.String()
				}
				cells = append(cells, award)
			case domain.GroupQuarter:
				cells = append(cells, row.Quarter)
			}
		}
		cells = append(cells, itoa(row.Started), itoa(row.Completed), itoa(row.Withdrawn))
		for _, c := range row.Positive {
			cells = append(cells, itoa(c.N))
		}
		conversion, rate := row.Conversion(), ""
		if v, ok := conversion.Value(); ok {
			rate = strconv.FormatFloat(v, 'f', -1, 64)
		}
		cells = append(cells, itoa(row.Held3m), itoa(row.Checked3m), itoa(row.Held6m), itoa(row.Checked6m),
			itoa(conversion.Numerator), itoa(conversion.Denominator), rate)
		_ = w.Write(cells)
	}
	w.Flush()
	return reportFile{"text/csv; charset=utf-8", "outcome-report.csv", buf.Bytes()}, w.Error()
}

func (f reportFile) VisitGetOutcomeReportResponse(w http.ResponseWriter) error {
	return f.VisitGetHighlightReportResponse(w)
}
