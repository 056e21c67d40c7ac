package seed

import (
	"slices"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The public directories' demo entries: one published case study of Northgate's Step into
// Work, which names no participant (an invented story needs no one's consent), and two entries
// of guidance, one for each audience. Each is found by its title before it is written.
const demoCaseStudyTitle = "From Step into Work to a healthcare assistant post"

var demoCaseStudy = domain.CaseStudy{
	Title:   demoCaseStudyTitle,
	Summary: "Eight weeks on Step into Work, a placement on a stroke ward, and a permanent post at the end of it.",
	BodyMarkdown: "After a year out of work, one of Northgate's **Step into Work** participants spent six weeks in " +
		"training and two on a placement with the stroke ward's healthcare support team.\n\n" +
		"- a guaranteed interview at the end of the course\n- a mentor from the ward team\n\n" +
		"She started as a healthcare assistant the month after.",
	Status: domain.CaseStudyPublished,
}

var demoGuidance = []domain.Guidance{
	{Title: "Preparing for an NHS interview", Audience: domain.AudienceIndividuals, Topic: "interviews",
		BodyMarkdown: "Read the **person specification** and bring one example for each of its essential criteria. " +
			"Ask your programme coordinator for a practice interview.",
		Links: []domain.Link{{Title: "NHS Jobs", URL: "https://www.jobs.nhs.uk/"}}},
	{Title: "Setting up work experience placements", Audience: domain.AudienceOrganisations, Topic: "work experience",
		BodyMarkdown: "Agree the **learning goals** with the host department before the first day, name a supervisor, " +
			"and plan the placement's hours around the participant's other commitments.",
		Links: []domain.Link{{Title: "Health Careers", URL: "https://www.healthcareers.nhs.uk/"}}},
}

// directories ensures the demo case study and guidance.
func (d *deliverer) directories() error {
	org := d.orgs[northgate]
	published := domain.CaseStudyPublished
	found, err := d.s.CaseStudies.List(d.ctx, domain.CaseStudyFilter{OrganisationID: &org, ProgrammeID: &stepIntoWork, Status: &published},
		domain.PageRequest{Limit: listLimit})
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(found.Items, func(c domain.CaseStudy) bool { return c.Title == demoCaseStudyTitle }) {
		c := demoCaseStudy
		c.OrganisationID, c.ProgrammeID = org, stepIntoWork
		if _, err := d.s.CaseStudies.Create(d.ctx, c, []string{"organisation_id", "programme_id", "title", "summary", "body_markdown", "status"}); err != nil {
			return err
		}
		d.res.Directory++
	}
	guidance, err := d.s.Guidance.List(d.ctx, domain.GuidanceFilter{}, domain.PageRequest{Limit: listLimit})
	if err != nil {
		return err
	}
	for _, g := range demoGuidance {
		if slices.ContainsFunc(guidance.Items, func(have domain.Guidance) bool { return have.Title == g.Title }) {
			continue
		}
		if _, err := d.s.Guidance.Create(d.ctx, g, []string{"title", "audience", "topic", "body_markdown", "links"}); err != nil {
			return err
		}
		d.res.Directory++
	}
	return nil
}
