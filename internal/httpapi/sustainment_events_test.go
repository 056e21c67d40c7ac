package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// TestSustainmentDueEvents: housekeeping announces each sustainment check of an outcome once,
// the day it falls due, as outcome.sustainment_due naming the check; a check recorded, an
// outcome with no check (a destination that is not work), a deleted outcome and a check that
// fell due long ago (records imported late) are never announced; and the event is the
// outcome's trust's alone.
func TestSustainmentDueEvents(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Northgate Teaching Hospitals")
	other := newTrustWorld(t, env, "Southmoor Hospitals")
	// A day in the middle of a month, so that months back and forth land on real days; the
	// run is given it as its today.
	today := time.Date(2026, time.June, 15, 9, 0, 0, 0, time.UTC)
	day := func(months, days int) string { return today.AddDate(0, months, days).Format(time.DateOnly) }
	outcome := func(w trustWorld, kv ...any) string {
		return w.mustOutcome(t, outcomeBody(t, w.participant(t), kv...)).ID
	}
	check := func(id, field, result, on string) {
		res := env.Patch(t, "/v1/outcomes/"+id, w.token, apitest.JSON(t, field, map[string]string{"result": result, "checked_on": on}))
		apitest.WantStatus(t, res, http.StatusOK)
	}

	threeDue := outcome(w, "starts_on", day(-3, -1))       // its 3-month check fell due yesterday
	sixDue := outcome(w, "starts_on", day(-6, 0))          // its 6-month check falls due today,
	check(sixDue, "sustained_3_months", "yes", day(-3, 2)) // the 3-month one done
	notYet := outcome(w, "starts_on", day(-3, 1))          // due tomorrow
	recorded := outcome(w, "starts_on", day(-3, -2))
	check(recorded, "sustained_3_months", "no", day(0, -1))
	education := outcome(w, "starts_on", day(-4, 0), "destination", "further_education", "ilr_code", "EDU1")
	longAgo := outcome(w, "starts_on", day(-30, 0)) // imported years later: both checks long past
	deleted := outcome(w, "starts_on", day(-3, -3))
	env.MustDelete(t, "/v1/outcomes/"+deleted, w.token)
	elsewhere := outcome(other, "starts_on", day(-3, -1))

	ctx := apitest.System()
	n, err := postgres.SustainmentDue(ctx, env.DB, today)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("the first run wrote %d events, want 3 (two of Northgate's, one of Southmoor's)", n)
	}
	if n, err := postgres.SustainmentDue(ctx, env.DB, today); err != nil || n != 0 {
		t.Errorf("a second run the same day wrote %d events (%v), want none: each check is announced once", n, err)
	}

	due := func(c changeDoc) bool { return c.EventType == "outcome.sustainment_due" }
	all, _ := followChanges(t, env, w.token, "", 100, func(all []changeDoc) bool {
		return hasChange("outcome.sustainment_due", threeDue)(all) && hasChange("outcome.sustainment_due", sixDue)(all)
	})
	var got []string
	for _, c := range all {
		if due(c) {
			got = append(got, c.ResourceID+" "+c.ResourceType+" "+c.Fields[0])
		}
	}
	want := []string{threeDue + " outcome sustained_3_months", sixDue + " outcome sustained_6_months"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Northgate's feed announces %q, want %q (none of %s, %s, %s, %s, %s or Southmoor's %s)",
			got, want, notYet, recorded, education, longAgo, deleted, elsewhere)
	}

	// Tomorrow the next check falls due, and only that one is announced.
	if n, err := postgres.SustainmentDue(ctx, env.DB, today.AddDate(0, 0, 1)); err != nil || n != 1 {
		t.Errorf("the next day's run wrote %d events (%v), want 1 (%s's 3-month check)", n, err, notYet)
	}
	if !slices.ContainsFunc(storedChanges(t, env, notYet), func(c storedChange) bool {
		return c.eventType == "outcome.sustainment_due" && c.org == w.trust.ID.String() && slices.Equal(c.fields, []string{"sustained_3_months"})
	}) {
		t.Errorf("no sustained_3_months event of Northgate for %s: %v", notYet, storedChanges(t, env, notYet))
	}
}
