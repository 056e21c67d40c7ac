package postgres

import (
	"context"
	"fmt"
	"time"
)

// SustainmentLookBack is how long after a sustainment check falls due its event may still be
// written. Housekeeping runs every few minutes, so a check is normally announced the day it
// falls due; the margin covers a service that was down for a while, and keeps the first run
// after records are imported from announcing checks that fell due years ago.
const SustainmentLookBack = 30 * 24 * time.Hour

// SustainmentDue writes to the outbox an outcome.sustainment_due event for each outcome whose
// 3- or 6-month sustainment check fell due on or before today (and within SustainmentLookBack)
// and is not recorded, once per outcome and check: fields names the check
// (sustained_3_months or sustained_6_months). Only live outcomes into employment or an
// apprenticeship have checks, as /v1/outcomes?sustainment_due_before= lists them. ctx must
// carry the system's reach. It returns how many events it wrote.
func SustainmentDue(ctx context.Context, db *DB, today time.Time) (written int64, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		// One writer at a time, so that two replicas' runs cannot both write a check's event.
		if _, err := db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('p4w.sustainment_due'))`); err != nil {
			return fmt.Errorf("sustainment due events: %w", err)
		}
		tag, err := db.Exec(ctx, `
			INSERT INTO change_events (organisation_id, event_type, resource_type, resource_id, fields)
			SELECT o.organisation_id, 'outcome.sustainment_due', 'outcome', o.id::text, jsonb_build_array(c.field)
			FROM outcomes o
			CROSS JOIN LATERAL (VALUES
				('sustained_3_months', (o.starts_on + interval '3 months')::date, o.sustained_3m),
				('sustained_6_months', (o.starts_on + interval '6 months')::date, o.sustained_6m)) AS c (field, due, result)
			WHERE o.deleted_at IS NULL AND o.destination = ANY($1) AND o.starts_on IS NOT NULL
			  AND c.result IS NULL AND c.due <= $2::date AND c.due > $3::date
			  AND NOT EXISTS (SELECT 1 FROM change_events e WHERE e.event_type = 'outcome.sustainment_due'
			                  AND e.resource_id = o.id::text AND e.fields = jsonb_build_array(c.field))
			ORDER BY c.due, o.id`,
			sustainedDestinations, today.Format(time.DateOnly), today.Add(-SustainmentLookBack).Format(time.DateOnly))
		if err != nil {
			return fmt.Errorf("sustainment due events: %w", err)
		}
		written = tag.RowsAffected()
		return nil
	})
	return written, err
}
