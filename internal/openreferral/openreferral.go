// Package openreferral maps p4w's public opportunities to the Open Referral UK profile of
// HSDS 3.0 (https://github.com/OpenReferralUK/uk-profile), so that directory front ends
// written for that standard can read them unchanged.
//
// The mapping:
//   - an organization is the organisation running a cohort (a trust, mostly), with its ODS code;
//   - a service is a programme offered by one organisation with at least one cohort open for
//     referral; its ages are the programme's eligibility;
//   - a service_at_location is one open cohort; its id is the cohort's;
//   - a location is the organisation's site: p4w holds no address of a cohort's site, so the
//     location names the organisation, carries its ODS code, and has no address;
//   - a schedule gives a cohort's dates (valid_from, valid_to) and its places left;
//   - the one taxonomy is p4w's programme kinds, one term a programme category.
//
// Derived objects (services, locations, schedules, attributes, identifiers, the taxonomy and
// its terms) have UUIDv5 ids made from the ids of the records they come from, so they stay the
// same from one request, and one replica, to the next.
package openreferral

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Version is the HSDS version the endpoints follow, and Profile the profile's home.
const (
	Version = "3.0"
	Profile = "https://github.com/OpenReferralUK/uk-profile"
)

// namespace is the UUIDv5 namespace of every derived id.
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/p4w-nhs/p4w/openreferral"))

func derived(kind string, ids ...uuid.UUID) uuid.UUID {
	name := []byte(kind)
	for _, id := range ids {
		name = append(name, id[:]...)
	}
	return uuid.NewSHA1(namespace, name)
}

// ServiceID is the id of the service of programme at organisation.
func ServiceID(programme, organisation uuid.UUID) uuid.UUID {
	return derived("service", programme, organisation)
}

// Info is the answer of the API's root.
type Info struct {
	Version    string `json:"version"`
	Profile    string `json:"profile"`
	OpenAPIURL string `json:"openapi_url,omitempty"`
}

// Organization is an organisation running open cohorts.
type Organization struct {
	ID                      uuid.UUID                `json:"id"`
	Name                    string                   `json:"name"`
	Description             string                   `json:"description"`
	OrganizationIdentifiers []OrganizationIdentifier `json:"organization_identifiers,omitempty"`
}

// OrganizationIdentifier is an organisation's ODS code.
type OrganizationIdentifier struct {
	ID               uuid.UUID `json:"id"`
	OrganizationID   uuid.UUID `json:"organization_id"`
	IdentifierScheme string    `json:"identifier_scheme"`
	IdentifierType   string    `json:"identifier_type"`
	Identifier       string    `json:"identifier"`
}

// Service is a programme offered by an organisation. Lists carry only its one-to-one fields;
// a service read by id carries its schedules, service_at_locations and attributes too.
type Service struct {
	ID                 uuid.UUID           `json:"id"`
	OrganizationID     uuid.UUID           `json:"organization_id"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	Status             string              `json:"status"`
	MinimumAge         *int                `json:"minimum_age,omitempty"`
	MaximumAge         *int                `json:"maximum_age,omitempty"`
	LastModified       time.Time           `json:"last_modified"`
	Organization       *Organization       `json:"organization,omitempty"`
	Schedules          []Schedule          `json:"schedules,omitempty"`
	ServiceAtLocations []ServiceAtLocation `json:"service_at_locations,omitempty"`
	Attributes         []Attribute         `json:"attributes,omitempty"`
}

// ServiceAtLocation is one open cohort: its service at its organisation's site.
type ServiceAtLocation struct {
	ID         uuid.UUID `json:"id"`
	ServiceID  uuid.UUID `json:"service_id"`
	LocationID uuid.UUID `json:"location_id"`
	Location   *Location `json:"location,omitempty"`
	Service    *Service  `json:"service,omitempty"`
}

// Location is the organisation's site. p4w keeps no address, so it has none.
type Location struct {
	ID                     uuid.UUID `json:"id"`
	LocationType           string    `json:"location_type"`
	Name                   string    `json:"name"`
	Description            string    `json:"description"`
	ExternalIdentifier     string    `json:"external_identifier,omitempty"`
	ExternalIdentifierType string    `json:"external_identifier_type,omitempty"`
}

// Schedule is a cohort's dates.
type Schedule struct {
	ID                  uuid.UUID `json:"id"`
	ServiceID           uuid.UUID `json:"service_id"`
	ServiceAtLocationID uuid.UUID `json:"service_at_location_id"`
	ValidFrom           string    `json:"valid_from"`
	ValidTo             string    `json:"valid_to"`
	Description         string    `json:"description"`
	Notes               string    `json:"notes"`
}

// Attribute links a service to the taxonomy term of its programme's kind.
type Attribute struct {
	ID             uuid.UUID    `json:"id"`
	LinkID         uuid.UUID    `json:"link_id"`
	LinkType       string       `json:"link_type"`
	TaxonomyTermID uuid.UUID    `json:"taxonomy_term_id"`
	TaxonomyTerm   TaxonomyTerm `json:"taxonomy_term"`
}

// Taxonomy is p4w's one taxonomy: the kinds of programme.
type Taxonomy struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Version     string    `json:"version"`
}

// TaxonomyTerm is a kind of programme.
type TaxonomyTerm struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Taxonomy    string    `json:"taxonomy"`
	TaxonomyID  uuid.UUID `json:"taxonomy_id"`
	Term        string    `json:"term"`
}

// ProgrammeKinds is the taxonomy, and Terms its terms in a fixed order.
var (
	ProgrammeKinds = Taxonomy{
		ID:          derived("taxonomy:programme_kinds"),
		Name:        "p4w programme kinds",
		Description: "The kinds of Preparation for Work programme the NHS offers, as HEE counts them nationally.",
		Version:     "1",
	}
	Terms = []TaxonomyTerm{
		term("work_experience", "Work experience", "A placement in an NHS setting to learn what working there is like."),
		term("work_related_learning", "Work-related learning", "Careers events, talks, insight days and other learning about work in health and social care."),
		term("employability", "Employability programme", "Training and work placements that prepare people out of work for a job, such as Step into Work or the Prince's Trust's Get Into and Get Started."),
		term("mentoring", "Mentoring", "A mentor, professional or peer, supporting a young person towards work."),
	}
)

func term(category domain.ProgrammeCategory, name, description string) TaxonomyTerm {
	return TaxonomyTerm{ID: termID(category), Name: name, Description: description,
		Taxonomy: ProgrammeKinds.Name, TaxonomyID: ProgrammeKinds.ID, Term: string(category)}
}

func termID(category domain.ProgrammeCategory) uuid.UUID {
	return derived("term:" + string(category))
}

// TermCategory is the programme category of a term's id, if it is one.
func TermCategory(id uuid.UUID) (domain.ProgrammeCategory, bool) {
	for _, t := range Terms {
		if t.ID == id {
			return domain.ProgrammeCategory(t.Term), true
		}
	}
	return "", false
}

// TermOf is the term of a programme category; a category without a term gets one named after it.
func TermOf(category domain.ProgrammeCategory) TaxonomyTerm {
	for _, t := range Terms {
		if t.Term == string(category) {
			return t
		}
	}
	return term(category, string(category), string(category))
}
