package postgres

import (
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

type guidance struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	Title        string
	Audience     string
	Topic        string
	BodyMarkdown string
	BodyHTML     string        `gorm:"column:body_html"`
	Links        []domain.Link `gorm:"serializer:json"`
	DeletedAt    *time.Time
	CreatedAt    time.Time `gorm:"<-:false"`
	UpdatedAt    time.Time `gorm:"<-:false"`
	Version      int64     `gorm:"<-:false"`
}

func (guidance) TableName() string { return "guidance" }
func (m guidance) position() domain.Position {
	return domain.Position{UpdatedAt: m.UpdatedAt, ID: m.ID}
}
func (m guidance) rowVersion() int64 { return m.Version }

func (m guidance) toDomain() domain.Guidance {
	links := m.Links
	if links == nil {
		links = []domain.Link{}
	}
	return domain.Guidance{ID: m.ID, Title: m.Title, Audience: domain.GuidanceAudience(m.Audience), Topic: m.Topic,
		BodyMarkdown: m.BodyMarkdown, BodyHTML: m.BodyHTML, Links: links,
		DeletedAt: m.DeletedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version}
}

func guidanceModel(g domain.Guidance) guidance {
	links := g.Links
	if links == nil {
		links = []domain.Link{}
	}
	return guidance{ID: g.ID, Title: g.Title, Audience: string(g.Audience), Topic: g.Topic, BodyMarkdown: g.BodyMarkdown,
		BodyHTML: g.BodyHTML, Links: links, DeletedAt: g.DeletedAt}
}

// NewGuidance returns the guidance repository. Everyone reads guidance; row-level security
// lets only a principal reaching every organisation write it.
func NewGuidance(db *DB) domain.GuidanceRepository {
	return store[guidance, domain.Guidance, domain.GuidanceFilter]{
		db: db, what: "guidance",
		toDomain: guidance.toDomain,
		toModel:  guidanceModel,
		newID:    func(m *guidance) { m.ID = NewID() },
		filter: func(s *statement, f domain.GuidanceFilter) {
			eq(s, "audience", f.Audience)
			eq(s, "topic", f.Topic)
		},
		deleted: func(f domain.GuidanceFilter) bool { return f.IncludeDeleted },
		columns: []string{"title", "audience", "topic", "body_markdown", "body_html", "links", "deleted_at"},
		scope:   everyone,
	}
}
