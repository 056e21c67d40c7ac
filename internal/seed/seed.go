// Package seed loads p4w's demo data set: a national team, two invented trusts in the North
// West, a collaboration of the two and 200 invented participants. Every write goes through the
// services, as the system principal, so it is validated and audited like any other, and a second
// run finds what the first created and writes nothing.
//
// Nothing here describes a real person or a real trust. Names are drawn from short lists of
// common UK names; emails use the RFC 2606 domains example.org and example.com; phone numbers use
// the ranges Ofcom reserves for drama (07700 900xxx, 0151 496 0xxx, 01632 960xxx); the trusts'
// names are made up and their ODS-shaped codes are not theirs to claim.
package seed

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/service"
)

// Services are the use cases the demo data set is written through.
type Services struct {
	Organisations *service.Organisations
	Participants  *service.Participants
}

// Result says what a run found or made. The counts are of records created by this run; the ids
// are of the records the demo data set uses, created now or found.
type Result struct {
	Organisations   int // organisations created this run
	Participants    int // participants created this run
	TrustIDs        []uuid.UUID
	CollaborationID uuid.UUID
	NationalID      uuid.UUID
	PartnerID       uuid.UUID // The Prince's Trust, seeded by migration 00002
}

// Names of the organisations the demo data set uses.
const (
	NationalName      = "Health Education England — National Widening Participation Team"
	CollaborationName = "Mersey Valley Step into Work Collaboration"
	PartnerName       = "The Prince's Trust"
	region            = "north_west"
)

// listLimit is the page size of the look-ups: the largest a list allows.
const listLimit = 500

// Demo loads the demo data set through the services as service.System(), whatever principal ctx
// carries. It first looks every record up (organisations by ods_code or by kind and name,
// participants by organisation and external_ref) and creates only what is missing, so running it
// again creates nothing. A demo participant who was erased has lost its external_ref and is
// created afresh.
func Demo(ctx context.Context, s Services) (Result, error) {
	ctx = domain.WithPrincipal(ctx, service.System())
	var res Result

	national, created, err := ensureNational(ctx, s.Organisations)
	if err != nil {
		return res, fmt.Errorf("seed national team: %w", err)
	}
	res.NationalID = national.ID
	res.Organisations += created

	partner, err := findByName(ctx, s.Organisations, domain.KindPartner, PartnerName)
	if err != nil {
		return res, fmt.Errorf("seed partner: %w", err)
	}
	if partner == nil {
		return res, fmt.Errorf("seed partner: %q is missing; migration 00002 seeds it", PartnerName)
	}
	res.PartnerID = partner.ID

	for _, t := range trusts {
		o, created, err := ensureTrust(ctx, s.Organisations, t)
		if err != nil {
			return res, fmt.Errorf("seed trust %s: %w", t.ODSCode, err)
		}
		res.TrustIDs = append(res.TrustIDs, o.ID)
		res.Organisations += created
	}

	collab, created, err := ensureCollaboration(ctx, s.Organisations, res.TrustIDs)
	if err != nil {
		return res, fmt.Errorf("seed collaboration: %w", err)
	}
	res.CollaborationID = collab.ID
	res.Organisations += created

	n, err := ensureParticipants(ctx, s.Participants, res.TrustIDs, people())
	res.Participants = n
	if err != nil {
		return res, fmt.Errorf("seed participants: %w", err)
	}
	return res, nil
}

// ensureNational reuses any national organisation (the admin bootstrap may have made one under
// another name) and creates HEE's national team only when there is none.
func ensureNational(ctx context.Context, orgs *service.Organisations) (domain.Organisation, int, error) {
	kind := domain.KindNational
	page, err := orgs.List(ctx, domain.OrganisationFilter{Kind: &kind}, domain.PageRequest{Limit: 1})
	if err != nil {
		return domain.Organisation{}, 0, err
	}
	if len(page.Items) > 0 {
		return page.Items[0], 0, nil
	}
	o, err := orgs.Create(ctx, domain.Organisation{Kind: domain.KindNational, Name: NationalName}, []string{"kind", "name"})
	if err != nil {
		return o, 0, err
	}
	return o, 1, nil
}

// ensureTrust finds the trust by its ODS code or creates it. A concurrent run that created it
// first is found on a second look.
func ensureTrust(ctx context.Context, orgs *service.Organisations, t trust) (domain.Organisation, int, error) {
	find := func() (*domain.Organisation, error) {
		code := t.ODSCode
		page, err := orgs.List(ctx, domain.OrganisationFilter{ODSCode: &code}, domain.PageRequest{Limit: 1})
		if err != nil || len(page.Items) == 0 {
			return nil, err
		}
		o := page.Items[0]
		if o.Kind != domain.KindTrust {
			return nil, fmt.Errorf("ods_code %s belongs to a %s, %q, not a trust", code, o.Kind, o.Name)
		}
		return &o, nil
	}
	if o, err := find(); err != nil || o != nil {
		return deref(o), 0, err
	}
	code, reg := t.ODSCode, region
	o, err := orgs.Create(ctx, domain.Organisation{Kind: domain.KindTrust, Name: t.Name, ODSCode: &code, Region: &reg}, []string{"kind", "name", "ods_code", "region"})
	if domain.ErrorCode(err) == domain.CodeConflict {
		found, err := find()
		if err == nil && found == nil {
			err = fmt.Errorf("ods_code %s is taken but cannot be found", code)
		}
		return deref(found), 0, err
	}
	if err != nil {
		return o, 0, err
	}
	return o, 1, nil
}

// ensureCollaboration finds the collaboration by kind and name or creates it, then adds each
// trust that is not yet a member (adding one twice would write a second audit event).
func ensureCollaboration(ctx context.Context, orgs *service.Organisations, members []uuid.UUID) (domain.Organisation, int, error) {
	created := 0
	found, err := findByName(ctx, orgs, domain.KindCollaboration, CollaborationName)
	if err != nil {
		return domain.Organisation{}, 0, err
	}
	var c domain.Organisation
	if found != nil {
		c = *found
	} else {
		reg := region
		c, err = orgs.Create(ctx, domain.Organisation{Kind: domain.KindCollaboration, Name: CollaborationName, Region: &reg}, []string{"kind", "name", "region"})
		if err != nil {
			return c, 0, err
		}
		created = 1
	}
	for _, m := range members {
		if slices.Contains(c.MemberIDs, m) {
			continue
		}
		if err := orgs.AddMember(ctx, c.ID, m); err != nil {
			return c, created, fmt.Errorf("add member %s: %w", m, err)
		}
		c.MemberIDs = append(c.MemberIDs, m)
	}
	return c, created, nil
}

// findByName returns the organisation of kind named exactly name, or nil.
func findByName(ctx context.Context, orgs *service.Organisations, kind domain.OrganisationKind, name string) (*domain.Organisation, error) {
	f := domain.OrganisationFilter{Kind: &kind, Query: &name}
	var out *domain.Organisation
	err := each(func(req domain.PageRequest) (domain.Page[domain.Organisation], error) {
		return orgs.List(ctx, f, req)
	}, func(o domain.Organisation) bool {
		if o.Name == name {
			out = &o
			return false
		}
		return true
	})
	return out, err
}

// ensureParticipants creates the people missing from each trust and returns how many it created.
func ensureParticipants(ctx context.Context, parts *service.Participants, trustIDs []uuid.UUID, people []person) (int, error) {
	existing := make([]map[string]bool, len(trustIDs))
	for i, id := range trustIDs {
		existing[i] = map[string]bool{}
		err := each(func(req domain.PageRequest) (domain.Page[domain.Participant], error) {
			return parts.List(ctx, domain.ParticipantFilter{OrganisationID: &id}, req)
		}, func(p domain.Participant) bool {
			if p.ExternalRef != nil {
				existing[i][*p.ExternalRef] = true
			}
			return true
		})
		if err != nil {
			return 0, err
		}
	}
	created := 0
	for _, pp := range people {
		if existing[pp.trust][pp.ExternalRef] {
			continue
		}
		p, consent, fields := pp.participant(trustIDs[pp.trust])
		_, err := parts.Create(ctx, p, consent, fields)
		if domain.ErrorCode(err) == domain.CodeConflict {
			continue // a concurrent run created it first
		}
		if err != nil {
			return created, fmt.Errorf("participant %s: %w", pp.ExternalRef, err)
		}
		created++
	}
	return created, nil
}

// each pages through a list, calling fn for every item until fn returns false.
func each[T any](list func(domain.PageRequest) (domain.Page[T], error), fn func(T) bool) error {
	req := domain.PageRequest{Limit: listLimit}
	for {
		page, err := list(req)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if !fn(item) {
				return nil
			}
		}
		if page.Next == nil {
			return nil
		}
		req.After = page.Next
	}
}

func deref(o *domain.Organisation) domain.Organisation {
	if o == nil {
		return domain.Organisation{}
	}
	return *o
}
