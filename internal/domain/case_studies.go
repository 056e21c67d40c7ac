package domain

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CaseStudyStatus is where a case study is on its way to the public directory.
type CaseStudyStatus string

const (
	CaseStudyDraft     CaseStudyStatus = "draft"     // seen only within reach
	CaseStudyPublished CaseStudyStatus = "published" // in the public Widening Participation Directory
)

// CaseStudy is an entry of the Widening Participation Directory: a trust's (or a
// collaboration's) account of a programme it ran, written in Markdown. It may name the
// participant it is about, with their consent to publishing a case study; the public never
// sees who that is.
type CaseStudy struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	ProgrammeID    uuid.UUID
	Title          string
	Summary        string
	BodyMarkdown   string
	BodyHTML       string // rendered from BodyMarkdown when written, and safe to show anyone
	ParticipantID  *uuid.UUID
	Status         CaseStudyStatus
	PublishedOn    *time.Time // the day it was (last) published; nil while a draft
	ImageURL       *string
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Publish puts the case study in the public directory on day; publishing it again keeps the
// first day.
func (c *CaseStudy) Publish(day time.Time) {
	if c.Status != CaseStudyPublished {
		c.Status, c.PublishedOn = CaseStudyPublished, &day
	}
}

// Unpublish takes it out of the public directory.
func (c *CaseStudy) Unpublish() { c.Status, c.PublishedOn = CaseStudyDraft, nil }

// Validate checks what the contract cannot express: an image at an https address.
func (c CaseStudy) Validate() error {
	var v Validator
	v.Check(strings.TrimSpace(c.Title) != "", "title", "must not be blank")
	if c.ImageURL != nil {
		v.Check(isHTTPS(*c.ImageURL), "image_url", "must be an absolute https:// address")
	}
	return v.Err()
}

// isHTTPS reports whether s is an absolute https URL with a host.
func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// CaseStudyFilter narrows a list of case studies.
type CaseStudyFilter struct {
	OrganisationID *uuid.UUID
	ProgrammeID    *uuid.UUID
	ParticipantID  *uuid.UUID
	Status         *CaseStudyStatus
	IncludeDeleted bool
}

// CaseStudyChange is a merge patch of a case study. Status is applied by the use case, which
// checks consent before publishing.
type CaseStudyChange struct {
	ProgrammeID   *uuid.UUID
	Title         *string
	Summary       *string
	BodyMarkdown  *string
	ParticipantID Change[uuid.UUID]
	Status        *CaseStudyStatus
	ImageURL      Change[string]
}

// Apply changes c in place, all but the status.
func (ch CaseStudyChange) Apply(c *CaseStudy) {
	if ch.ProgrammeID != nil {
		c.ProgrammeID = *ch.ProgrammeID
	}
	for dst, v := range map[*string]*string{&c.Title: ch.Title, &c.Summary: ch.Summary, &c.BodyMarkdown: ch.BodyMarkdown} {
		if v != nil {
			*dst = *v
		}
	}
	ch.ParticipantID.Apply(&c.ParticipantID)
	ch.ImageURL.Apply(&c.ImageURL)
}

// CaseStudyRepository stores case studies within the caller's reach.
type CaseStudyRepository = Store[CaseStudy, CaseStudyFilter]

// PublicCaseStudy is a published case study as the public directory shows it: the names of
// the organisation and the programme, and nothing about the participant.
type PublicCaseStudy struct {
	ID               uuid.UUID
	OrganisationName string
	ProgrammeName    string
	Title            string
	Summary          string
	BodyHTML         string
	PublishedOn      time.Time
	ImageURL         *string
	UpdatedAt        time.Time
}

// PublicDirectory reads the published entries of the public directories, for anyone.
type PublicDirectory interface {
	// CaseStudies returns a page of the live published case studies, in (updated_at, id) order.
	CaseStudies(ctx context.Context, req PageRequest) (Page[PublicCaseStudy], error)
	// CaseStudy returns one live published case study. Errors: not_found (a draft, a deleted
	// one or none).
	CaseStudy(ctx context.Context, id uuid.UUID) (PublicCaseStudy, error)
}
