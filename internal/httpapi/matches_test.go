package httpapi_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// matchDoc is a mentoring match as the API sends it; a nil pointer is a JSON null.
type matchDoc struct {
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

// checkInDoc is a check-in of a match as the API sends it.
type checkInDoc struct {
	ID             string `json:"id"`
	MatchID        string `json:"match_id"`
	OrganisationID string `json:"organisation_id"`
	HeldOn         string `json:"held_on"`
	Minutes        int    `json:"minutes"`
	Mode           string `json:"mode"`
	Version        int64  `json:"version"`
}

// matchBody is a create body of a match; enrolment may be empty.
func matchBody(tb testing.TB, mentor, participant, enrolment, starts, plannedEnd string) string {
	tb.Helper()
	kv := []any{"mentor_id", mentor, "participant_id", participant, "starts_on", starts, "planned_end_on", plannedEnd}
	if enrolment != "" {
		kv = append(kv, "enrolment_id", enrolment)
	}
	return apitest.JSON(tb, kv...)
}

func TestMatchRules(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Westmarsh NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	kemi := mustParticipantNamed(t, env, token, trust.ID, "Kemi", "Adeyemi", "2005-04-04")
	luca := mustParticipantNamed(t, env, token, trust.ID, "Luca", "Moretti", "2004-02-02")
	cohort := mustCohortID(t, env, token, trust.ID, workExperienceProgramme, "Work experience January 2027", "2027-01-04", "2027-01-29")
	kemiEnrolment := mustEnrolThrough(t, env, token, cohort, kemi, "2026-12-14", [2]string{"enrolled", "2027-01-04"})
	lucaEnrolment := mustEnrolThrough(t, env, token, cohort, luca, "2026-12-14")
	pro := mustCreateMentor(t, env, token, trust.ID, "professional", "Grace", "Achebe")
	peer := mustCreateMentor(t, env, token, trust.ID, "peer", "Dev", "Patel")
	idle := mustCreateMentor(t, env, token, trust.ID, "professional", "Ivan", "Idle")
	apitest.MustPatch[mentorDoc](t, env, "/v1/mentors/"+idle.ID, token, `{"active":false}`)
	gone := mustCreateMentor(t, env, token, trust.ID, "professional", "Gwen", "Gone")
	env.MustDelete(t, "/v1/mentors/"+gone.ID, token)
	const path = "/v1/mentoring-matches"
	post := func(body string) apitest.Response { return env.Do(t, http.MethodPost, path, token, body) }

	// Professional online mentoring lasts at most six months.
	apitest.WantProblem(t, post(matchBody(t, pro.ID, kemi, "", "2027-01-15", "2027-08-15")), http.StatusUnprocessableEntity, "planned_end_on")
	apitest.WantProblem(t, post(matchBody(t, pro.ID, kemi, "", "2027-01-15", "2027-07-16")), http.StatusUnprocessableEntity, "planned_end_on")
	if n := env.MustQueryInt(t, `SELECT count(*) FROM mentoring_matches`); n != 0 {
		t.Fatalf("%d matches after refused creates", n)
	}
	m := apitest.MustPost[matchDoc](t, env, path, token, matchBody(t, pro.ID, kemi, kemiEnrolment, "2027-01-15", "2027-07-15"))
	if m.OrganisationID != trust.ID.String() || m.MentorID != pro.ID || m.ParticipantID != kemi || orNull(m.EnrolmentID) != kemiEnrolment ||
		m.StartsOn != "2027-01-15" || m.PlannedEndOn != "2027-07-15" || m.Status != "active" || m.EndedOn != nil || m.EndReason != nil ||
		m.Deleted || m.Version != 1 {
		t.Errorf("created: %+v", m)
	}
	if got := apitest.MustGet[matchDoc](t, env, path+"/"+m.ID, token); !reflect.DeepEqual(got, m) {
		t.Errorf("GET = %+v, want %+v", got, m)
	}

	// A peer mentor has no such limit.
	long := apitest.MustPost[matchDoc](t, env, path, token, matchBody(t, peer.ID, luca, "", "2027-01-15", "2028-01-15"))
	if long.EnrolmentID != nil || long.Status != "active" {
		t.Errorf("created: %+v", long)
	}
	apitest.WantProblem(t, post(matchBody(t, peer.ID, luca, "", "2027-01-15", "2027-01-14")), http.StatusUnprocessableEntity, "planned_end_on")

	// Only an active mentor within reach is matched.
	for name, mentor := range map[string]string{"inactive": idle.ID, "deleted": gone.ID, "unknown": uuid.NewString()} {
		res := post(matchBody(t, mentor, kemi, "", "2027-02-01", "2027-03-01"))
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s mentor: %d %s", name, res.Status, res.Body)
			continue
		}
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "mentor_id")
	}
	apitest.WantProblem(t, post(matchBody(t, pro.ID, uuid.NewString(), "", "2027-02-01", "2027-03-01")), http.StatusUnprocessableEntity, "participant_id")

	// The enrolment must be the participant's own.
	for name, enrolment := range map[string]string{"another participant's": lucaEnrolment, "unknown": uuid.NewString()} {
		res := post(matchBody(t, pro.ID, kemi, enrolment, "2027-02-01", "2027-03-01"))
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
	wantList(t, env, path, token, nil, m.ID, long.ID)
	wantList(t, env, path, token, url.Values{"mentor_id": {pro.ID}}, m.ID)
	wantList(t, env, path, token, url.Values{"participant_id": {luca}}, long.ID)
	wantList(t, env, path, token, url.Values{"status": {"active"}}, m.ID, long.ID)
	wantList(t, env, path, token, url.Values{"status": {"ended_early"}})
	wantList(t, env, path, token, url.Values{"mentor_id": {pro.ID}, "participant_id": {luca}})

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

	if ended.Status != "ended_early" || orNull(ended.EndedOn) != "2027-03-01" || orNull(ended.EndReason) != "Started full-time work" ||
		ended.Version != 2 || ended.PlannedEndOn != "2027-07-15" {
		t.Errorf("ended early: %+v", ended)
	}
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"status":"completed"}`, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
	wantList(t, env, path, token, url.Values{"status": {"ended_early"}}, m.ID)
	wantList(t, env, path, token, url.Values{"status": {"active"}}, long.ID)
	// A reason cannot then be taken away from a match that ended early.
	apitest.WantProblem(t, env.Patch(t, path+"/"+m.ID, token, `{"end_reason":null}`), http.StatusUnprocessableEntity, "end_reason")

	// Tombstones.
	env.MustDelete(t, path+"/"+long.ID, token)
	wantList(t, env, path, token, nil, m.ID)
	wantTombstone(t, env, path, token, url.Values{"include_deleted": {"true"}}, long.ID)
	wantTombstone(t, env, path, token, updatedSince(long.UpdatedAt), long.ID)
	apitest.WantProblem(t, env.Patch(t, path+"/"+long.ID, token, `{"status":"completed"}`), http.StatusConflict, "")
}

func TestCheckInsOfAMatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Ravensworth NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	who := mustParticipantNamed(t, env, token, trust.ID, "Nadia", "Rahman", "2003-03-03")
	mentor := mustCreateMentor(t, env, token, trust.ID, "professional", "Hugh", "Barrow")
	m := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", token, matchBody(t, mentor.ID, who, "", "2027-01-15", "2027-07-15"))
	other := apitest.MustPost[matchDoc](t, env, "/v1/mentoring-matches", token, matchBody(t, mentor.ID, who, "", "2027-02-01", "2027-04-01"))
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
		t.Errorf("another match lists %v", rowIDs(got))
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
