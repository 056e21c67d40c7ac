package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Reports answers the funders' reports: counts only, never a person, each within the
// caller's reach, to a principal holding reports:read (every role; an API client granted it).
// That scope is the whole of what a reporting tool needs: a highlight report finds its award
// by id within reach without organisations:read.
type Reports struct {
	ReportsDeps
}

// ReportsDeps are what Reports is built on.
type ReportsDeps struct {
	Awards domain.FundingAwardRepository
	Store  domain.ReportStore
	Reads  Reader // long reads: on the read replica when there is one
	Now    Clock
}

// NewReports wires the report use cases.
func NewReports(d ReportsDeps) *Reports { return &Reports{d} }

// Highlight returns award id's highlight report for period ("2025-Q3", "year-1"). The award
// must be within the caller's reach: its recipient, a collaboration's member trusts and the
// national team read it, and for anyone else it does not exist. Its figures then count every
// cohort delivered under the award, whichever organisation delivers it (a trust that has since
// left the collaboration included): the report is the award's, the funder paid for all of
// them, and it holds counts only. Errors: forbidden, not_found, invalid (period).
func (s *Reports) Highlight(ctx context.Context, id uuid.UUID, period string) (domain.HighlightReport, error) {
	return longRead(ctx, s.Reads, domain.ScopeReportsRead, func(ctx context.Context) (domain.HighlightReport, error) {
		award, err := s.Awards.Get(ctx, id)
		if err != nil {
			return domain.HighlightReport{}, err
		}
		p, err := domain.HighlightPeriod(award, period)
		if err != nil {
			return domain.HighlightReport{}, err
		}
		counts, err := s.Store.Highlight(awardWide(ctx), award.ID, p.From, p.To)
		if err != nil {
			return domain.HighlightReport{}, err
		}
		return domain.HighlightReport{Award: award, Period: p, Minimum: award.Years[p.FundedYear-1].MinParticipants,
			GeneratedAt: s.Now(), HighlightCounts: counts}, nil
	})
}

// awardWide is ctx with a reach over every organisation, for the count queries of one award the
// caller may read: each of them selects the award's cohorts by id and returns counts only.
func awardWide(ctx context.Context) context.Context {
	p, _ := domain.PrincipalFrom(ctx)
	return domain.WithPrincipal(ctx, domain.Principal{Subject: p.Subject, OrganisationID: p.OrganisationID,
		Role: p.Role, Scopes: p.Scopes, AllOrganisations: true})
}

// Outcomes returns the outcome analytics of q, counting the enrolments of the caller's reach
// only: a trust its own, a collaboration its members', the national team everyone's. A filter
// naming an organisation out of reach finds nothing, as if it had no enrolments. Errors:
// forbidden.
func (s *Reports) Outcomes(ctx context.Context, q domain.OutcomeQuery) (domain.OutcomeReport, error) {
	return longRead(ctx, s.Reads, domain.ScopeReportsRead, func(ctx context.Context) (domain.OutcomeReport, error) {
		rows, err := s.Store.Outcomes(ctx, q)
		if err != nil {
			return domain.OutcomeReport{}, err
		}
		return domain.OutcomeReport{Query: q, GeneratedAt: s.Now(), Rows: rows}, nil
	})
}

// ROI estimates the return on the funding awards the caller's reach receives (a trust its
// own, a collaboration its own and its members', the national team every award), counting
// every cohort delivered under them, as their highlight reports do. Errors: forbidden.
func (s *Reports) ROI(ctx context.Context, q domain.ROIQuery) (domain.ROIReport, error) {
	return longRead(ctx, s.Reads, domain.ScopeReportsRead, func(ctx context.Context) (domain.ROIReport, error) {
		p, _ := domain.PrincipalFrom(ctx)
		counts, err := s.Store.ROI(awardWide(ctx), q, p.AllOrganisations, p.Reach)
		if err != nil {
			return domain.ROIReport{}, err
		}
		return domain.ROIReport{Query: q, GeneratedAt: s.Now(), ROICounts: counts}, nil
	})
}

// Activity returns a financial year's ("2018/19") activity by category, in total and by
// region, over the organisations within the caller's reach: a trust its own, a collaboration its
// own and its members', the national team everyone's. Errors: forbidden, invalid (year).
func (s *Reports) Activity(ctx context.Context, year string) (domain.ActivityReport, error) {
	return longRead(ctx, s.Reads, domain.ScopeReportsRead, func(ctx context.Context) (domain.ActivityReport, error) {
		fy, err := domain.ActivityYear(year)
		if err != nil {
			return domain.ActivityReport{}, err
		}
		p, _ := domain.PrincipalFrom(ctx)
		total, regions, err := s.Store.Activity(ctx, fy, p.AllOrganisations, p.Reach)
		if err != nil {
			return domain.ActivityReport{}, err
		}
		return domain.ActivityReport{Year: fy, GeneratedAt: s.Now(), Total: total, Regions: regions}, nil
	})
}
