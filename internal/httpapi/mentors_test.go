package httpapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The seeded programmes these tests run cohorts of.
const (
	mtGetStarted     = "01900000-0000-7000-8000-000000000103" // 16 to 30, 2 to 3 days
	mtStreetDoctors  = "01900000-0000-7000-8000-000000000105" // mentoring, 14 to 25
	mtWorkExperience = "01900000-0000-7000-8000-000000000106" // 14 or over, any length
)

// The records as the API sends them; a nil pointer is a JSON null.
type (
	mentorDoc struct {
		ID             string    `json:"id"`
		OrganisationID string    `json:"organisation_id"`
		Kind           string    `json:"kind"`
		GivenName      *string   `json:"given_name"`
		FamilyName     *string   `json:"family_name"`
		Email          *string   `json:"email"`
		ParticipantID  *string   `json:"participant_id"`
		TrainedOn      *string   `json:"trained_on"`
		Active         bool      `json:"active"`
		Deleted        bool      `json:"deleted"`
		UpdatedAt      time.Time `json:"updated_at"`
		Version        int64     `json:"version"`
	}
	matchDoc struct {
		ID             string    `json:"id"`
		OrganisationID string    `json:"organisation_id"`
		MentorID       string    `json:"mentor_id"`
		ParticipantID  string    `json:"participant_id"`
		EnrolmentID    *string   `json:"enrolment_id"`
		StartsOn       string    `json:"starts_on"`
		PlannedEndOn   string    `json:"planned_end_on"`
		EndedOn        *string   `json:"ended_on"`
		Status         string    `json:"status"`
		EndReason      *string   `json:"end_reason"`
		Deleted        bool      `json:"deleted"`
		UpdatedAt      time.Time `json:"updated_at"`
		Version        int64     `json:"version"`
	}
	checkInDoc struct {
		ID             string `json:"id"`
		MatchID        string `json:"match_id"`
		OrganisationID string `json:"organisation_id"`
		HeldOn         string `json:"held_on"`
		Minutes        int    `json:"minutes"`
		Mode           string `json:"mode"`
		Version        int64  `json:"version"`
	}
	vacancyDoc struct {
		ID                     string    `json:"id"`
		OrganisationID         string    `json:"organisation_id"`
		EmployerName           string    `json:"employer_name"`
		EmployerOrganisationID *string   `json:"employer_organisation_id"`
		Role                   string    `json:"role"`
		Band                   *string   `json:"band"`
		ClosingOn              string    `json:"closing_on"`
		Status                 string    `json:"status"`
		Deleted                bool      `json:"deleted"`
		UpdatedAt              time.Time `json:"updated_at"`
		Version                int64     `json:"version"`
	}
	interviewDoc struct {
		ID             string    `json:"id"`
		OrganisationID string    `json:"organisation_id"`
		VacancyID      string    `json:"vacancy_id"`
		ParticipantID  string    `json:"participant_id"`
		EnrolmentID    *string   `json:"enrolment_id"`
		HeldOn         string    `json:"held_on"`
		Result         string    `json:"result"`
		Deleted        bool      `json:"deleted"`
		UpdatedAt      time.Time `json:"updated_at"`
		Version        int64     `json:"version"`
	}
	timelineDoc struct {
		ParticipantID string `json:"participant_id"`
		Events        []struct {
			On           string `json:"on"`
			Kind         string `json:"kind"`
			ResourceType string `json:"resource_type"`
			ResourceID   string `json:"resource_id"`
			Summary      string `json:"summary"`
		} `json:"events"`
	}
	// listedRow is what every listed record of these collections has.
	listedRow struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
)

func mtIDs(rows []listedRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// mtWantList checks that the collection at path with query lists exactly want, in any order.
func mtWantList(tb testing.TB, env *apitest.Env, token, path string, query url.Values, want ...string) {
	tb.Helper()
	if got := mtIDs(apitest.FirstPage[listedRow](tb, env, path, token, query)); !apitest.SameSet(got, want) {
		tb.Errorf("GET %s?%s = %v, want %v", path, query.Encode(), got, want)
	}
}

// mtTombstone checks that the collection at path with query lists id, marked deleted.
func mtTombstone(tb testing.TB, env *apitest.Env, token, path string, query url.Values, id string) {
	tb.Helper()
	rows := apitest.FirstPage[listedRow](tb, env, path, token, query)
	i := slices.IndexFunc(rows, func(r listedRow) bool { return r.ID == id })
	if i < 0 {
		tb.Errorf("GET %s?%s does not list the deleted %s: %v", path, query.Encode(), id, mtIDs(rows))
		return
	}
	if !rows[i].Deleted {
		tb.Errorf("GET %s?%s lists %s with deleted: false", path, query.Encode(), id)
	}
}

func mtSince(ts time.Time) url.Values {
	return url.Values{"updated_since": {ts.UTC().Format(time.RFC3339Nano)}}
}

// mtParticipant records a participant of org with the names and date of birth given (and the
// further key, value pairs in kv), returning its id.
func mtParticipant(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, given, family, born string, kv ...any) string {
	tb.Helper()
	kv = append([]any{"given_name", given, "family_name", family, "date_of_birth", born}, kv...)
	return mustCreateParticipant(tb, env, token, apitest.ParticipantBody(tb, org, kv...)).ID
}

// mtCohort plans a cohort of programme at org, returning its id.
func mtCohort(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, programme, name, starts, ends string) string {
	tb.Helper()
	type cohort struct {
		ID string `json:"id"`
	}
	return apitest.MustPost[cohort](tb, env, "/v1/cohorts", token, apitest.JSON(tb, "programme_id", programme, "organisation_id", org.String(),
		"name", name, "starts_on", starts, "ends_on", ends, "capacity", 50)).ID
}

// mtEnrol refers participant to cohort on referredOn, then makes each move of steps ({to, on}),
// returning the enrolment's id.
func mtEnrol(tb testing.TB, env *apitest.Env, token, cohort, participant, referredOn string, steps ...[2]string) string {
	tb.Helper()
	type enrolment struct {
		ID string `json:"id"`
	}
	id := apitest.MustPost[enrolment](tb, env, "/v1/enrolments", token, apitest.JSON(tb, "cohort_id", cohort, "participant_id", participant,
		"on", referredOn)).ID
	for _, s := range steps {
		mtMove(tb, env, token, id, s[0], s[1])
	}
	return id
}

// mtMove moves an enrolment to status to on the day given.
func mtMove(tb testing.TB, env *apitest.Env, token, enrolment, to, on string, kv ...any) {
	tb.Helper()
	body := apitest.JSON(tb, append([]any{"to", to, "on", on}, kv...)...)
	res := env.Do(tb, http.MethodPost, "/v1/enrolments/"+enrolment+"/transitions", token, body)
	if res.Status != http.StatusOK {
		tb.Fatalf("move enrolment %s: %d %s", body, res.Status, res.Body)
	}
}

// mtMentor records a mentor of org, returning it.
func mtMentor(tb testing.TB, env *apitest.Env, token string, org uuid.UUID, kind, given, family string, kv ...any) mentorDoc {
	tb.Helper()
	kv = append([]any{"organisation_id", org.String(), "kind", kind, "given_name", given, "family_name", family}, kv...)
	return apitest.MustPost[mentorDoc](tb, env, "/v1/mentors", token, apitest.JSON(tb, kv...))
}

// mtMatchBody is a create body of a match; enrolment may be empty.
func mtMatchBody(tb testing.TB, mentor, participant, enrolment, starts, plannedEnd string) string {
	tb.Helper()
	kv := []any{"mentor_id", mentor, "participant_id", participant, "starts_on", starts, "planned_end_on", plannedEnd}
	if enrolment != "" {
		kv = append(kv, "enrolment_id", enrolment)
	}
	return apitest.JSON(tb, kv...)
}

func mtDeref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func TestMentorCRUD(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakhurst NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()

	priya := mtMentor(t, env, token, trust.ID, "professional", "Priya", "Shah", "email", "priya.shah@example.org", "trained_on", "2026-09-01")
	if priya.Kind != "professional" || !priya.Active || priya.Deleted || priya.OrganisationID != org || priya.ParticipantID != nil ||
		mtDeref(priya.GivenName) != "Priya" || mtDeref(priya.FamilyName) != "Shah" || mtDeref(priya.Email) != "priya.shah@example.org" ||
		mtDeref(priya.TrainedOn) != "2026-09-01" || priya.Version != 1 {
		t.Errorf("created: %+v", priya)
	}
	owen := mtMentor(t, env, token, trust.ID, "professional", "Owen", "Price")
	sam := mtMentor(t, env, token, trust.ID, "peer", "Sam", "Okoro")
	if sam.Kind != "peer" || sam.Email != nil || sam.TrainedOn != nil || sam.ParticipantID != nil || !sam.Active {
		t.Errorf("peer mentor keyed in: %+v", sam)
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+priya.ID, token); !reflect.DeepEqual(got, priya) {
		t.Errorf("GET = %+v, want %+v", got, priya)
	}

	// A mentor made from a participant comes from POST /v1/participants/{id}/peer-mentor,
	// which checks the training; the create body cannot claim a participant, nor be born inactive.
	for _, field := range []string{"participant_id", "active", "id", "deleted"} {
		value := any(uuid.NewString())
		if field == "active" || field == "deleted" {
			value = false
		}
		res := env.Do(t, http.MethodPost, "/v1/mentors", token, apitest.JSON(t, "organisation_id", org, "kind", "peer",
			"given_name", "Sneaky", "family_name", "Claim", field, value))
		apitest.WantProblem(t, res, http.StatusBadRequest, field)
	}
	res := env.Do(t, http.MethodPost, "/v1/mentors", token, apitest.JSON(t, "organisation_id", org, "kind", "coach", "given_name", "A", "family_name", "B"))
	apitest.WantProblem(t, res, http.StatusBadRequest, "kind")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors`); n != 3 {
		t.Errorf("%d mentors after refused creates, want 3", n)
	}

	const path = "/v1/mentors"
	mtWantList(t, env, token, path, nil, priya.ID, owen.ID, sam.ID)
	mtWantList(t, env, token, path, url.Values{"kind": {"professional"}}, priya.ID, owen.ID)
	mtWantList(t, env, token, path, url.Values{"kind": {"peer"}}, sam.ID)
	mtWantList(t, env, token, path, url.Values{"active": {"true"}}, priya.ID, owen.ID, sam.ID)
	mtWantList(t, env, token, path, url.Values{"active": {"false"}})
	mtWantList(t, env, token, path, url.Values{"organisation_id": {org}}, priya.ID, owen.ID, sam.ID)

	// Standing a mentor down, with If-Match.
	stood := apitest.MustPatch[mentorDoc](t, env, path+"/"+priya.ID, token, `{"active":false}`, "If-Match", `"1"`)
	if stood.Active || stood.Version != 2 || mtDeref(stood.GivenName) != "Priya" || mtDeref(stood.Email) != "priya.shah@example.org" {
		t.Errorf("stood down: %+v", stood)
	}
	res = env.Patch(t, path+"/"+priya.ID, token, `{"active":true,"given_name":"Stale"}`, "If-Match", `"1"`)
	apitest.WantProblem(t, res, http.StatusPreconditionFailed, "")
	if got := apitest.MustGet[mentorDoc](t, env, path+"/"+priya.ID, token); got.Active || got.Version != 2 || mtDeref(got.GivenName) != "Priya" {
		t.Errorf("a stale PATCH changed the mentor: %+v", got)
	}
	mtWantList(t, env, token, path, url.Values{"active": {"false"}}, priya.ID)
	mtWantList(t, env, token, path, url.Values{"active": {"true"}}, owen.ID, sam.ID)
	mtWantList(t, env, token, path, url.Values{"kind": {"professional"}, "active": {"true"}}, owen.ID)
	mtWantList(t, env, token, path, url.Values{"kind": {"peer"}, "active": {"false"}})

	// A merge patch: null clears, absent leaves.
	cleared := apitest.MustPatch[mentorDoc](t, env, path+"/"+priya.ID, token, `{"email":null}`)
	if cleared.Email != nil || mtDeref(cleared.TrainedOn) != "2026-09-01" || cleared.Active || cleared.Version != 3 {
		t.Errorf("after {\"email\":null}: %+v", cleared)
	}
	res = env.Patch(t, path+"/"+priya.ID, token, `{"kind":"peer"}`)
	apitest.WantProblem(t, res, http.StatusBadRequest, "kind")

	// Deleting leaves a tombstone that syncing clients see.
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, path+"/"+owen.ID, token, "", "If-Match", `"7"`), http.StatusPreconditionFailed, "")
	mtWantList(t, env, token, path, nil, priya.ID, owen.ID, sam.ID)
	env.MustDelete(t, path+"/"+owen.ID, token, "If-Match", `"1"`)
	env.MustDelete(t, path+"/"+owen.ID, token) // deleting twice is harmless
	mtWantList(t, env, token, path, nil, priya.ID, sam.ID)
	mtWantList(t, env, token, path, url.Values{"kind": {"professional"}}, priya.ID)
	mtTombstone(t, env, token, path, url.Values{"include_deleted": {"true"}}, owen.ID)
	mtWantList(t, env, token, path, url.Values{"include_deleted": {"true"}}, priya.ID, owen.ID, sam.ID)
	mtTombstone(t, env, token, path, mtSince(owen.UpdatedAt), owen.ID)
	for _, r := range apitest.FirstPage[listedRow](t, env, path, token, url.Values{"include_deleted": {"true"}}) {
		if r.Deleted != (r.ID == owen.ID) {
			t.Errorf("mentor %s listed with deleted: %v", r.ID, r.Deleted)
		}
	}

	// A deleted mentor cannot change.
	res = env.Patch(t, path+"/"+owen.ID, token, `{"given_name":"Revived"}`)
	apitest.WantProblem(t, res, http.StatusConflict, "")
	tomb := apitest.MustGet[mentorDoc](t, env, path+"/"+owen.ID, token)
	if !tomb.Deleted {
		t.Errorf("GET of a deleted mentor: %+v", tomb)
	}
	res = env.Patch(t, path+"/"+owen.ID, token, `{"active":true}`, "If-Match", apitest.ETag(tomb.Version))
	apitest.WantProblem(t, res, http.StatusConflict, "")
	if got := apitest.MustGet[mentorDoc](t, env, path+"/"+owen.ID, token); got.Version != tomb.Version || mtDeref(got.GivenName) != "Owen" || !got.Deleted {
		t.Errorf("a PATCH of a deleted mentor was written: %+v", got)
	}
}

func TestPeerMentorFromParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Thamesmead Community NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	// Values that occur nowhere else, so that any copy of them is this person's data.
	const given, family, email = "Zephyrine", "Quarmby-Ashdown", "zeph.qa@example.org"
	who := mtParticipant(t, env, token, trust.ID, given, family, "2009-01-10", "email", email, "external_ref", "SD-1")
	streetDoctors := mtCohort(t, env, token, trust.ID, mtStreetDoctors, "Street Doctors spring 2026", "2026-03-02", "2026-05-29")
	enrolment := mtEnrol(t, env, token, streetDoctors, who, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"})
	peerMentor := "/v1/participants/" + who + "/peer-mentor"

	// Training under way is not training completed.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{}`), http.StatusUnprocessableEntity, "participant_id")
	mtMove(t, env, token, enrolment, "completed", "2026-05-29")

	res := env.Do(t, http.MethodPost, peerMentor, token, `{}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("make a peer mentor: %d %s", res.Status, res.Body)
	}
	var m mentorDoc
	res.Decode(t, &m)
	if loc := res.Header.Get("Location"); loc != "/v1/mentors/"+m.ID {
		t.Errorf("Location %q", loc)
	}
	if res.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag %q", res.Header.Get("ETag"))
	}
	if m.Kind != "peer" || mtDeref(m.GivenName) != given || mtDeref(m.FamilyName) != family || mtDeref(m.Email) != email ||
		mtDeref(m.ParticipantID) != who || mtDeref(m.TrainedOn) != "2026-05-29" || !m.Active || m.Deleted ||
		m.OrganisationID != trust.ID.String() {
		t.Errorf("peer mentor = %+v, want the participant's names and email, participant_id %s, trained_on 2026-05-29", m, who)
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+m.ID, token); !reflect.DeepEqual(got, m) {
		t.Errorf("GET = %+v, want %+v", got, m)
	}
	mtWantList(t, env, token, "/v1/mentors", url.Values{"kind": {"peer"}}, m.ID)

	// Once only.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{}`), http.StatusConflict, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, peerMentor, token, `{"trained_on":"2026-06-01"}`), http.StatusConflict, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors WHERE participant_id = $1`, who); n != 1 {
		t.Errorf("%d mentors of the participant, want 1", n)
	}

	// A training date given wins over the completion date.
	ines := mtParticipant(t, env, token, trust.ID, "Ines", "Carvalho", "2008-11-30")
	mtEnrol(t, env, token, streetDoctors, ines, "2026-02-16", [2]string{"enrolled", "2026-03-02"}, [2]string{"active", "2026-03-02"},
		[2]string{"completed", "2026-05-29"})
	res = env.Do(t, http.MethodPost, "/v1/participants/"+ines+"/peer-mentor", token, `{"trained_on":"2026-06-12"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("make a peer mentor with trained_on: %d %s", res.Status, res.Body)
	}
	var inesMentor mentorDoc
	res.Decode(t, &inesMentor)
	if mtDeref(inesMentor.TrainedOn) != "2026-06-12" || mtDeref(inesMentor.ParticipantID) != ines {
		t.Errorf("peer mentor with trained_on: %+v", inesMentor)
	}

	// Completing Work experience is not peer-mentor training; nor is leaving the mentoring cohort.
	workExperience := mtCohort(t, env, token, trust.ID, mtWorkExperience, "Work experience summer 2026", "2026-07-06", "2026-07-17")
	placed := mtParticipant(t, env, token, trust.ID, "Bartholomew", "Ng", "2008-05-05")
	mtEnrol(t, env, token, workExperience, placed, "2026-06-22", [2]string{"enrolled", "2026-07-06"}, [2]string{"active", "2026-07-06"},
		[2]string{"completed", "2026-07-17"})
	left := mtParticipant(t, env, token, trust.ID, "Rosalind", "Fenwick", "2010-02-02")
	leftEnrolment := mtEnrol(t, env, token, streetDoctors, left, "2026-02-16", [2]string{"enrolled", "2026-03-02"})
	mtMove(t, env, token, leftEnrolment, "withdrawn", "2026-03-20", "reason", "moved away")
	never := mtParticipant(t, env, token, trust.ID, "Cyril", "Ambrose", "2007-07-07")
	for name, id := range map[string]string{"completed Work experience": placed, "withdrawn from Street Doctors": left, "no enrolment": never} {
		res := env.Do(t, http.MethodPost, "/v1/participants/"+id+"/peer-mentor", token, `{}`)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")
	}
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/participants/"+uuid.NewString()+"/peer-mentor", token, `{}`), http.StatusNotFound, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentors`); n != 2 {
		t.Errorf("%d mentors, want the 2 made", n)
	}

	// Erasing the participant wipes the mentor's copy too. The scan must see the data where it
	// is, or its silence afterwards proves nothing.
	needles := []string{given, family, email}
	found := personalDataIn(t, env, needles)
	for n, column := range map[string]string{given: "given_name", family: "family_name", email: "email"} {
		for _, table := range []string{"participants", "mentors"} {
			if !slices.Contains(found[n], table+"."+column) {
				t.Errorf("before erasure the scan does not find %q in %s.%s (found %v)", n, table, column, found[n])
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	env.MustDelete(t, "/v1/participants/"+who, token)

	erased := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+m.ID, token)
	if erased.GivenName != nil || erased.FamilyName != nil || erased.Email != nil || erased.Active {
		t.Errorf("the peer mentor after the participant's erasure: %+v", erased)
	}
	if erased.Version <= m.Version || !erased.UpdatedAt.After(m.UpdatedAt) {
		t.Errorf("the mentor's erasure is not a change a syncing client sees: version %d, updated_at %v", erased.Version, erased.UpdatedAt)
	}
	mtWantList(t, env, token, "/v1/mentors", mtSince(inesMentor.UpdatedAt.Add(time.Microsecond)), m.ID)
	for n, places := range personalDataIn(t, env, needles) {
		t.Errorf("after erasure %q is still in %v", n, places)
	}
	// The other peer mentor is untouched.
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+inesMentor.ID, token); mtDeref(got.GivenName) != "Ines" || !got.Active {
		t.Errorf("erasing one participant changed another's mentor record: %+v", got)
	}

	// An erased participant's mentor record mentors no one; an erased participant is no peer mentor.
	other := mtParticipant(t, env, token, trust.ID, "Tobias", "Lindqvist", "2009-09-09")
	res = env.Do(t, http.MethodPost, "/v1/mentoring-matches", token, mtMatchBody(t, m.ID, other, "", "2026-09-01", "2026-12-01"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "mentor_id")
	res = env.Do(t, http.MethodPost, peerMentor, token, `{}`)
	if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusConflict {
		t.Errorf("peer mentor of an erased participant: %d %s", res.Status, res.Body)
	}
}

func TestMatchRules(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Westmarsh NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	kemi := mtParticipant(t, env, token, trust.ID, "Kemi", "Adeyemi", "2005-04-04")
	luca := mtParticipant(t, env, token, trust.ID, "Luca", "Moretti", "2004-02-02")
	cohort := mtCohort(t, env, token, trust.ID, mtWorkExperience, "Work experience January 2027", "2027-01-04", "2027-01-29")
	kemiEnrolment := mtEnrol(t, env, token, cohort, kemi, "2026-12-14", [2]string{"enrolled", "2027-01-04"})
	lucaEnrolment := mtEnrol(t, env, token, cohort, luca, "2026-12-14")
	pro := mtMentor(t, env, token, trust.ID, "professional", "Grace", "Achebe")
	peer := mtMentor(t, env, token, trust.ID, "peer", "Dev", "Patel")
	idle := mtMentor(t, env, token, trust.ID, "professional", "Ivan", "Idle")
	apitest.MustPatch[mentorDoc](t, env, "/v1/mentors/"+idle.ID, token, `{"active":false}`)
	gone := mtMentor(t, env, token, trust.ID, "professional", "Gwen", "Gone")
	env.MustDelete(t, "/v1/mentors/"+gone.ID, token)
	const path = "/v1/mentoring-matches"
	post := func(body string) apitest.Response { return env.Do(t, http.MethodPost, path, token, body) }

	// Professional online mentoring lasts at most six months.
	apitest.WantProblem(t, post(mtMatchBody(t, pro.ID, kemi, "", "2027-01-15", "2027-08-15")), http.StatusUnprocessableEntity, "planned_end_on")
	apitest.WantProblem(t, post(mtMatchBody(t, pro.ID, kemi, "", "2027-01-15", "2027-07-16")), http.StatusUnprocessableEntity, "planned_end_on")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentoring_matches`); n != 0 {
		t.Fatalf("%d matches after refused creates", n)
	}
	m := apitest.MustPost[matchDoc](t, env, path, token, mtMatchBody(t, pro.ID, kemi, kemiEnrolment, "2027-01-15", "2027-07-15"))
	if m.OrganisationID != trust.ID.String() || m.MentorID != pro.ID || m.ParticipantID != kemi || mtDeref(m.EnrolmentID) != kemiEnrolment ||
		m.StartsOn != "2027-01-15" || m.PlannedEndOn != "2027-07-15" || m.Status != "active" || m.EndedOn != nil || m.EndReason != nil ||
		m.Deleted || m.Version != 1 {
		t.Errorf("created: %+v", m)
	}
	if got := apitest.MustGet[matchDoc](t, env, path+"/"+m.ID, token); !reflect.DeepEqual(got, m) {
		t.Errorf("GET = %+v, want %+v", got, m)
	}

	// A peer mentor has no such limit.
	long := apitest.MustPost[matchDoc](t, env, path, token, mtMatchBody(t, peer.ID, luca, "", "2027-01-15", "2028-01-15"))
	if long.EnrolmentID != nil || long.Status != "active" {
		t.Errorf("created: %+v", long)
	}
	apitest.WantProblem(t, post(mtMatchBody(t, peer.ID, luca, "", "2027-01-15", "2027-01-14")), http.StatusUnprocessableEntity, "planned_end_on")

	// Only an active mentor within reach is matched.
	for name, mentor := range map[string]string{"inactive": idle.ID, "deleted": gone.ID, "unknown": uuid.NewString()} {
		res := post(mtMatchBody(t, mentor, kemi, "", "2027-02-01", "2027-03-01"))
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s mentor: %d %s", name, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "mentor_id")
	}
	apitest.WantProblem(t, post(mtMatchBody(t, pro.ID, uuid.NewString(), "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "participant_id")

	// The enrolment must be the participant's own.
	for name, enrolment := range map[string]string{"another participant's": lucaEnrolment, "unknown": uuid.NewString()} {
		res := post(mtMatchBody(t, pro.ID, kemi, enrolment, "2027-02-01", "2027-03-01"))
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s enrolment: %d %s", name, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "enrolment_id")
	}
	// The body is the contract's.
	apitest.WantProblem(t, post(`{"mentor_id":"`+pro.ID+`","participant_id":"`+kemi+`","starts_on":"2027-01-15","planned_end_on":"2027-02-15","status":"completed"}`),
		http.StatusBadRequest, "status")

	apitest.WantProblem(t, post(`{"mentor_id":"`+pro.ID+`","participant_id":"`+kemi+`","starts_on":"2027-01-15"}`), http.StatusBadRequest, "planned_end_on")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentoring_matches`); n != 2 {
		t.Errorf("%d matches, want the 2 made", n)
	}

	// Lists and their filters.
	mtWantList(t, env, token, path, nil, m.ID, long.ID)
	mtWantList(t, env, token, path, url.Values{"mentor_id": {pro.ID}}, m.ID)
	mtWantList(t, env, token, path, url.Values{"participant_id": {luca}}, long.ID)
	mtWantList(t, env, token, path, url.Values{"status": {"active"}}, m.ID, long.ID)
	mtWantList(t, env, token, path, url.Values{"status": {"ended_early"}})
	mtWantList(t, env, token, path, url.Values{"mentor_id": {pro.ID}, "participant_id": {luca}})

	// A change is checked as a create is.
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"planned_end_on":"2027-07-16"}`), http.StatusUnprocessableEntity, "planned_end_on")
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"planned_end_on":"2027-01-14"}`), http.StatusUnprocessableEntity, "planned_end_on")
	// Ending early needs a reason.
	res := env.Patch(t, path+"/"+m.ID, token, `{"status":"ended_early","ended_on":"2027-03-01"}`)
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "end_reason")
	if got := apitest.MustGet[matchDoc](t, env, path+"/"+m.ID, token); got.Version != 1 || got.Status != "active" || got.EndedOn != nil {
		t.Errorf("a refused PATCH changed the match: %+v", got)
	}
	ended := apitest.MustPatch[matchDoc](t, env, path+"/"+m.ID, token,
		`{"status":"ended_early","ended_on":"2027-03-01","end_reason":"Started full-time work"}`, "If-Match", `"1"`)

	if ended.Status != "ended_early" || mtDeref(ended.EndedOn) != "2027-03-01" || mtDeref(ended.EndReason) != "Started full-time work" ||
		ended.Version != 2 || ended.PlannedEndOn != "2027-07-15" {
		t.Errorf("ended early: %+v", ended)
	}
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"status":"completed"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	mtWantList(t, env, token, path, url.Values{"status": {"ended_early"}}, m.ID)
	mtWantList(t, env, token, path, url.Values{"status": {"active"}}, long.ID)
	// A reason cannot then be taken away from a match that ended early.
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"end_reason":null}`), http.StatusUnprocessableEntity, "end_reason")

	// Tombstones.
	env.MustDelete(t, path+"/"+long.ID, token)
	mtWantList(t, env, token, path, nil, m.ID)
	mtTombstone(t, env, token, path, url.Values{"include_deleted": {"true"}}, long.ID)
	mtTombstone(t, env, token, path, mtSince(long.UpdatedAt), long.ID)
	apitest.WantProblem(t, env.Patch(t, path+"/"+long.ID, token, `{"status":"completed"}`), http.StatusConflict, "")
}

func TestCheckInsOfAMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ravensworth NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	who := mtParticipant(t, env, token, trust.ID, "Nadia", "Rahman", "2003-03-03")
	mentor := mtMentor(t, env, token, trust.ID, "professional", "Hugh", "Barrow")
	m := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", token, mtMatchBody(t, mentor.ID, who, "", "2027-01-15", "2027-07-15"))
	other := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", token, mtMatchBody(t, mentor.ID, who, "", "2027-02-01", "2027-04-01"))
	path := "/v1/mentoring-matches/" + m.ID + "/check-ins"

	create := func(body string) checkInDoc {
		t.Helper()
		res := env.Do(t, http.MethodPost, path, token, body)
		if res.Status != http.StatusCreated {
			t.Fatalf("check-in %s: %d %s", body, res.Status, res.Body)
		}
		if res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") == "" {
			t.Errorf("check-in: ETag %q, Location %q", res.Header.Get("ETag"), res.Header.Get("Location"))
		}
		var c checkInDoc
		res.Decode(t, &c)
		return c
	}
	first := create(`{"held_on":"2027-01-15","minutes":45,"mode":"video"}`) // the day the match starts counts
	if first.MatchID != m.ID || first.OrganisationID != trust.ID.String() || first.HeldOn != "2027-01-15" || first.Minutes != 45 ||
		first.Mode != "video" || first.Version != 1 {
		t.Errorf("check-in: %+v", first)
	}
	second := create(`{"held_on":"2027-02-12","minutes":30,"mode":"phone"}`)

	// Not before the match starts.
	res := env.Do(t, http.MethodPost, path, token, `{"held_on":"2027-01-14","minutes":30,"mode":"phone"}`)
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "held_on")
	// The contract's bounds.
	for field, body := range map[string]string{
		"minutes": `{"held_on":"2027-02-01","minutes":0,"mode":"phone"}`,
		"mode":    `{"held_on":"2027-02-01","minutes":30,"mode":"carrier_pigeon"}`,
	} {
		apitest.WantProblem(t, env.Do(t, http.MethodPost, path, token, body), http.StatusBadRequest, field)
	}

	var page struct {
		Data []checkInDoc `json:"data"`
	}
	res = env.Do(t, http.MethodGet, path, token, "")
	if res.Status != http.StatusOK {
		t.Fatalf("list check-ins: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &page)
	if len(page.Data) != 2 || page.Data[0] != first || page.Data[1] != second {
		t.Errorf("check-ins = %+v, want %+v then %+v", page.Data, first, second)
	}
	// Check-ins belong to their match.
	if got := apitest.FirstPage[listedRow](t, env, "/v1/mentoring-matches/"+other.ID+"/check-ins", token, nil); len(got) != 0 {
		t.Errorf("another match lists %v", mtIDs(got))
	}
	missing := "/v1/mentoring-matches/" + uuid.NewString() + "/check-ins"
	apitest.WantProblem(t, env.Do(t, http.MethodGet, missing, token, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, missing, token, `{"held_on":"2027-02-01","minutes":30,"mode":"phone"}`), http.StatusNotFound, "")

	// A deleted match takes no more check-ins.
	env.MustDelete(t, "/v1/mentoring-matches/"+m.ID, token)
	res = env.Do(t, http.MethodPost, path, token, `{"held_on":"2027-03-01","minutes":20,"mode":"online"}`)
	apitest.WantProblem(t, res, http.StatusConflict, "")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM check_ins`); n != 2 {
		t.Errorf("%d check-ins, want 2", n)
	}
}

func TestVacanciesAndInterviews(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Oakhurst NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	org := trust.ID.String()
	getStarted := mtCohort(t, env, token, trust.ID, mtGetStarted, "Get Started March 2027", "2027-03-01", "2027-03-03")
	amara := mtParticipant(t, env, token, trust.ID, "Amara", "Diallo", "2005-06-06")
	jonah := mtParticipant(t, env, token, trust.ID, "Jonah", "Whitlock", "2003-09-09")
	amaraEnrolment := mtEnrol(t, env, token, getStarted, amara, "2027-02-15", [2]string{"enrolled", "2027-02-22"})
	jonahEnrolment := mtEnrol(t, env, token, getStarted, jonah, "2027-02-15", [2]string{"enrolled", "2027-02-22"})

	const vacancies, interviews = "/v1/vacancies", "/v1/interviews"
	porter := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst Estates and Facilities",
		"role", "Porter", "band", "Band 2", "closing_on", "2027-03-31"))

	if porter.Status != "open" || porter.OrganisationID != org || porter.EmployerName != "Oakhurst Estates and Facilities" ||
		porter.Role != "Porter" || mtDeref(porter.Band) != "Band 2" || porter.ClosingOn != "2027-03-31" || porter.EmployerOrganisationID != nil ||
		porter.Deleted || porter.Version != 1 {
		t.Errorf("created: %+v", porter)
	}
	lab := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst Pathology",
		"role", "Laboratory support worker", "closing_on", "2027-02-15"))

	hcsw := apitest.MustPost[vacancyDoc](t, env, vacancies, token, apitest.JSON(t, "organisation_id", org, "employer_name", "Oakhurst NHS Trust",
		"employer_organisation_id", org, "role", "Healthcare support worker", "band", "Band 3", "closing_on", "2027-04-30"))

	if lab.Band != nil || mtDeref(hcsw.EmployerOrganisationID) != org {
		t.Errorf("created: %+v, %+v", lab, hcsw)
	}
	if got := apitest.MustGet[vacancyDoc](t, env, vacancies+"/"+porter.ID, token); !reflect.DeepEqual(got, porter) {
		t.Errorf("GET = %+v, want %+v", got, porter)
	}
	closed := apitest.MustPatch[vacancyDoc](t, env, vacancies+"/"+lab.ID, token, `{"status":"closed"}`, "If-Match", `"1"`)
	if closed.Status != "closed" || closed.Version != 2 {
		t.Errorf("closed: %+v", closed)
	}
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"filled"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"paused"}`), http.StatusBadRequest, "status")

	mtWantList(t, env, token, vacancies, nil, porter.ID, lab.ID, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"status": {"open"}}, porter.ID, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"status": {"closed"}}, lab.ID)
	mtWantList(t, env, token, vacancies, url.Values{"status": {"filled"}})
	mtWantList(t, env, token, vacancies, url.Values{"closing_after": {"2027-01-01"}}, porter.ID, lab.ID, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"closing_after": {"2027-03-01"}}, porter.ID, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"closing_after": {"2027-04-01"}}, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"closing_after": {"2027-05-01"}})
	mtWantList(t, env, token, vacancies, url.Values{"status": {"open"}, "closing_after": {"2027-04-01"}}, hcsw.ID)
	apitest.WantProblem(t, env.Do(t, http.MethodGet, vacancies+"?closing_after=soon", token, ""), http.StatusBadRequest, "closing_after")

	// Interviews for two participants.
	interview := func(kv ...any) interviewDoc {
		t.Helper()
		return apitest.MustPost[interviewDoc](t, env, interviews, token, apitest.JSON(t, kv...))
	}
	amaraPorter := interview("vacancy_id", porter.ID, "participant_id", amara, "enrolment_id", amaraEnrolment, "held_on", "2027-03-03")
	if amaraPorter.Result != "pending" || amaraPorter.OrganisationID != org || amaraPorter.VacancyID != porter.ID ||
		amaraPorter.ParticipantID != amara || mtDeref(amaraPorter.EnrolmentID) != amaraEnrolment || amaraPorter.HeldOn != "2027-03-03" ||
		amaraPorter.Deleted || amaraPorter.Version != 1 {
		t.Errorf("created: %+v", amaraPorter)
	}
	jonahPorter := interview("vacancy_id", porter.ID, "participant_id", jonah, "enrolment_id", jonahEnrolment, "held_on", "2027-03-03")
	amaraHCSW := interview("vacancy_id", hcsw.ID, "participant_id", amara, "held_on", "2027-03-02")
	if amaraHCSW.EnrolmentID != nil || amaraHCSW.Result != "pending" {
		t.Errorf("created: %+v", amaraHCSW)
	}

	offered := apitest.MustPatch[interviewDoc](t, env, interviews+"/"+amaraPorter.ID, token, `{"result":"offered"}`, "If-Match", `"1"`)
	if offered.Result != "offered" || offered.Version != 2 || offered.HeldOn != "2027-03-03" {
		t.Errorf("offered: %+v", offered)
	}
	notOffered := apitest.MustPatch[interviewDoc](t, env, interviews+"/"+jonahPorter.ID, token, `{"result":"not_offered"}`)
	if notOffered.Result != "not_offered" || notOffered.Version != 2 {
		t.Errorf("not offered: %+v", notOffered)
	}
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraPorter.ID, token, `{"result":"withdrawn"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraPorter.ID, token, `{"vacancy_id":"`+hcsw.ID+`"}`), http.StatusBadRequest, "vacancy_id")
	if got := apitest.MustGet[interviewDoc](t, env, interviews+"/"+amaraPorter.ID, token); !reflect.DeepEqual(got, offered) {
		t.Errorf("GET after refused patches = %+v, want %+v", got, offered)
	}

	mtWantList(t, env, token, interviews, nil, amaraPorter.ID, jonahPorter.ID, amaraHCSW.ID)
	mtWantList(t, env, token, interviews, url.Values{"vacancy_id": {porter.ID}}, amaraPorter.ID, jonahPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"vacancy_id": {hcsw.ID}}, amaraHCSW.ID)
	mtWantList(t, env, token, interviews, url.Values{"vacancy_id": {lab.ID}})
	mtWantList(t, env, token, interviews, url.Values{"participant_id": {amara}}, amaraPorter.ID, amaraHCSW.ID)
	mtWantList(t, env, token, interviews, url.Values{"participant_id": {jonah}}, jonahPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"result": {"offered"}}, amaraPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"result": {"not_offered"}}, jonahPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"result": {"pending"}}, amaraHCSW.ID)
	mtWantList(t, env, token, interviews, url.Values{"result": {"withdrawn"}})
	mtWantList(t, env, token, interviews, url.Values{"vacancy_id": {porter.ID}, "result": {"offered"}}, amaraPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"participant_id": {jonah}, "result": {"offered"}})

	// What an interview refers to must exist, be the participant's own, and be within reach.
	post := func(body string) apitest.Response { return env.Do(t, http.MethodPost, interviews, token, body) }
	res := post(apitest.JSON(t, "vacancy_id", porter.ID, "participant_id", jonah, "enrolment_id", amaraEnrolment, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "enrolment_id")
	res = post(apitest.JSON(t, "vacancy_id", uuid.NewString(), "participant_id", jonah, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "vacancy_id")
	res = post(apitest.JSON(t, "vacancy_id", porter.ID, "participant_id", uuid.NewString(), "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "participant_id")

	// A deleted vacancy: no new interviews, no changes, a tombstone in the lists.
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, vacancies+"/"+lab.ID, token, "", "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	env.MustDelete(t, vacancies+"/"+lab.ID, token, "If-Match", `"2"`)
	res = post(apitest.JSON(t, "vacancy_id", lab.ID, "participant_id", jonah, "held_on", "2027-03-03"))
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "vacancy_id")
	apitest.WantProblem(t, env.Patch(t, vacancies+"/"+lab.ID, token, `{"status":"open"}`), http.StatusConflict, "")
	mtWantList(t, env, token, vacancies, nil, porter.ID, hcsw.ID)
	mtWantList(t, env, token, vacancies, url.Values{"status": {"closed"}})
	mtTombstone(t, env, token, vacancies, url.Values{"include_deleted": {"true"}}, lab.ID)
	mtWantList(t, env, token, vacancies, url.Values{"status": {"closed"}, "include_deleted": {"true"}}, lab.ID)
	mtTombstone(t, env, token, vacancies, mtSince(closed.UpdatedAt), lab.ID)
	if n := env.MustQueryInt(t, `SELECT count(*) FROM interviews`); n != 3 {
		t.Errorf("%d interviews, want 3", n)
	}

	// A deleted interview.
	env.MustDelete(t, interviews+"/"+amaraHCSW.ID, token)
	mtWantList(t, env, token, interviews, url.Values{"participant_id": {amara}}, amaraPorter.ID)
	mtWantList(t, env, token, interviews, url.Values{"result": {"pending"}})
	mtTombstone(t, env, token, interviews, url.Values{"participant_id": {amara}, "include_deleted": {"true"}}, amaraHCSW.ID)
	mtTombstone(t, env, token, interviews, mtSince(amaraHCSW.UpdatedAt), amaraHCSW.ID)
	apitest.WantProblem(t, env.Patch(t, interviews+"/"+amaraHCSW.ID, token, `{"result":"offered"}`), http.StatusConflict, "")
}

func TestTimelineOfAParticipant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fenbridge NHS Trust")
	other := env.Organisation(t, domain.KindTrust, "Harrowgate NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	outsider := env.User(t, other.ID, domain.RoleCoordinator)
	org := trust.ID.String()

	who := mtParticipant(t, env, token, trust.ID, "Oluwaseun", "Baptiste", "2007-10-10")
	cohort := mtCohort(t, env, token, trust.ID, mtWorkExperience, "Work experience January 2027", "2027-01-04", "2027-01-29")
	enrolment := mtEnrol(t, env, token, cohort, who, "2026-12-14", [2]string{"enrolled", "2027-01-04"})

	// Recorded out of date order, and dated so that neither the order of recording nor the
	// order of the kinds of record is the order of the dates.
	type created struct {
		ID string `json:"id"`
	}
	outcome := apitest.MustPost[created](t, env, "/v1/outcomes", token, apitest.JSON(t, "participant_id", who, "enrolment_id", enrolment,
		"destination", "employment", "sector", "nhs", "ilr_code", "EMP1", "starts_on", "2027-02-15")).ID
	vacancy := apitest.MustPost[created](t, env, "/v1/vacancies", token, apitest.JSON(t, "organisation_id", org, "employer_name", "Fenbridge Estates",
		"role", "Porter", "closing_on", "2027-01-31")).ID
	interview := apitest.MustPost[created](t, env, "/v1/interviews", token, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", who,
		"held_on", "2027-01-08")).ID
	mentor := mtMentor(t, env, token, trust.ID, "professional", "Hugh", "Barrow")
	match := apitest.MustPost[created](t, env, "/v1/mentoring-matches", token, mtMatchBody(t, mentor.ID, who, enrolment, "2027-01-05", "2027-04-05")).ID
	placement := apitest.MustPost[created](t, env, "/v1/placements", token, apitest.JSON(t, "enrolment_id", enrolment, "kind", "work_experience",
		"host_department", "Estates", "role_area", "estates", "starts_on", "2027-01-11", "ends_on", "2027-01-22")).ID
	mtMove(t, env, token, enrolment, "active", "2027-01-06")
	mtMove(t, env, token, enrolment, "completed", "2027-01-29")
	// Someone else's records stay off this timeline.
	bystander := mtParticipant(t, env, token, trust.ID, "Bea", "Stander", "2006-06-06")
	mtEnrol(t, env, token, cohort, bystander, "2026-12-01", [2]string{"enrolled", "2027-01-04"})
	apitest.MustPost[created](t, env, "/v1/interviews", token, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", bystander, "held_on", "2027-01-20"))

	path := "/v1/participants/" + who + "/timeline"
	res := env.Do(t, http.MethodGet, path, token, "")
	if res.Status != http.StatusOK {
		t.Fatalf("timeline: %d %s", res.Status, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var tl timelineDoc
	res.Decode(t, &tl)
	if tl.ParticipantID != who {
		t.Errorf("participant_id %s, want %s", tl.ParticipantID, who)
	}
	want := []struct{ on, kind, resourceType, id string }{
		{"2026-12-14", "enrolment.referred", "enrolment", enrolment},
		{"2027-01-04", "enrolment.enrolled", "enrolment", enrolment},
		{"2027-01-05", "mentoring_match", "mentoring_match", match},
		{"2027-01-06", "enrolment.active", "enrolment", enrolment},
		{"2027-01-08", "interview", "interview", interview},
		{"2027-01-11", "placement", "placement", placement},
		{"2027-01-29", "enrolment.completed", "enrolment", enrolment},
		{"2027-02-15", "outcome", "outcome", outcome},
	}
	if len(tl.Events) != len(want) {
		t.Fatalf("%d events, want %d: %s", len(tl.Events), len(want), res.Body)
	}
	for i, e := range tl.Events {
		w := want[i]
		if e.On != w.on || e.Kind != w.kind || e.ResourceType != w.resourceType || e.ResourceID != w.id {
			t.Errorf("event %d = %s %s %s %s, want %s %s %s %s", i, e.On, e.Kind, e.ResourceType, e.ResourceID, w.on, w.kind, w.resourceType, w.id)
		}
		if e.Summary == "" {
			t.Errorf("event %d has no summary", i)
		}
		if i > 0 && e.On < tl.Events[i-1].On {
			t.Errorf("event %d on %s comes after one on %s", i, e.On, tl.Events[i-1].On)
		}
	}

	// A deleted record leaves the timeline.
	env.MustDelete(t, "/v1/interviews/"+interview, token)
	var after timelineDoc
	res = env.Do(t, http.MethodGet, path, token, "")
	res.Decode(t, &after)
	for _, e := range after.Events {
		if e.ResourceID == interview {
			t.Errorf("the deleted interview is still on the timeline: %+v", e)
		}
	}
	if len(after.Events) != len(want)-1 {
		t.Errorf("%d events after deleting the interview, want %d", len(after.Events), len(want)-1)
	}

	// An unknown participant and another trust's look the same: not found.
	missing := env.Do(t, http.MethodGet, "/v1/participants/"+uuid.NewString()+"/timeline", token, "")
	foreign := env.Do(t, http.MethodGet, path, outsider, "")
	mp, fp := apitest.WantProblem(t, missing, http.StatusNotFound, ""), apitest.WantProblem(t, foreign, http.StatusNotFound, "")
	if mp.Type != fp.Type || mp.Title != fp.Title || mp.Detail != fp.Detail {
		t.Errorf("another trust's participant answers %s, a missing one %s", foreign.Body, missing.Body)
	}
	if cc := foreign.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("404: Cache-Control %q", cc)
	}
}

// A collaboration records a vacancy of its own and an interview for it of a member trust's
// participant; the trust sees its participant, the interview, and so the timeline.
func TestTimelineWithAnInterviewForACollaborationsVacancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	collab := env.Organisation(t, domain.KindCollaboration, "Mersey Valley Collaboration")
	member := env.Organisation(t, domain.KindTrust, "Mersey Valley Acute NHS Trust")
	if err := env.Services.Organisations.AddMember(apitest.System(), collab.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	collabToken := env.User(t, collab.ID, domain.RoleCoordinator)
	memberToken := env.User(t, member.ID, domain.RoleCoordinator)
	who := mtParticipant(t, env, memberToken, member.ID, "Priyanka", "Lowe", "2004-04-14")
	type created struct {
		ID string `json:"id"`
	}
	vacancy := apitest.MustPost[created](t, env, "/v1/vacancies", collabToken, apitest.JSON(t, "organisation_id", collab.ID.String(),
		"employer_name", "Mersey Valley Collaboration bank", "role", "Ward clerk", "closing_on", "2027-03-31")).ID
	interview := apitest.MustPost[interviewDoc](t, env, "/v1/interviews", collabToken, apitest.JSON(t, "vacancy_id", vacancy, "participant_id", who,
		"held_on", "2027-03-02"))

	if interview.OrganisationID != member.ID.String() {
		t.Errorf("interview organisation_id %s, want the participant's %s", interview.OrganisationID, member.ID)
	}
	// The member trust sees the interview of its participant...
	mtWantList(t, env, memberToken, "/v1/interviews", url.Values{"participant_id": {who}}, interview.ID)
	// ...and so its participant's timeline must answer.
	res := env.Do(t, http.MethodGet, "/v1/participants/"+who+"/timeline", memberToken, "")
	if res.Status != http.StatusOK {
		t.Fatalf("regression: the member trust's timeline of its own participant answers %d (%s): service.Timeline.Of "+
			"(internal/service/timeline.go) fails the whole timeline when the interview's vacancy belongs to an organisation "+
			"the caller cannot see", res.Status, res.Body)
	}
	var tl timelineDoc
	res.Decode(t, &tl)
	if len(tl.Events) != 1 || tl.Events[0].ResourceID != interview.ID {
		t.Errorf("timeline %s, want the interview", res.Body)
	}
}

func TestMentoringTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trustA := env.Organisation(t, domain.KindTrust, "Ashdown NHS Foundation Trust")
	trustB := env.Organisation(t, domain.KindTrust, "Brookfield NHS Trust")
	tokenA := env.User(t, trustA.ID, domain.RoleCoordinator)
	tokenB := env.User(t, trustB.ID, domain.RoleCoordinator)

	pA := mtParticipant(t, env, tokenA, trustA.ID, "Hidden", "Person", "2004-01-01")
	mentorA := mtMentor(t, env, tokenA, trustA.ID, "professional", "Mentor", "OfA")
	matchA := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", tokenA, mtMatchBody(t, mentorA.ID, pA, "", "2027-01-15", "2027-04-15"))
	res := env.Do(t, http.MethodPost, "/v1/mentoring-matches/"+matchA.ID+"/check-ins", tokenA, `{"held_on":"2027-01-20","minutes":30,"mode":"video"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("check-in: %d %s", res.Status, res.Body)
	}
	vacancyA := apitest.MustPost[vacancyDoc](t, env, "/v1/vacancies", tokenA, apitest.JSON(t, "organisation_id", trustA.ID.String(),
		"employer_name", "Ashdown Estates", "role", "Porter", "closing_on", "2027-02-01"))

	interviewA := apitest.MustPost[interviewDoc](t, env, "/v1/interviews", tokenA, apitest.JSON(t, "vacancy_id", vacancyA.ID, "participant_id", pA,
		"held_on", "2027-01-25"))

	pB := mtParticipant(t, env, tokenB, trustB.ID, "Own", "Participant", "2004-02-02")
	mentorB := mtMentor(t, env, tokenB, trustB.ID, "professional", "Mentor", "OfB")
	vacancyB := apitest.MustPost[vacancyDoc](t, env, "/v1/vacancies", tokenB, apitest.JSON(t, "organisation_id", trustB.ID.String(),
		"employer_name", "Brookfield Estates", "role", "Porter", "closing_on", "2027-02-01"))

	// Trust A's records and ids that do not exist look the same to trust B.
	for _, p := range []struct{ theirs, missing string }{
		{"/v1/mentors/" + mentorA.ID, "/v1/mentors/" + uuid.NewString()},
		{"/v1/mentoring-matches/" + matchA.ID, "/v1/mentoring-matches/" + uuid.NewString()},
		{"/v1/mentoring-matches/" + matchA.ID + "/check-ins", "/v1/mentoring-matches/" + uuid.NewString() + "/check-ins"},
		{"/v1/vacancies/" + vacancyA.ID, "/v1/vacancies/" + uuid.NewString()},
		{"/v1/interviews/" + interviewA.ID, "/v1/interviews/" + uuid.NewString()},
		{"/v1/participants/" + pA + "/timeline", "/v1/participants/" + uuid.NewString() + "/timeline"},
	} {
		got, want := env.Do(t, http.MethodGet, p.theirs, tokenB, ""), env.Do(t, http.MethodGet, p.missing, tokenB, "")
		if got.Status != http.StatusNotFound || want.Status != http.StatusNotFound {
			t.Errorf("GET %s as trust B: %d (a missing one: %d) %s", p.theirs, got.Status, want.Status, got.Body)
			continue
		}
		gp, wp := got.Problem(t), want.Problem(t)
		if gp.Type != wp.Type || gp.Title != wp.Title || gp.Detail != wp.Detail {
			t.Errorf("GET %s: trust A's record answers %s, a missing one %s", p.theirs, got.Body, want.Body)
		}
	}

	// Trust B matches neither trust A's mentor nor trust A's participant.
	post := func(path, body string) apitest.Response { return env.Do(t, http.MethodPost, path, tokenB, body) }
	apitest.WantProblem(t, post("/v1/mentoring-matches", mtMatchBody(t, mentorA.ID, pB, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "mentor_id")
	apitest.WantProblem(t, post("/v1/mentoring-matches", mtMatchBody(t, mentorB.ID, pA, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "participant_id")
	apitest.WantProblem(t, post("/v1/mentoring-matches", mtMatchBody(t, mentorA.ID, pA, "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "")
	// Nor interviews trust A's participant, or for trust A's vacancy.
	apitest.WantProblem(t, post("/v1/interviews", apitest.JSON(t, "vacancy_id", vacancyA.ID, "participant_id", pB, "held_on", "2027-01-26")), http.StatusUnprocessableEntity, "vacancy_id")
	apitest.WantProblem(t, post("/v1/interviews", apitest.JSON(t, "vacancy_id", vacancyB.ID, "participant_id", pA, "held_on", "2027-01-26")), http.StatusUnprocessableEntity, "participant_id")
	// Nor records a check-in of trust A's match, nor makes a peer mentor of trust A's participant.
	apitest.WantProblem(t, post("/v1/mentoring-matches/"+matchA.ID+"/check-ins", `{"held_on":"2027-01-27","minutes":5,"mode":"phone"}`), http.StatusNotFound, "")
	apitest.WantProblem(t, post("/v1/participants/"+pA+"/peer-mentor", `{}`), http.StatusNotFound, "")
	// Nor records a mentor or a vacancy for trust A.
	apitest.WantProblem(t, post("/v1/mentors", apitest.JSON(t, "organisation_id", trustA.ID.String(), "kind", "peer", "given_name", "X", "family_name", "Y")),
		http.StatusUnprocessableEntity, "organisation_id")

	apitest.WantProblem(t, post("/v1/vacancies", apitest.JSON(t, "organisation_id", trustA.ID.String(), "employer_name", "X", "role", "Y", "closing_on", "2027-02-01")),
		http.StatusUnprocessableEntity, "organisation_id")

	for table, want := range map[string]int{"mentoring_matches": 1, "interviews": 1, "check_ins": 1, "mentors": 2, "vacancies": 2} {
		if n := env.MustQueryInt(t, `SELECT count(*) FROM `+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}

	// Trust B's lists show none of trust A's records, whatever the filter asks for.
	for _, l := range []struct {
		path  string
		query url.Values
	}{
		{"/v1/mentors", url.Values{"include_deleted": {"true"}}},
		{"/v1/mentors", url.Values{"organisation_id": {trustA.ID.String()}}},
		{"/v1/mentoring-matches", url.Values{"participant_id": {pA}}},
		{"/v1/mentoring-matches", url.Values{"mentor_id": {mentorA.ID}}},
		{"/v1/vacancies", url.Values{"include_deleted": {"true"}}},
		{"/v1/interviews", url.Values{"vacancy_id": {vacancyA.ID}}},
		{"/v1/interviews", url.Values{"participant_id": {pA}}},
	} {
		for _, id := range mtIDs(apitest.FirstPage[listedRow](t, env, l.path, tokenB, l.query)) {
			if id == mentorA.ID || id == matchA.ID || id == vacancyA.ID || id == interviewA.ID {
				t.Errorf("trust B's GET %s?%s shows trust A's %s", l.path, l.query.Encode(), id)
			}
		}
	}
	if got := apitest.MustGet[mentorDoc](t, env, "/v1/mentors/"+mentorA.ID, tokenA); !reflect.DeepEqual(got, mentorA) {
		t.Errorf("trust A's mentor changed: %+v", got)
	}
}
