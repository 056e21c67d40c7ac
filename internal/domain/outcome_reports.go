package domain

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The dimensions an outcome report groups by, in the order its rows' keys are sorted.
const (
	GroupProgramme    = "programme"
	GroupOrganisation = "organisation"
	GroupRegion       = "region"
	GroupCohort       = "cohort"
	GroupAward        = "award"
	GroupQuarter      = "quarter"
)

// OutcomeDimensions lists every dimension, in the order the keys of a row are sorted.
var OutcomeDimensions = []string{GroupProgramme, GroupOrganisation, GroupRegion, GroupCohort, GroupAward, GroupQuarter}

// OutcomeQuery is what an outcome report counts and how it groups: the enrolments that
// started (reached active) from From to To, both days included (nil: unbounded), of cohorts of
// ProgrammeID and OrganisationID when set, within the caller's reach.
type OutcomeQuery struct {
	GroupBy                     []string // dimensions, each once, in OutcomeDimensions' order
	From, To                    *time.Time
	ProgrammeID, OrganisationID *uuid.UUID
}

// NewOutcomeQuery checks an outcome report's parameters and puts the dimensions in their
// canonical order, so that the same grouping always makes the same query. Errors: invalid,
// naming group_by or to.
func NewOutcomeQuery(groupBy []string, from, to *time.Time, programme, organisation *uuid.UUID) (OutcomeQuery, error) {
	q := OutcomeQuery{From: from, To: to, ProgrammeID: programme, OrganisationID: organisation}
	for _, d := range groupBy {
		if !slices.Contains(OutcomeDimensions, d) {
			return q, Invalid("group_by", "must be a comma-separated list of "+strings.Join(OutcomeDimensions, ", "))
		}
		if slices.Contains(q.GroupBy, d) {
			return q, Invalid("group_by", "names "+d+" twice")
		}
		q.GroupBy = append(q.GroupBy, d)
	}
	slices.SortFunc(q.GroupBy, func(a, b string) int {
		return slices.Index(OutcomeDimensions, a) - slices.Index(OutcomeDimensions, b)
	})
	if from != nil && to != nil && to.Before(*from) {
		return q, Invalid("to", "must not be before from")
	}
	return q, nil
}

// Groups reports whether the query groups by dimension d.
func (q OutcomeQuery) Groups(d string) bool { return slices.Contains(q.GroupBy, d) }

// OutcomeKeys are a row's values of the dimensions grouped by; the others stay zero. A cohort
// delivered under no award has a nil AwardID, an organisation with no region an empty Region.
type OutcomeKeys struct {
	ProgrammeID, OrganisationID, CohortID uuid.UUID
	AwardID                               *uuid.UUID
	Region                                string
	Quarter                               string // of the enrolment's start: "2025-Q3"
}

// OutcomeRow is one group of an outcome report. Over the group's enrolments that started:
// how many completed and how many withdrew (after starting); their outcomes (live, linked to
// the enrolment or to none) by positive destination, and sustainment of those at 3 and 6
// months; conversion is the enrolments with a positive outcome over the enrolments started.
type OutcomeRow struct {
	OutcomeKeys
	Started, Completed, Withdrawn int
	Converted                     int
	Positive                      []Count // every positive destination, in Destinations' order
	Checked3m, Held3m             int
	Checked6m, Held6m             int
}

// Conversion is started enrolments with a positive outcome over started enrolments.
func (r OutcomeRow) Conversion() Rate { return Rate{r.Converted, r.Started} }

// Sustained3m and Sustained6m are positive outcomes held at the check over those checked.
func (r OutcomeRow) Sustained3m() Rate { return Rate{r.Held3m, r.Checked3m} }
func (r OutcomeRow) Sustained6m() Rate { return Rate{r.Held6m, r.Checked6m} }

// OutcomeReport is the outcome analytics of one query.
type OutcomeReport struct {
	Query       OutcomeQuery
	GeneratedAt time.Time
	Rows        []OutcomeRow // sorted by the keys, in OutcomeDimensions' order
}

// OutcomeReportStore counts outcome reports.
type OutcomeReportStore interface {
	// Outcomes counts q's rows within the context's reach, sorted by their keys. Errors:
	// unavailable.
	Outcomes(ctx context.Context, q OutcomeQuery) ([]OutcomeRow, error)
}
