package httpapi

import (
	"context"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/civil"
	"github.com/p4w-nhs/p4w/internal/domain"
)

func dateOut(t time.Time) civil.Date { return civil.Date{Time: t} }
func dateIn(d civil.Date) time.Time  { return d.Time }

func consentOut(c domain.Consent) api.ConsentState {
	return api.ConsentState{Granted: c.Granted, ChangedAt: c.ChangedAt}
}

func consentIn(c *api.ConsentInput) domain.ConsentChange {
	if c == nil {
		return domain.ConsentChange{}
	}
	return domain.ConsentChange{Processing: c.Processing, HRSharing: c.HrSharing, CaseStudy: c.CaseStudy}
}

func participantOut(p domain.Participant) api.Participant {
	return api.Participant{
		Id: p.ID, OrganisationId: p.OrganisationID,
		ExternalRef:    p.ExternalRef,
		GivenName:      p.GivenName,
		FamilyName:     p.FamilyName,
		DateOfBirth:    ptrOf(p.DateOfBirth, dateOut),
		Email:          p.Email,
		Phone:          p.Phone,
		Postcode:       p.Postcode,
		BenefitStatus:  api.BenefitStatus(p.BenefitStatus),
		ReferralSource: ptrOf(p.ReferralSource, func(s string) api.ReferralSource { return api.ReferralSource(s) }),
		Consent: api.Consent{
			Processing: consentOut(p.Consent.Processing),
			HrSharing:  consentOut(p.Consent.HRSharing),
			CaseStudy:  consentOut(p.Consent.CaseStudy),
		},
		Erased: p.Erased(), ErasedAt: p.ErasedAt, Withheld: p.Withheld,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
	}
}

func participantOK(p domain.Participant) api.ParticipantOKJSONResponse {
	return api.ParticipantOKJSONResponse{Body: participantOut(p), Headers: api.ParticipantOKResponseHeaders{ETag: etag(p.Version)}}
}

// ListParticipants lists and searches the participants within the caller's reach.
func (s *Server) ListParticipants(ctx context.Context, r api.ListParticipantsRequestObject) (api.ListParticipantsResponseObject, error) {
	q := r.Params
	req, err := pageRequest(q.Limit, q.Cursor, q.UpdatedSince)
	if err != nil {
		return nil, err
	}
	f := domain.ParticipantFilter{
		Query: q.Q, ExternalRef: q.ExternalRef, OrganisationID: q.OrganisationId, Erased: q.Erased,
		BenefitStatus:  ptrOf(q.BenefitStatus, str[api.BenefitStatus]),
		ReferralSource: ptrOf(q.ReferralSource, str[api.ReferralSource]),
	}
	if wantsCSV(ctx) {
		return s.participantsCSV(ctx, f, req)
	}
	page, err := s.Participants.List(ctx, f, req)
	if err != nil {
		return nil, err
	}
	out := api.ListParticipants200JSONResponse{Body: api.ParticipantPage{Data: make([]api.Participant, len(page.Items)), NextCursor: encodeCursor(page.Next)}}
	for i, p := range page.Items {
		out.Body.Data[i] = participantOut(p)
	}
	return out, nil
}

// CreateParticipant records a participant.
func (s *Server) CreateParticipant(ctx context.Context, r api.CreateParticipantRequestObject) (api.CreateParticipantResponseObject, error) {
	b := r.Body
	p := domain.Participant{
		OrganisationID: b.OrganisationId, ExternalRef: b.ExternalRef, GivenName: &b.GivenName, FamilyName: &b.FamilyName,
		DateOfBirth: ptrOf(&b.DateOfBirth, dateIn), Email: ptrOf(b.Email, str), Phone: b.Phone, Postcode: b.Postcode,
		BenefitStatus:  string(ptrValue(b.BenefitStatus)),
		ReferralSource: ptrOf(b.ReferralSource, str[api.ReferralSource]),
	}
	p, err := s.Participants.Create(ctx, p, consentIn(b.Consent), bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	loc := "/v1/participants/" + p.ID.String()
	return api.CreateParticipant201JSONResponse{ParticipantCreatedJSONResponse: api.ParticipantCreatedJSONResponse{
		Body: participantOut(p), Headers: api.ParticipantCreatedResponseHeaders{ETag: etag(p.Version), Location: &loc},
	}}, nil
}

// GetParticipant returns one participant.
func (s *Server) GetParticipant(ctx context.Context, r api.GetParticipantRequestObject) (api.GetParticipantResponseObject, error) {
	p, err := s.Participants.Get(ctx, r.ParticipantId)
	if err != nil {
		return nil, err
	}
	return api.GetParticipant200JSONResponse{ParticipantOKJSONResponse: participantOK(p)}, nil
}

// UpdateParticipant applies a merge patch.
func (s *Server) UpdateParticipant(ctx context.Context, r api.UpdateParticipantRequestObject) (api.UpdateParticipantResponseObject, error) {
	b := r.Body
	c := domain.ParticipantChange{
		ExternalRef: change(ctx, "external_ref", b.ExternalRef, same[string]),
		GivenName:   b.GivenName, FamilyName: b.FamilyName,
		DateOfBirth:    ptrOf(b.DateOfBirth, dateIn),
		Email:          change(ctx, "email", b.Email, str),
		Phone:          change(ctx, "phone", b.Phone, same[string]),
		Postcode:       change(ctx, "postcode", b.Postcode, same[string]),
		BenefitStatus:  ptrOf(b.BenefitStatus, str[api.BenefitStatus]),
		ReferralSource: change(ctx, "referral_source", b.ReferralSource, str[api.ReferralSource]),
		Consent:        consentIn(b.Consent),
	}
	p, err := s.Participants.Update(ctx, r.ParticipantId, ifMatch(r.Params.IfMatch), c, bodyFields(ctx))
	if err != nil {
		return nil, err
	}
	return api.UpdateParticipant200JSONResponse{ParticipantOKJSONResponse: participantOK(p)}, nil
}

// EraseParticipant wipes a participant's personal data.
func (s *Server) EraseParticipant(ctx context.Context, r api.EraseParticipantRequestObject) (api.EraseParticipantResponseObject, error) {
	if err := s.Participants.Erase(ctx, r.ParticipantId, ifMatch(r.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.EraseParticipant204Response{}, nil
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
