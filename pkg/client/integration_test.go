package client_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// The test of this file is an integration as a trust would write one: its HR system, an API
// client signed in with client credentials, records a participant's journey through the
// generated client and keeps a copy in step with updated_since, while another trust's HR
// system, holding the same ids, reaches none of it.

// hrSystem is a trust's HR system: the generated client, authorised by client credentials.
type hrSystem struct {
	api *client.ClientWithResponses
}

// newHRSystem registers an API client of a new trust with participants:read and
// participants:write, as the trust's org_admin would, and returns its HR system.
func newHRSystem(t *testing.T, env *apitest.Env, name string) (domain.Organisation, hrSystem) {
	t.Helper()
	trust := env.Organisation(t, domain.KindTrust, name)
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read", "participants:write")
	tokens := &client.ClientCredentialsSource{Server: env.URL, ClientID: clientID, ClientSecret: secret, HTTPClient: env.HTTP}
	api, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(env.HTTP), client.WithTokenSource(tokens))
	if err != nil {
		t.Fatal(err)
	}
	return trust, hrSystem{api: api}
}

// answer is what every generated response has.
type answer interface{ StatusCode() int }

// wantStatus stops the test when the call failed or answered another status than want.
func wantStatus(t *testing.T, what string, res answer, body func() []byte, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.StatusCode() != want {
		t.Fatalf("%s: %d, want %d: %s", what, res.StatusCode(), want, body())
	}
}

func day(s string) openapi_types.Date {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return openapi_types.Date{Time: d}
}

func ptr[T any](v T) *T { return &v }

// syncParticipants lists every participant changed since since, a page of one at a time, as an
// HR system's incremental sync does with client.All.
func (h hrSystem) syncParticipants(t *testing.T, since time.Time) []client.Participant {
	t.Helper()
	var out []client.Participant
	for p, err := range client.All(context.Background(), func(ctx context.Context, cursor *string) ([]client.Participant, *string, error) {
		res, err := h.api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{UpdatedSince: &since, Limit: ptr(1), Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			t.Fatalf("list participants: %d %s", res.StatusCode(), res.Body)
		}
		return res.JSON200.Data, client.NextCursor(res.JSON200.NextCursor), nil
	}) {
		if err != nil {
			t.Fatalf("sync participants: %v", err)
		}
		out = append(out, p)
	}
	return out
}

// syncPlacements lists every placement changed since since, as syncParticipants does.
func (h hrSystem) syncPlacements(t *testing.T, since time.Time) []client.Placement {
	t.Helper()
	var out []client.Placement
	for p, err := range client.All(context.Background(), func(ctx context.Context, cursor *string) ([]client.Placement, *string, error) {
		res, err := h.api.ListPlacementsWithResponse(ctx, &client.ListPlacementsParams{UpdatedSince: &since, Limit: ptr(1), Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			t.Fatalf("list placements: %d %s", res.StatusCode(), res.Body)
		}
		return res.JSON200.Data, client.NextCursor(res.JSON200.NextCursor), nil
	}) {
		if err != nil {
			t.Fatalf("sync placements: %v", err)
		}
		out = append(out, p)
	}
	return out
}

func TestHRSystemRecordsAJourneyAndSyncsIt(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust, hr := newHRSystem(t, env, "Northgate Teaching Hospitals NHS Foundation Trust")
	_, other := newHRSystem(t, env, "Riverside Community Health NHS Trust")
	ctx := context.Background()
	// The README's advice for a first sync: from a minute before the earliest change wanted.
	since := time.Now().Add(-time.Minute)

	// Two participants, the first sent twice with one Idempotency-Key, as a retry after a lost
	// answer would: the second answer is the first, and no second participant is recorded.
	// Both agreed to sharing with HR: without it, the HR system would be shown them withheld.
	key := "hr-" + apitest.Unique()
	agreed := &client.ConsentInput{Processing: ptr(true), HrSharing: ptr(true)}
	amaraBody := client.ParticipantCreate{OrganisationId: trust.ID, GivenName: "Amara", FamilyName: "Okafor",
		DateOfBirth: day("2001-05-17"), ExternalRef: ptr("HR-" + apitest.Unique()), Consent: agreed}
	created, err := hr.api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{IdempotencyKey: &key}, amaraBody)
	wantStatus(t, "create participant", created, func() []byte { return created.Body }, err, http.StatusCreated)
	amara := *created.JSON201
	if amara.OrganisationId != trust.ID || amara.GivenName.MustGet() != "Amara" || amara.Version != 1 || amara.Erased {
		t.Errorf("created participant %s", created.Body)
	}
	if h := created.Headers201; h == nil || h.Location == nil || *h.Location != "/v1/participants/"+amara.Id.String() ||
		h.ETag == nil || *h.ETag != `"1"` {
		t.Errorf("create participant: headers %+v", created.HTTPResponse.Header)
	}
	retried, err := hr.api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{IdempotencyKey: &key}, amaraBody)
	wantStatus(t, "retry create participant", retried, func() []byte { return retried.Body }, err, http.StatusCreated)
	if retried.JSON201.Id != amara.Id {
		t.Errorf("the retry created %s, the first call %s", retried.JSON201.Id, amara.Id)
	}
	jonahRes, err := hr.api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{},
		client.ParticipantCreate{OrganisationId: trust.ID, GivenName: "Jonah", FamilyName: "Reid", DateOfBirth: day("1999-11-02"), Consent: agreed})
	wantStatus(t, "create second participant", jonahRes, func() []byte { return jonahRes.Body }, err, http.StatusCreated)
	jonah := *jonahRes.JSON201

	// A cohort of work experience (no age or length bounds) and Amara's enrolment in it.
	cohortRes, err := hr.api.CreateCohortWithResponse(ctx, &client.CreateCohortParams{}, client.CohortCreate{
		ProgrammeId: uuid.MustParse("01900000-0000-7000-8000-000000000106"), OrganisationId: trust.ID,
		Name: "Work experience, January", StartsOn: day("2027-01-04"), EndsOn: day("2027-01-29"), Capacity: 10})
	wantStatus(t, "create cohort", cohortRes, func() []byte { return cohortRes.Body }, err, http.StatusCreated)
	cohort := *cohortRes.JSON201
	if cohort.OrganisationId != trust.ID || cohort.PlacesTaken != 0 || cohort.Capacity != 10 {
		t.Errorf("created cohort %s", cohortRes.Body)
	}

	enrolRes, err := hr.api.CreateEnrolmentWithResponse(ctx, &client.CreateEnrolmentParams{}, client.EnrolmentCreate{
		CohortId: cohort.Id, ParticipantId: amara.Id, Status: ptr(client.EnrolmentCreateStatusEnrolled)})
	wantStatus(t, "enrol", enrolRes, func() []byte { return enrolRes.Body }, err, http.StatusCreated)
	enrolment := *enrolRes.JSON201
	if enrolment.Status != client.EnrolmentStatus(domain.Enrolled) || enrolment.CohortId != cohort.Id ||
		enrolment.ParticipantId != amara.Id || enrolment.OrganisationId != trust.ID {
		t.Errorf("enrolment %s", enrolRes.Body)
	}
	// A move made against a version the enrolment no longer has is refused; one against its
	// current ETag is made.
	stale, err := hr.api.TransitionEnrolmentWithResponse(ctx, enrolment.Id, &client.TransitionEnrolmentParams{IfMatch: ptr(`"9"`)},
		client.EnrolmentTransition{To: client.EnrolmentTransitionToActive})
	wantStatus(t, "move with a stale If-Match", stale, func() []byte { return stale.Body }, err, http.StatusPreconditionFailed)
	moved, err := hr.api.TransitionEnrolmentWithResponse(ctx, enrolment.Id, &client.TransitionEnrolmentParams{IfMatch: enrolRes.Headers201.ETag},
		client.EnrolmentTransition{To: client.EnrolmentTransitionToActive})
	wantStatus(t, "move to active", moved, func() []byte { return moved.Body }, err, http.StatusOK)
	if moved.JSON200.Status != client.EnrolmentStatus(domain.Active) || moved.JSON200.Version != enrolment.Version+1 {
		t.Errorf("moved enrolment %s", moved.Body)
	}

	// A placement during the enrolment, which names the participant and cohort it belongs to.
	placementRes, err := hr.api.CreatePlacementWithResponse(ctx, &client.CreatePlacementParams{}, client.PlacementCreate{
		EnrolmentId: enrolment.Id, Kind: client.PlacementKindPlacement, HostDepartment: "Estates and Facilities",
		RoleArea: client.RoleAreaEstates, StartsOn: day("2027-01-11"), EndsOn: day("2027-01-15")})
	wantStatus(t, "create placement", placementRes, func() []byte { return placementRes.Body }, err, http.StatusCreated)
	placement := *placementRes.JSON201
	if placement.ParticipantId != amara.Id || placement.CohortId != cohort.Id || placement.OrganisationId != trust.ID ||
		placement.Status != client.PlacementStatusPlanned || !placement.Site.IsNull() || placement.Version != 1 {
		t.Errorf("created placement %s", placementRes.Body)
	}

	// An outcome: Amara went into employment.
	outcomeRes, err := hr.api.CreateOutcomeWithResponse(ctx, &client.CreateOutcomeParams{}, client.OutcomeCreate{
		ParticipantId: amara.Id, EnrolmentId: &enrolment.Id, Destination: client.DestinationEmployment, IlrCode: "EMP1",
		Employer: ptr("Northgate Teaching Hospitals"), StartsOn: ptr(day("2027-02-15"))})
	wantStatus(t, "create outcome", outcomeRes, func() []byte { return outcomeRes.Body }, err, http.StatusCreated)
	outcome := *outcomeRes.JSON201
	if !outcome.Positive || outcome.ParticipantId != amara.Id || outcome.EnrolmentId.MustGet() != enrolment.Id ||
		outcome.OrganisationId != trust.ID || outcome.Employer.MustGet() != "Northgate Teaching Hospitals" {
		t.Errorf("created outcome %s", outcomeRes.Body)
	}

	// The first sync, a page of one at a time, finds both participants once each; the retried
	// create added none.
	var synced []openapi_types.UUID
	for _, p := range hr.syncParticipants(t, since) {
		synced = append(synced, p.Id)
	}
	if want := []openapi_types.UUID{amara.Id, jonah.Id}; !sameUUIDs(synced, want) {
		t.Errorf("first sync of participants: %v, want %v", synced, want)
	}
	placements := hr.syncPlacements(t, since)
	if len(placements) != 1 || placements[0].Id != placement.Id {
		t.Fatalf("first sync of placements: %+v, want %s only", placements, placement.Id)
	}

	// The placement moves to the hospital's main site; the next sync, from a minute before the
	// greatest updated_at of the last, brings the new version.
	patched, err := hr.api.UpdatePlacementWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, placement.Id,
		&client.UpdatePlacementParams{IfMatch: ptr(apitest.ETag(placement.Version))}, client.PlacementPatch{Site: nullable.NewNullableWithValue("Main site")})
	wantStatus(t, "patch placement", patched, func() []byte { return patched.Body }, err, http.StatusOK)
	next := hr.syncPlacements(t, placements[0].UpdatedAt.Add(-time.Minute))
	i := slices.IndexFunc(next, func(p client.Placement) bool { return p.Id == placement.Id })
	if i < 0 {
		t.Fatalf("the sync after the change does not list placement %s: %+v", placement.Id, next)
	}
	if got := next[i]; got.Version != 2 || got.Site.MustGet() != "Main site" || got.HostDepartment != "Estates and Facilities" {
		t.Errorf("synced placement after the change: %+v", got)
	}

	// Another trust's HR system, given the very same ids, reaches none of them: each answers
	// 404, as for an id that does not exist, and its own sync lists nothing of this trust's.
	if got, err := other.api.GetParticipantWithResponse(ctx, amara.Id); err != nil || got.StatusCode() != http.StatusNotFound {
		t.Errorf("another trust's GET participant: %v %v", got.StatusCode(), err)
	}
	if got, err := other.api.GetEnrolmentWithResponse(ctx, enrolment.Id); err != nil || got.StatusCode() != http.StatusNotFound {
		t.Errorf("another trust's GET enrolment: %v %v", got.StatusCode(), err)
	}
	if got, err := other.api.GetPlacementWithResponse(ctx, placement.Id); err != nil || got.StatusCode() != http.StatusNotFound {
		t.Errorf("another trust's GET placement: %v %v", got.StatusCode(), err)
	}
	if got, err := other.api.GetOutcomeWithResponse(ctx, outcome.Id); err != nil || got.StatusCode() != http.StatusNotFound {
		t.Errorf("another trust's GET outcome: %v %v", got.StatusCode(), err)
	}
	refused, err := other.api.UpdatePlacementWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, placement.Id,
		&client.UpdatePlacementParams{}, client.PlacementPatch{Site: nullable.NewNullableWithValue("Elsewhere")})
	wantStatus(t, "another trust's PATCH placement", refused, func() []byte { return refused.Body }, err, http.StatusNotFound)
	if p := refused.ApplicationproblemJSON404; p == nil || p.Status != http.StatusNotFound {
		t.Errorf("another trust's PATCH placement: not a 404 problem: %s", refused.Body)
	}
	if got := other.syncParticipants(t, since); len(got) != 0 {
		t.Errorf("another trust's sync lists %d participants of this trust", len(got))
	}
	if got := other.syncPlacements(t, since); len(got) != 0 {
		t.Errorf("another trust's sync lists %d placements of this trust", len(got))
	}
	// And the placement is as this trust left it.
	again, err := hr.api.GetPlacementWithResponse(ctx, placement.Id)
	wantStatus(t, "get placement", again, func() []byte { return again.Body }, err, http.StatusOK)
	if again.JSON200.Site.MustGet() != "Main site" || again.JSON200.Version != 2 {
		t.Errorf("placement after another trust's attempt: %s", again.Body)
	}
}

func sameUUIDs(got, want []openapi_types.UUID) bool {
	g, w := make([]string, len(got)), make([]string, len(want))
	for i, id := range got {
		g[i] = id.String()
	}
	for i, id := range want {
		w[i] = id.String()
	}
	return apitest.SameSet(g, w)
}
