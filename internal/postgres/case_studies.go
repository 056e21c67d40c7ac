package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type caseStudy struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	OrganisationID uuid.UUID
	ProgrammeID    uuid.UUID
	Title          string
	Summary        string
	BodyMarkdown   string
	BodyHTML       string `gorm:"column:body_html"`
	ParticipantID  *uuid.UUID
	Status         string
	PublishedOn    *time.Time
	ImageURL       *string `gorm:"column:image_url"`
	DeletedAt      *time.Time
	CreatedAt      time.Time `gorm:"<-:false"`
	UpdatedAt      time.Time `gorm:"<-:false"`
	Version        int64     `gorm:"<-:false"`
}

func (caseStudy) TableName() string { return "case_studies" }
func (m caseStudy) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m caseStudy) rowVersion() int64 { return m.Version }

func (m caseStudy) toDomain() domain.CaseStudy {
	return domain.CaseStudy{ID: m.ID, OrganisationID: m.OrganisationID, ProgrammeID: m.ProgrammeID, Title: m.Title,
		Summary: m.Summary, BodyMarkdown: m.BodyMarkdown, BodyHTML: m.BodyHTML, ParticipantID: m.ParticipantID,
		Status: domain.CaseStudyStatus(m.Status), PublishedOn: m.PublishedOn, ImageURL: m.ImageURL,
		DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func caseStudyModel(c domain.CaseStudy) caseStudy {
	return caseStudy{ID: c.ID, OrganisationID: c.OrganisationID, ProgrammeID: c.ProgrammeID, Title: c.Title,
		Summary: c.Summary, BodyMarkdown: c.BodyMarkdown, BodyHTML: c.BodyHTML, ParticipantID: c.ParticipantID,
		Status: string(c.Status), PublishedOn: c.PublishedOn, ImageURL: c.ImageURL, DeletedAt: c.DeletedAt}
}

// NewCaseStudies returns the case studies repository.
func NewCaseStudies(db *DB) domain.CaseStudyRepository {
	return store[caseStudy, domain.CaseStudy, domain.CaseStudyFilter]{
		db: db, what: "case study",
		toDomain: caseStudy.toDomain,
		toModel:  caseStudyModel,
		newID:    func(m *caseStudy) { m.ID = NewID() },
		filter: func(s *statement, f domain.CaseStudyFilter) {
			eq(s, "organisation_id", f.OrganisationID)
			eq(s, "programme_id", f.ProgrammeID)
			eq(s, "participant_id", f.ParticipantID)
			eq(s, "status", f.Status)
		},
		deleted: func(f domain.CaseStudyFilter) bool { return f.IncludeDeleted },
		columns: []string{"programme_id", "title", "summary", "body_markdown", "body_html", "participant_id", "status",
			"published_on", "image_url", "deleted_at"},
	}
}

// Directory reads the public directories. Its queries name the columns the public may see and
// nothing else: no participant, no Markdown source, no tombstone.
type Directory struct{ db *DB }

// NewDirectory returns the public directory's reader.
func NewDirectory(db *DB) *Directory { return &Directory{db} }

var _ domain.PublicDirectory = (*Directory)(nil)

const publicCaseStudySQL = `SELECT c.id, o.name, p.name, c.title, c.summary, c.body_html, c.published_on, c.image_url, c.updated_at
FROM case_studies c JOIN organisations o ON o.id = c.organisation_id JOIN programmes p ON p.id = c.programme_id
WHERE c.status = 'published' AND c.deleted_at IS NULL`

// CaseStudies implements domain.PublicDirectory.
func (d *Directory) CaseStudies(ctx context.Context, req domain.PageRequest) (domain.Page[domain.PublicCaseStudy], error) {
	s := &statement{}
	s.text.WriteString(publicCaseStudySQL)
	s.where = true
	page(s, "c", req)
	found, err := d.scan(ctx, s)
	if err != nil {
		return domain.Page[domain.PublicCaseStudy]{}, translate(err, "list case studies")
	}
	return cut(found, req.Limit, func(c domain.PublicCaseStudy) domain.Position {
		return domain.Position{UpdatedAt: c.UpdatedAt, ID: c.ID}
	}, func(c domain.PublicCaseStudy) domain.PublicCaseStudy { return c }), nil
}

// CaseStudy implements domain.PublicDirectory.
func (d *Directory) CaseStudy(ctx context.Context, id uuid.UUID) (domain.PublicCaseStudy, error) {
	s := &statement{}
	s.text.WriteString(publicCaseStudySQL)
	s.where = true
	s.and("c.id = ?", id)
	found, err := first(d.scan(ctx, s))
	return found, translate(err, "case study")
}

func (d *Directory) scan(ctx context.Context, s *statement) ([]domain.PublicCaseStudy, error) {
	var out []domain.PublicCaseStudy
	err := d.db.Query(ctx, func(rows pgx.Rows) error {
		var c domain.PublicCaseStudy
		_, err := pgx.ForEachRow(rows, []any{&c.ID, &c.OrganisationName, &c.ProgrammeName, &c.Title, &c.Summary,
			&c.BodyHTML, &c.PublishedOn, &c.ImageURL, &c.UpdatedAt}, func() error { out = append(out, c); return nil })
		return err
	}, s.sql(), s.args...)
	return out, err
}
