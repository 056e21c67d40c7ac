package httpapi

import (
	"context"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func vacancyOut(v domain.Vacancy) api.Vacancy {
	return api.Vacancy{Id: v.ID, OrganisationId: v.OrganisationID, EmployerName: v.EmployerName,
		EmployerOrganisationId: v.EmployerOrganisationID, Role: v.Role, Band: v.Band,
		ClosingOn: dateOut(v.ClosingOn), Status: api.VacancyStatus(v.Status), Deleted: v.DeletedAt != nil,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Version: v.Version}
}

// ListVacancies lists the vacancies within reach.
func (s *Server) ListVacancies(ctx context.Context, r api.ListVacanciesRequestObject) (api.ListVacanciesResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	page, err := s.Vacancies.List(ctx, domain.VacancyFilter{Status: ptrOf(q.Status, str[api.VacancyStatus]),
		ClosingAfter: ptrOf(q.ClosingAfter, dateIn), IncludeDeleted: ptrValue(q.IncludeDeleted)}, req)
	if err != nil {
		return nil, err
	}
	out := api.ListVacancies200JSONResponse{Data: make([]api.Vacancy, len(page.Items)), NextCursor: encodeCursor(page.Next)}
	for i, v := range page.Items {
		out.Data[i] = vacancyOut(v)
	}
	return out, nil
}

// CreateVacancy records a job opportunity.
func (s *Server) CreateVacancy(ctx context.Context, r api.CreateVacancyRequestObject) (api.CreateVacancyResponseObject, error) {
	b := r.Body
	v, err := s.Vacancies.Create(ctx, domain.Vacancy{OrganisationID: b.OrganisationId, EmployerName: b.EmployerName,
		EmployerOrganisationID: b.EmployerOrganisationId, Role: b.Role, Band: b.Band, ClosingOn: b.ClosingOn.Time}, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/vacancies/" + v.ID.String()
	return api.CreateVacancy201JSONResponse{Body: vacancyOut(v), Headers: api.CreateVacancy201ResponseHeaders{ETag: etag(v.Version), Location: &loc}}, nil
}

// GetVacancy returns a vacancy.
func (s *Server) GetVacancy(ctx context.Context, r api.GetVacancyRequestObject) (api.GetVacancyResponseObject, error) {
	v, err := s.Vacancies.Get(ctx, r.VacancyId)
	if err != nil {
		return nil, err
	}
	return api.GetVacancy200JSONResponse{Body: vacancyOut(v), Headers: api.GetVacancy200ResponseHeaders{ETag: etag(v.Version)}}, nil
}

// UpdateVacancy applies a merge patch.
func (s *Server) UpdateVacancy(ctx context.Context, r api.UpdateVacancyRequestObject) (api.UpdateVacancyResponseObject, error) {
	b := r.Body
	c := domain.VacancyChange{EmployerName: b.EmployerName, Role: b.Role, Band: change(ctx, "band", b.Band, same[string]),
		ClosingOn: ptrOf(b.ClosingOn, dateIn), Status: ptrOf(b.Status, str[api.VacancyStatus])}
	v, err := s.Vacancies.Update(ctx, r.VacancyId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateVacancy200JSONResponse{Body: vacancyOut(v), Headers: api.UpdateVacancy200ResponseHeaders{ETag: etag(v.Version)}}, nil
}

// DeleteVacancy leaves a tombstone.
func (s *Server) DeleteVacancy(ctx context.Context, r api.DeleteVacancyRequestObject) (api.DeleteVacancyResponseObject, error) {
	if err := s.Vacancies.Delete(ctx, r.VacancyId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteVacancy204Response{}, nil
}
