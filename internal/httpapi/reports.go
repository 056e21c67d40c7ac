package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// GetHighlightReport answers a funding award's highlight report for a period.
func (s *Server) GetHighlightReport(ctx context.Context, r api.GetHighlightReportRequestObject) (api.GetHighlightReportResponseObject, error) {
	rep, err := s.Reports.Highlight(ctx, r.FundingAwardId, r.Period)
	if err != nil {
		return nil, err
	}
	return api.GetHighlightReport200JSONResponse(highlightReportOut(rep)), nil
}

func highlightReportOut(r domain.HighlightReport) api.HighlightReport {
	out := api.HighlightReport{FundingAwardId: r.Award.ID, OrganisationId: r.Award.OrganisationID, ProgrammeId: r.Award.ProgrammeID,
		Period: r.Period.Name, FundedYear: r.Period.FundedYear, FinancialYear: r.Period.Year.Name,
		StartsOn: dateOut(r.Period.From), EndsOn: dateOut(r.Period.To), GeneratedAt: r.GeneratedAt, Cohorts: r.Cohorts,
		Conversion: rateOut(r.Conversion()), Sustained3Months: rateOut(r.Sustained3m()), Sustained6Months: rateOut(r.Sustained6m()),
		WithdrawalsByReason: make([]api.ReasonCount, len(r.WithdrawalsByReason)),
		OutcomesByIlrCode:   []api.ILRCodeCount{},
	}
	out.Participants.Engaged, out.Participants.Minimum, out.Participants.MinimumMet = r.Engaged, r.Minimum, r.MinimumMet()
	out.Enrolments.Starts, out.Enrolments.Completions, out.Enrolments.Withdrawals = r.Starts, r.Completions, r.Withdrawals
	out.Mentoring.Matches, out.Mentoring.CheckIns = r.Matches, r.CheckIns
	for i, c := range r.WithdrawalsByReason {
		out.WithdrawalsByReason[i] = api.ReasonCount{Reason: c.Key, Count: c.N}
	}
	for _, c := range r.ByDestination() {
		out.OutcomesByDestination = append(out.OutcomesByDestination,
			api.DestinationCount{Destination: api.Destination(c.Key), Positive: domain.Positive(c.Key), Count: c.N})
	}
	for _, c := range r.ByILRCode() {
		out.OutcomesByIlrCode = append(out.OutcomesByIlrCode, api.ILRCodeCount{IlrCode: c.Key, Count: c.N})
	}
	for _, c := range r.PlacementsByRoleArea {
		out.PlacementsByRoleArea = append(out.PlacementsByRoleArea, api.RoleAreaCount{RoleArea: api.RoleArea(c.Key), Count: c.N})
	}
	return out
}

func rateOut(r domain.Rate) api.Rate {
	out := api.Rate{Numerator: r.Numerator, Denominator: r.Denominator}
	if v, ok := r.Value(); ok {
		f := float32(v)
		out.Rate = &f
	}
	return out
}
