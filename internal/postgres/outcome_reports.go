package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/p4w-nhs/p4w/internal/domain"
)

var _ domain.OutcomeReportStore = (*Reports)(nil)

// outcomeKeyColumns are the SQL of each dimension of an outcome report, over outcomeDays.
var outcomeKeyColumns = map[string]string{
	domain.GroupProgramme:    "r.programme_id",
	domain.GroupOrganisation: "r.organisation_id",
	domain.GroupRegion:       "o.region",
	domain.GroupCohort:       "r.cohort_id",
	domain.GroupAward:        "r.funding_award_id",
	domain.GroupQuarter:      `to_char(r.day, 'YYYY"-Q"Q')`, // day: started_on, or quarter
}

// outcomeDays are the figures of the enrolments that started from $1 to $2 (null: unbounded)
// in cohorts of programme $3 and organisation $4 (null: any), within the reach $5 (every
// organisation) or $6 (these), with their cohort's keys: the rows of report_outcome_days
// (migration 00024), a cohort and start date each, which triggers keep equal to counting the
// enrolments and each one's live outcomes, linked to it or to none. Every figure of a row adds
// up enrolment by enrolment, so summing these rows gives any grouping's. The reach is the
// query's own scope; row-level security applies beneath it. %[3]s joins the organisations when
// the report groups by region.
//
// A report that groups by no cohort, and whose dates are whole quarters if any (a financial
// year is four), reads report_outcome_quarters instead (%[1]s), the same rows summed by quarter
// of the start date (%[2]s, its first day): the dates then select whole quarters.
const outcomeDays = `
FROM %[1]s r%[3]s
WHERE ($1::date IS NULL OR r.%[2]s >= $1::date) AND ($2::date IS NULL OR r.%[2]s <= $2::date)
	AND ($3::uuid IS NULL OR r.programme_id = $3::uuid) AND ($4::uuid IS NULL OR r.organisation_id = $4::uuid)
	AND ($5::boolean OR r.organisation_id = ANY ($6::uuid[]))`

// outcomeDestinationColumns are report_outcome_days' column of each positive destination.
var outcomeDestinationColumns = map[string]string{
	domain.DestEmployment: "employment", domain.DestApprenticeship: "apprenticeship", domain.DestVolunteering: "volunteering",
	domain.DestFurtherEducation: "further_education", domain.DestTraining: "training",
}

// outcomesSQL sums outcomeDays by the dimensions asked, in their canonical order, so that one
// grouping always makes the same SQL text.
func outcomesSQL(q domain.OutcomeQuery) string {
	var keys []string
	day := "r.started_on"
	if quarterly(q) {
		day = "r.quarter"
	}
	for _, d := range q.GroupBy {
		keys = append(keys, strings.ReplaceAll(outcomeKeyColumns[d], "r.day", day))
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for _, k := range keys {
		sb.WriteString(k + ", ")
	}
	sum := func(column string) string { return "coalesce(sum(r." + column + "), 0)::int" }
	sb.WriteString(sum("started") + ", " + sum("completed") + ", " + sum("withdrawn") + ", " + sum("converted"))
	for _, d := range domain.PositiveDestinations() {
		sb.WriteString(",\n\t" + sum(outcomeDestinationColumns[d]))
	}
	sb.WriteString(",\n\t" + sum("checked_3m") + ", " + sum("held_3m") + ", " + sum("checked_6m") + ", " + sum("held_6m"))
	join := ""
	if q.Groups(domain.GroupRegion) {
		join = " JOIN organisations o ON o.id = r.organisation_id"
	}
	table, column := "report_outcome_days", "started_on"
	if quarterly(q) {
		table, column = "report_outcome_quarters", "quarter"
	}
	sb.WriteString(fmt.Sprintf(outcomeDays, table, column, join))
	if len(keys) > 0 {
		sb.WriteString("\nGROUP BY " + strings.Join(keys, ", ") + "\nORDER BY " + strings.Join(keys, ", "))
	} // with no keys, one row of totals, even over no enrolment at all
	return sb.String()
}

// quarterly reports whether q can read report_outcome_quarters: it groups by no cohort, and
// its dates, if any, begin and end whole quarters.
func quarterly(q domain.OutcomeQuery) bool {
	starts := func(d time.Time) bool { return d.Day() == 1 && (d.Month()-1)%3 == 0 }
	return !q.Groups(domain.GroupCohort) && (q.From == nil || starts(*q.From)) && (q.To == nil || starts(q.To.AddDate(0, 0, 1)))
}

// Outcomes counts q's rows (domain.OutcomeRow says what each counts) in one query. Errors:
// unavailable.
func (r *Reports) Outcomes(ctx context.Context, q domain.OutcomeQuery) ([]domain.OutcomeRow, error) {
	p, _ := domain.PrincipalFrom(ctx)
	reach := p.Reach
	if reach == nil {
		reach = []uuid.UUID{}
	}
	out := []domain.OutcomeRow{}
	err := r.db.Query(ctx, func(rows pgx.Rows) error {
		for rows.Next() {
			var row domain.OutcomeRow
			var region, quarter *string
			var programme, organisation, cohort, award pgtype.UUID
			var dest []any
			for _, d := range q.GroupBy {
				switch d {
				case domain.GroupProgramme:
					dest = append(dest, &programme)
				case domain.GroupOrganisation:
					dest = append(dest, &organisation)
				case domain.GroupRegion:
					dest = append(dest, &region)
				case domain.GroupCohort:
					dest = append(dest, &cohort)
				case domain.GroupAward:
					dest = append(dest, &award)
				case domain.GroupQuarter:
					dest = append(dest, &quarter)
				}
			}
			positive := domain.PositiveDestinations()
			row.Positive = make([]domain.Count, len(positive))
			dest = append(dest, &row.Started, &row.Completed, &row.Withdrawn, &row.Converted)
			for i, d := range positive {
				row.Positive[i].Key = d
				dest = append(dest, &row.Positive[i].N)
			}
			dest = append(dest, &row.Checked3m, &row.Held3m, &row.Checked6m, &row.Held6m)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			row.ProgrammeID, row.OrganisationID, row.CohortID = programme.Bytes, organisation.Bytes, cohort.Bytes
			if award.Valid {
				id := uuid.UUID(award.Bytes)
				row.AwardID = &id
			}
			if region != nil {
				row.Region = *region
			}
			if quarter != nil {
				row.Quarter = *quarter
			}
			out = append(out, row)
		}
		return rows.Err()
	}, outcomesSQL(q), q.From, q.To, optionalID(q.ProgrammeID), optionalID(q.OrganisationID), p.AllOrganisations, reach)
	if err != nil {
		return nil, translate(err, "outcome report")
	}
	return out, nil
}

// optionalID is id as a query argument: NULL when nil.
func optionalID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: *id, Valid: true}
}
