package openreferral

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Opportunities are the open cohorts grouped into services, in the order they were read.
type Opportunities struct {
	services []group
}

type group struct {
	key     [2]uuid.UUID // programme, organisation
	cohorts []domain.Opportunity
}

// Group gathers open cohorts into services: one per programme and organisation.
func Group(open []domain.Opportunity) Opportunities {
	var g Opportunities
	at := map[[2]uuid.UUID]int{}
	for _, o := range open {
		key := [2]uuid.UUID{o.Programme.ID, o.Organisation.ID}
		i, ok := at[key]
		if !ok {
			i = len(g.services)
			at[key] = i
			g.services = append(g.services, group{key: key})
		}
		g.services[i].cohorts = append(g.services[i].cohorts, o)
	}
	return g
}

// Services are the services, with their one-to-one fields only, as lists show them.
func (g Opportunities) Services() []Service {
	out := make([]Service, len(g.services))
	for i, s := range g.services {
		out[i] = summary(s.cohorts)
	}
	return out
}

// Service is the service of id with everything related to it, if there is one.
func (g Opportunities) Service(id uuid.UUID) (Service, bool) {
	for _, s := range g.services {
		if ServiceID(s.key[0], s.key[1]) == id {
			return full(s.cohorts, s.cohorts), true
		}
	}
	return Service{}, false
}

// ServiceAtLocations are the open cohorts, with their location and service's one-to-one fields.
func (g Opportunities) ServiceAtLocations() []ServiceAtLocation {
	var out []ServiceAtLocation
	for _, s := range g.services {
		service := summary(s.cohorts)
		for _, c := range s.cohorts {
			sal := serviceAtLocation(c)
			sal.Service = &service
			out = append(out, sal)
		}
	}
	return out
}

// ServiceAtLocation is the open cohort of id with its location and its service, whose
// schedules are that cohort's, if there is one.
func (g Opportunities) ServiceAtLocation(id uuid.UUID) (ServiceAtLocation, bool) {
	for _, s := range g.services {
		for _, c := range s.cohorts {
			if c.CohortID == id {
				sal := serviceAtLocation(c)
				service := full(s.cohorts, []domain.Opportunity{c})
				service.ServiceAtLocations = nil // the object itself is the service at this location
				sal.Service = &service
				return sal, true
			}
		}
	}
	return ServiceAtLocation{}, false
}

// summary is a service's one-to-one fields, from its open cohorts (at least one).
func summary(cohorts []domain.Opportunity) Service {
	first := cohorts[0]
	p, o := first.Programme, first.Organisation
	s := Service{
		ID:             ServiceID(p.ID, o.ID),
		OrganizationID: o.ID,
		Name:           p.Name,
		Description:    p.Description,
		Status:         "active",
		MinimumAge:     &p.MinAge,
		MaximumAge:     p.MaxAge,
		LastModified:   p.UpdatedAt,
		Organization:   &Organization{ID: o.ID, Name: o.Name, Description: describe(o)},
	}
	if s.Description == "" {
		s.Description = p.Name
	}
	for _, c := range cohorts {
		if c.UpdatedAt.After(s.LastModified) {
			s.LastModified = c.UpdatedAt
		}
	}
	if o.UpdatedAt.After(s.LastModified) {
		s.LastModified = o.UpdatedAt
	}
	s.LastModified = s.LastModified.UTC()
	return s
}

// full is a service with its organisation's identifiers, its cohorts' places and the
// schedules of the cohorts shown.
func full(cohorts, shown []domain.Opportunity) Service {
	s := summary(cohorts)
	o := cohorts[0].Organisation
	if o.ODSCode != nil {
		s.Organization.OrganizationIdentifiers = []OrganizationIdentifier{{
			ID: derived("ods", o.ID), OrganizationID: o.ID,
			IdentifierScheme: "ODS", IdentifierType: "ODS code", Identifier: *o.ODSCode,
		}}
	}
	for _, c := range cohorts {
		s.ServiceAtLocations = append(s.ServiceAtLocations, serviceAtLocation(c))
	}
	for _, c := range shown {
		s.Schedules = append(s.Schedules, schedule(s.ID, c))
	}
	t := TermOf(cohorts[0].Programme.Category)
	s.Attributes = []Attribute{{ID: derived("attribute", s.ID), LinkID: s.ID, LinkType: "service",
		TaxonomyTermID: t.ID, TaxonomyTerm: t}}
	return s
}

func serviceAtLocation(c domain.Opportunity) ServiceAtLocation {
	l := location(c.Organisation)
	return ServiceAtLocation{ID: c.CohortID, ServiceID: ServiceID(c.Programme.ID, c.Organisation.ID), LocationID: l.ID, Location: &l}
}

func location(o domain.Organisation) Location {
	l := Location{ID: derived("location", o.ID), LocationType: "physical", Name: o.Name,
		Description: fmt.Sprintf("A site of %s; ask the organisation for the address.", o.Name)}
	if o.ODSCode != nil {
		l.ExternalIdentifier, l.ExternalIdentifierType = *o.ODSCode, "ODS"
	}
	return l
}

func schedule(service uuid.UUID, c domain.Opportunity) Schedule {
	from, to := c.StartsOn.Format("2006-01-02"), c.EndsOn.Format("2006-01-02")
	places := fmt.Sprintf("%d places left", c.PlacesLeft)
	if c.PlacesLeft == 1 {
		places = "1 place left"
	}
	return Schedule{ID: derived("schedule", c.CohortID), ServiceID: service, ServiceAtLocationID: c.CohortID,
		ValidFrom: from, ValidTo: to, Description: fmt.Sprintf("%s: from %s to %s", c.CohortName, c.StartsOn.Format("2 January 2006"), c.EndsOn.Format("2 January 2006")),
		Notes: places}
}

// describe says what an organisation is, in the words of the public.
func describe(o domain.Organisation) string {
	what := map[domain.OrganisationKind]string{
		domain.KindTrust:         "An NHS trust",
		domain.KindCollaboration: "A collaboration of NHS trusts",
		domain.KindPartner:       "A delivery partner of NHS programmes",
		domain.KindNational:      "The national team for NHS workforce, training and education",
	}[o.Kind]
	if what == "" {
		what = "An organisation"
	}
	if o.Region == nil || regions[*o.Region] == "" {
		return what + "."
	}
	return fmt.Sprintf("%s in the %s region of NHS England.", what, regions[*o.Region])
}

var regions = map[string]string{
	"east_of_england": "East of England", "london": "London", "midlands": "Midlands",
	"north_east_and_yorkshire": "North East and Yorkshire", "north_west": "North West",
	"south_east": "South East", "south_west": "South West",
}
