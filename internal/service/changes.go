package service

import (
	"context"
	"slices"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// ChangeLister reads the changes feed within the caller's reach.
type ChangeLister interface {
	// List returns up to limit changes after position after. Errors: unavailable.
	List(ctx context.Context, f domain.ChangeFilter, after domain.ChangePosition, limit int) (domain.ChangePage, error)
}

// Changes is the one changes feed: every change to a record the caller may see, in the order
// the transactions that made them are numbered, tombstones included, resumable from a position.
type Changes struct {
	ChangesDeps
}

// ChangesDeps are what Changes is built on.
type ChangesDeps struct {
	// Events reads the feed on the primary, never through a Reader: a batch is bounded by a
	// snapshot's list of transactions in progress, which a hot standby does not keep the way
	// the primary does, and the read is one short index range.
	Events ChangeLister
}

// NewChanges wires the changes feed.
func NewChanges(d ChangesDeps) *Changes { return &Changes{d} }

// changeScopes says which resource types' changes each scope reads: those whose records the
// scope reads elsewhere in the API. The feed needs participants:read; a caller sees the
// catalogue's, organisations' and awards' changes with organisations:read too, and imports'
// ends with imports:write.
var changeScopes = []struct {
	scope string
	types []string
}{
	{domain.ScopeParticipantsRead, []string{"participant", "enrolment", "placement", "outcome", "mentoring_match", "check_in",
		"mentor", "cohort", "vacancy", "interview", "case_study"}},
	{domain.ScopeOrganisationsRead, []string{"organisation", "programme", "funding_award", "guidance"}},
	{domain.ScopeImportsWrite, []string{"import"}},
}

// ChangeEventTypes are the event types of the feed, in a fixed order.
func ChangeEventTypes() []string {
	var out []string
	for _, s := range changeScopes {
		for _, t := range s.types {
			if t == "import" {
				out = append(out, "import.completed")
				continue
			}
			out = append(out, t+".created", t+".updated", t+".erased", t+".deleted")
		}
	}
	return out
}

// List returns up to limit changes after position after, of the event types eventTypes (none:
// all), of the records the caller's scopes read within its reach. Errors: forbidden, invalid
// (types), unavailable.
func (s *Changes) List(ctx context.Context, eventTypes []string, after domain.ChangePosition, limit int) (domain.ChangePage, error) {
	return read(ctx, domain.ScopeParticipantsRead, func(ctx context.Context) (domain.ChangePage, error) {
		known := ChangeEventTypes()
		for _, t := range eventTypes {
			if !slices.Contains(known, t) {
				return domain.ChangePage{}, domain.Invalid("types", "names an event type the feed does not have: "+t)
			}
		}
		caller, _ := domain.PrincipalFrom(ctx)
		f := domain.ChangeFilter{EventTypes: eventTypes}
		for _, s := range changeScopes {
			if caller.HasScope(s.scope) {
				f.ResourceTypes = append(f.ResourceTypes, s.types...)
			}
		}
		return s.Events.List(ctx, f, after, limit)
	})
}
