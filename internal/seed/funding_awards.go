package seed

import (
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The demo award: HEE's Step into Work funding of Northgate from the 2024/25 tender round,
// reducing year on year, under which Northgate's January 2026 cohort (funded year 2) runs.
const (
	demoAwardRound  = "2024/25"
	demoAwardCohort = "siw-ng-jan"
)

var demoAwardYears = [domain.FundedYears]domain.FundedYear{
	{AmountPence: 18_000_000, MinParticipants: 12},
	{AmountPence: 12_000_000, MinParticipants: 12},
	{AmountPence: 6_000_000, MinParticipants: 10},
}

// fund ensures the demo award, found by recipient, programme and tender round, and links the
// demo cohort to it when it is not linked yet.
func (d *deliverer) fund() error {
	org := d.orgs[northgate]
	round := demoAwardRound
	found, err := d.s.FundingAwards.List(d.ctx, domain.FundingAwardFilter{OrganisationID: &org, ProgrammeID: &stepIntoWork,
		TenderRound: &round}, domain.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	var award domain.FundingAward
	if len(found.Items) > 0 {
		award = found.Items[0]
	} else {
		award, err = d.s.FundingAwards.Create(d.ctx, domain.FundingAward{OrganisationID: org, ProgrammeID: stepIntoWork,
			TenderRound: round, Years: demoAwardYears}, []string{"organisation_id", "programme_id", "tender_round", "years"})
		if err != nil {
			return err
		}
		d.res.FundingAwards++
	}
	var plan cohortPlan
	for _, p := range cohortPlans {
		if p.key == demoAwardCohort {
			plan = p
		}
	}
	c, err := d.ensureCohort(plan)
	if err != nil || c.FundingAwardID != nil && *c.FundingAwardID == award.ID {
		return err
	}
	_, err = d.s.Cohorts.Update(d.ctx, c.ID, &c.Version, domain.CohortChange{FundingAwardID: domain.Change[uuid.UUID]{Set: true, Value: &award.ID}},
		[]string{"funding_award_id"})
	if err == nil {
		d.res.Changes++
	}
	return err
}
