package domain

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Opportunity is a cohort open for referral (planned or running, not yet ended), with the
// public facts of its programme and of the organisation that runs it: what anyone may read
// without a token. Of the programme and the organisation only the public fields are filled:
// Programme's ID, Name, Category, Description, MinAge, MaxAge and UpdatedAt; Organisation's
// ID, Kind, Name, ODSCode, Region and UpdatedAt.
type Opportunity struct {
	CohortID         uuid.UUID
	CohortName       string
	StartsOn, EndsOn time.Time
	PlacesLeft       int
	UpdatedAt        time.Time // the cohort's
	Programme        Programme
	Organisation     Organisation
}

// OpportunityFilter narrows the opportunities. The ages follow Open Referral UK's query
// parameters: MinimumAge keeps programmes whose minimum age is at least it, MaximumAge those
// whose maximum age is at most it (a programme with no upper limit has none to compare).
type OpportunityFilter struct {
	Search     string              // in the programme's name or description, any case; "" matches all
	Categories []ProgrammeCategory // nil: any; empty: none
	MinimumAge *int
	MaximumAge *int
}

// OpportunityRepository reads the opportunities with no principal: whoever asks sees the same.
type OpportunityRepository interface {
	// Open returns the opportunities matching f, ordered by programme name, organisation name,
	// start date and cohort id.
	Open(ctx context.Context, f OpportunityFilter) ([]Opportunity, error)
}
