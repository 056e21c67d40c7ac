package service

import (
	"context"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Opportunities is the public reading of what trusts offer: cohorts open for referral. It
// needs no principal and writes nothing, so it has no audit event; the store reads as the
// public role whoever asks.
type Opportunities struct {
	OpportunitiesDeps
}

// OpportunitiesDeps are what Opportunities is built on.
type OpportunitiesDeps struct {
	Opportunities domain.OpportunityRepository
}

// NewOpportunities wires the public reading.
func NewOpportunities(d OpportunitiesDeps) *Opportunities {
	return &Opportunities{d}
}

// Open returns the opportunities matching f.
func (s *Opportunities) Open(ctx context.Context, f domain.OpportunityFilter) ([]domain.Opportunity, error) {
	return s.Opportunities.Open(ctx, f)
}
