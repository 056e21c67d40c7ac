package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Opportunities reads the public opportunities as p4w_public (migration 00019), whatever
// principal the context carries: row-level security shows that role only the cohorts open for
// referral, and its grants only the public columns. The query says the same, so either alone
// would keep a closed cohort out.
//
// Open reads every matching open cohort at once: they are a few per trust and programme at
// any time, and the services built from them are grouped and paged by the caller.
type Opportunities struct{ db *DB }

// NewOpportunities returns the public read of the opportunities.
func NewOpportunities(db *DB) *Opportunities { return &Opportunities{db: db} }

var _ domain.OpportunityRepository = (*Opportunities)(nil)

// openOpportunitiesSQL takes $1 a search text (empty for any), $2 the categories (NULL for any),
// $3 the least minimum age and $4 the greatest maximum age (NULL for no bound).
const openOpportunitiesSQL = `SELECT c.id, c.name, c.starts_on, c.ends_on, c.capacity - c.places_taken, c.updated_at,
	p.id, p.name, p.category, p.description, p.min_age, p.max_age, p.updated_at,
	o.id, o.kind, o.name, o.ods_code, o.region, o.updated_at
FROM cohorts c
JOIN programmes p ON p.id = c.programme_id
JOIN organisations o ON o.id = c.organisation_id
WHERE c.status IN ('planned', 'running') AND c.ends_on >= current_date
	AND ($1 = '' OR p.name ILIKE '%' || $1 || '%' ESCAPE '\' OR p.description ILIKE '%' || $1 || '%' ESCAPE '\')
	AND ($2::text[] IS NULL OR p.category = ANY ($2::text[]))
	AND ($3::int IS NULL OR p.min_age >= $3::int)
	AND ($4::int IS NULL OR p.max_age <= $4::int)
ORDER BY p.name, o.name, c.starts_on, c.id`

// Open returns the open cohorts matching f.
func (s *Opportunities) Open(ctx context.Context, f domain.OpportunityFilter) ([]domain.Opportunity, error) {
	var categories []string
	if f.Categories != nil {
		categories = make([]string, len(f.Categories))
		for i, c := range f.Categories {
			categories[i] = string(c)
		}
	}
	var out []domain.Opportunity
	err := s.db.InTx(asPublic(ctx), func(ctx context.Context) error {
		return s.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				var o domain.Opportunity
				var category, kind string
				if err := rows.Scan(&o.CohortID, &o.CohortName, &o.StartsOn, &o.EndsOn, &o.PlacesLeft, &o.UpdatedAt,
					&o.Programme.ID, &o.Programme.Name, &category, &o.Programme.Description, &o.Programme.MinAge,
					&o.Programme.MaxAge, &o.Programme.UpdatedAt,
					&o.Organisation.ID, &kind, &o.Organisation.Name, &o.Organisation.ODSCode, &o.Organisation.Region,
					&o.Organisation.UpdatedAt); err != nil {
					return err
				}
				o.Programme.Category, o.Organisation.Kind = domain.ProgrammeCategory(category), domain.OrganisationKind(kind)
				out = append(out, o)
			}
			return rows.Err()
		}, openOpportunitiesSQL, likeEscaped(f.Search), categoriesArg(categories, f.Categories != nil), f.MinimumAge, f.MaximumAge)
	})
	if err != nil {
		return nil, fmt.Errorf("read open opportunities: %w", err)
	}
	return out, nil
}

// categoriesArg is NULL when any category will do, else the list (which may be empty).
func categoriesArg(categories []string, filtered bool) any {
	if !filtered {
		return nil
	}
	return categories
}

// likeEscaped makes s match literally inside a LIKE pattern escaped with a backslash.
func likeEscaped(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
