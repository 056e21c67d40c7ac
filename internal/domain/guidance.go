package domain

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// GuidanceAudience is who an entry of guidance is written for.
type GuidanceAudience string

const (
	AudienceIndividuals   GuidanceAudience = "individuals"   // people looking for work
	AudienceOrganisations GuidanceAudience = "organisations" // employers setting up activities
)

// Guidance is an entry of the Preparation for Work Directory, written by the national team:
// advice on a topic, in Markdown, with links to read further. It belongs to no organisation.
type Guidance struct {
	ID           uuid.UUID
	Title        string
	Audience     GuidanceAudience
	Topic        string
	BodyMarkdown string
	BodyHTML     string // rendered from BodyMarkdown when written
	Links        []Link
	DeletedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Link is a titled address to read further.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Validate checks what the contract cannot express: a title and links to https addresses.
func (g Guidance) Validate() error {
	var v Validator
	v.Check(strings.TrimSpace(g.Title) != "", "title", "must not be blank")
	for i, l := range g.Links {
		v.Check(isHTTPS(l.URL), "links["+strconv.Itoa(i)+"].url", "must be an absolute https:// address")
	}
	return v.Err()
}

// GuidanceFilter narrows a list of guidance.
type GuidanceFilter struct {
	Audience       *GuidanceAudience
	Topic          *string
	IncludeDeleted bool
}

// GuidanceChange is a merge patch of guidance.
type GuidanceChange struct {
	Title        *string
	Audience     *GuidanceAudience
	Topic        *string
	BodyMarkdown *string
	Links        *[]Link
}

// Apply changes g in place.
func (c GuidanceChange) Apply(g *Guidance) {
	for dst, v := range map[*string]*string{&g.Title: c.Title, &g.Topic: c.Topic, &g.BodyMarkdown: c.BodyMarkdown} {
		if v != nil {
			*dst = *v
		}
	}
	if c.Audience != nil {
		g.Audience = *c.Audience
	}
	if c.Links != nil {
		g.Links = *c.Links
	}
}

// GuidanceRepository stores guidance: everyone reads it; only a principal reaching every
// organisation writes it.
type GuidanceRepository = Store[Guidance, GuidanceFilter]
