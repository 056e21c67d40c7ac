package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Guidance manages the Preparation for Work Directory: the national team writes it, every
// authenticated caller reads it, and the public directory shows it to anyone.
type Guidance struct {
	GuidanceDeps
}

// GuidanceDeps are what Guidance is built on.
type GuidanceDeps struct {
	Tx       Transactor
	Guidance domain.GuidanceRepository
	Markdown Markdown
	Audit    Auditor
	Now      Clock
}

// NewGuidance wires the guidance use cases.
func NewGuidance(d GuidanceDeps) *Guidance {
	return &Guidance{d}
}

// Create records an entry. Errors: forbidden (anyone but the national team), invalid.
func (s *Guidance) Create(ctx context.Context, g domain.Guidance, fields []string) (domain.Guidance, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.Guidance, event, error) {
		if err := s.render(&g); err != nil {
			return g, noEvent, err
		}
		if err := s.Guidance.Create(ctx, &g); err != nil {
			return g, noEvent, err
		}
		return g, event{"guidance.create", "guidance", g.ID, nil, fields}, nil
	})
}

func (s *Guidance) render(g *domain.Guidance) error {
	if err := g.Validate(); err != nil {
		return err
	}
	g.BodyHTML = s.Markdown.HTML(g.BodyMarkdown)
	return nil
}

// Get returns an entry. Errors: not_found.
func (s *Guidance) Get(ctx context.Context, id uuid.UUID) (domain.Guidance, error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Guidance, error) {
		return s.Guidance.Get(ctx, id)
	})
}

// List returns a page of guidance.
func (s *Guidance) List(ctx context.Context, f domain.GuidanceFilter, req domain.PageRequest) (domain.Page[domain.Guidance], error) {
	return read(ctx, domain.ScopeOrganisationsRead, func(ctx context.Context) (domain.Page[domain.Guidance], error) {
		return s.Guidance.List(ctx, f, req)
	})
}

// Update applies a merge patch. Errors: forbidden, not_found, precondition_failed, invalid,
// conflict (a deleted entry).
func (s *Guidance) Update(ctx context.Context, id uuid.UUID, ifVersion *int64, c domain.GuidanceChange, fields []string) (domain.Guidance, error) {
	return transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (domain.Guidance, event, error) {
		g, err := s.Guidance.Update(ctx, id, ifVersion, func(g *domain.Guidance) error {
			if err := mustBeLive(g.DeletedAt, "guidance"); err != nil {
				return err
			}
			c.Apply(g)
			return s.render(g)
		})
		if err != nil {
			return g, noEvent, err
		}
		return g, event{"guidance.update", "guidance", id, nil, fields}, nil
	})
}

// Delete leaves a tombstone; deleting twice is harmless. Errors: forbidden, not_found,
// precondition_failed.
func (s *Guidance) Delete(ctx context.Context, id uuid.UUID, ifVersion *int64) error {
	_, err := transact(ctx, s.Tx, s.Audit, domain.ScopeCatalogueWrite, func(ctx context.Context, _ domain.Principal) (struct{}, event, error) {
		already := false
		_, err := s.Guidance.Update(ctx, id, ifVersion, func(g *domain.Guidance) error {
			if already = g.DeletedAt != nil; already {
				return domain.ErrNoChange
			}
			now := s.Now()
			g.DeletedAt = &now
			return nil
		})
		if err != nil || already {
			return struct{}{}, noEvent, err
		}
		return struct{}{}, event{"guidance.delete", "guidance", id, nil, []string{"deleted"}}, nil
	})
	return err
}

// PublicDirectory reads the public directories for anyone, with no token: published case
// studies (never a draft, a tombstone or who they are about) and live guidance.
type PublicDirectory struct {
	Directory domain.PublicDirectory
	Guidance  domain.GuidanceRepository
}

// publicReader is the principal the public directories read as: it reaches every organisation
// so that row-level security lets a published case study of any trust through, and holds no
// scope, so no use case would let it do anything else. The queries it runs name what the public
// may see and nothing more.
func publicReader(ctx context.Context) context.Context {
	return domain.WithPrincipal(ctx, domain.Principal{Subject: "public", AllOrganisations: true})
}

// CaseStudies returns a page of the published case studies.
func (s *PublicDirectory) CaseStudies(ctx context.Context, req domain.PageRequest) (domain.Page[domain.PublicCaseStudy], error) {
	return s.Directory.CaseStudies(publicReader(ctx), req)
}

// CaseStudy returns a published case study. Errors: not_found (a draft, a deleted one, none).
func (s *PublicDirectory) CaseStudy(ctx context.Context, id uuid.UUID) (domain.PublicCaseStudy, error) {
	return s.Directory.CaseStudy(publicReader(ctx), id)
}

// GuidanceList returns a page of live guidance.
func (s *PublicDirectory) GuidanceList(ctx context.Context, f domain.GuidanceFilter, req domain.PageRequest) (domain.Page[domain.Guidance], error) {
	f.IncludeDeleted = false
	req.UpdatedSince = nil // tombstones are for syncing clients, not the public
	return s.Guidance.List(publicReader(ctx), f, req)
}

// GuidanceEntry returns a live entry of guidance. Errors: not_found (none, or deleted).
func (s *PublicDirectory) GuidanceEntry(ctx context.Context, id uuid.UUID) (domain.Guidance, error) {
	g, err := s.Guidance.Get(publicReader(ctx), id)
	if err == nil && g.DeletedAt != nil {
		return domain.Guidance{}, domain.NotFound("guidance")
	}
	return g, err
}
