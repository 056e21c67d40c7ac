package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// awardDoc is a funding award as the API answers it.
type awardDoc struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisation_id"`
	ProgrammeID    string `json:"programme_id"`
	TenderRound    string `json:"tender_round"`
	Years          []struct {
		FinancialYear   string `json:"financial_year"`
		StartsOn        string `json:"starts_on"`
		EndsOn          string `json:"ends_on"`
		AmountPence     int64  `json:"amount_pence"`
		MinParticipants int    `json:"min_participants"`
	} `json:"years"`
	TotalPence int64 `json:"total_pence"`
	Deleted    bool  `json:"deleted"`
	Version    int64 `json:"version"`
}

var awardRounds atomic.Int64

// newTenderRound is a tender round no other award of a test has taken: one live award per
// recipient, programme and round.
func newTenderRound() string {
	y := 2100 + int(awardRounds.Add(1))%7800
	return fmt.Sprintf("%d/%02d", y, (y+1)%100)
}

// awardBody is a create body of an award to org for programme in round, with the three
// years' amounts (minimum participants 30, 25, 20).
func awardBody(t *testing.T, org, programme, round string, amounts ...int64) string {
	t.Helper()
	if len(amounts) == 0 {
		amounts = []int64{12_000_000, 9_000_000, 6_000_000}
	}
	years := make([]map[string]any, len(amounts))
	for i, a := range amounts {
		years[i] = map[string]any{"amount_pence": a, "min_participants": 30 - 5*i}
	}
	return apitest.JSON(t, "organisation_id", org, "programme_id", programme, "tender_round", round, "years", years)
}

// mustAward records an award to org for programme in a new tender round, as the national admin.
func mustAward(t *testing.T, env *apitest.Env, natAdmin, org, programme string) string {
	t.Helper()
	return env.MustCreate(t, "/v1/funding-awards", natAdmin, awardBody(t, org, programme, newTenderRound()))
}

func TestFundingAwardsAreWrittenNationallyAndReadByTheirRecipient(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Awarded NHS Trust")
	b := env.Organisation(t, domain.KindTrust, "Unfunded NHS Trust")
	aCoord, aAdmin := env.User(t, a.ID, domain.RoleCoordinator), env.User(t, a.ID, domain.RoleOrgAdmin)
	bAdmin := env.User(t, b.ID, domain.RoleOrgAdmin)

	body := awardBody(t, a.ID.String(), stepIntoWorkProgramme, "2024/25", 15_000_000, 10_000_000, 10_000_000)
	// A trust never writes an award, not even its own.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/funding-awards", aAdmin, body), http.StatusForbidden, "")
	res := env.Do(t, http.MethodPost, "/v1/funding-awards", nat, body, "Idempotency-Key", "award-"+apitest.Unique())
	apitest.WantStatus(t, res, http.StatusCreated)
	var award awardDoc
	res.Decode(t, &award)
	if res.Header.Get("Location") != "/v1/funding-awards/"+award.ID || res.Header.Get("ETag") != apitest.ETag(1) {
		t.Errorf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	if len(award.Years) != 3 || award.Years[0].FinancialYear != "2024/25" || award.Years[0].StartsOn != "2024-04-01" ||
		award.Years[2].FinancialYear != "2026/27" || award.Years[2].EndsOn != "2027-03-31" || award.Years[1].AmountPence != 10_000_000 ||
		award.Years[2].MinParticipants != 20 || award.TotalPence != 35_000_000 || award.Deleted {
		t.Errorf("award as created: %+v", award)
	}
	path := "/v1/funding-awards/" + award.ID

	// The recipient reads it; another trust cannot tell it exists.
	if got := apitest.MustGet[awardDoc](t, env, path, aCoord); got.ID != award.ID {
		t.Errorf("the recipient reads %+v", got)
	}
	if ids := awardIDs(t, env, "/v1/funding-awards", aCoord); len(ids) != 1 || ids[0] != award.ID {
		t.Errorf("the recipient lists %v", ids)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, path, bAdmin, ""), http.StatusNotFound, "")
	for _, q := range []string{"", "?organisation_id=" + a.ID.String(), "?serving_organisation_id=" + a.ID.String(), "?include_deleted=true"} {
		if ids := awardIDs(t, env, "/v1/funding-awards"+q, bAdmin); len(ids) != 0 {
			t.Errorf("another trust lists %v with %q", ids, q)
		}
	}
	for _, r := range []struct{ method, body string }{{http.MethodPatch, `{"tender_round":"2025/26"}`}, {http.MethodDelete, ""}} {
		res := env.Do(t, r.method, path, aAdmin, r.body, "Content-Type", "application/merge-patch+json")
		apitest.WantProblem(t, res, http.StatusForbidden, "")
	}

	// Amounts never rise: the year that rises is named, and nothing is written.
	rising := []struct {
		amounts []int64
		field   string
	}{{[]int64{100, 101, 50}, "years[1].amount_pence"}, {[]int64{100, 90, 95}, "years[2].amount_pence"}}
	for _, r := range rising {
		apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/funding-awards", nat,
			awardBody(t, a.ID.String(), stepIntoWorkProgramme, newTenderRound(), r.amounts...)), http.StatusUnprocessableEntity, r.field)
		res := env.Patch(t, path, nat, `{"years":[{"amount_pence":`+fmt.Sprint(r.amounts[0])+`,"min_participants":1},`+
			`{"amount_pence":`+fmt.Sprint(r.amounts[1])+`,"min_participants":1},{"amount_pence":`+fmt.Sprint(r.amounts[2])+`,"min_participants":1}]}`)
		apitest.WantProblem(t, res, http.StatusUnprocessableEntity, r.field)
	}
	if got := apitest.MustGet[awardDoc](t, env, path, nat); got.Version != 1 {
		t.Errorf("refused patches changed the award: %+v", got)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/funding-awards", nat,
		awardBody(t, a.ID.String(), stepIntoWorkProgramme, "2024/26")), http.StatusUnprocessableEntity, "tender_round")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/funding-awards", nat, body), http.StatusConflict, "tender_round")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/funding-awards", nat,
		awardBody(t, princesTrustOrg, stepIntoWorkProgramme, newTenderRound())), http.StatusUnprocessableEntity, "organisation_id")

	// Equal years are no rise; the patch is checked whole and versioned.
	got := apitest.MustPatch[awardDoc](t, env, path, nat, `{"years":[{"amount_pence":9000000,"min_participants":40},`+
		`{"amount_pence":9000000,"min_participants":40},{"amount_pence":5000000,"min_participants":30}]}`, "If-Match", apitest.ETag(1))
	if got.Version != 2 || got.TotalPence != 23_000_000 || got.Years[0].MinParticipants != 40 {
		t.Errorf("after the patch: %+v", got)
	}
	apitest.WantStatus(t, env.Patch(t, path, nat, `{"tender_round":"2025/26"}`, "If-Match", apitest.ETag(1)), http.StatusPreconditionFailed)

	// Deleting leaves a tombstone that a syncing recipient sees; the list otherwise leaves it out.
	env.MustDelete(t, path, nat)
	if ids := awardIDs(t, env, "/v1/funding-awards", aCoord); len(ids) != 0 {
		t.Errorf("a deleted award is listed: %v", ids)
	}
	var page struct{ Data []awardDoc }
	env.Do(t, http.MethodGet, "/v1/funding-awards?updated_since=2000-01-01T00:00:00Z", aCoord, "").Decode(t, &page)
	if len(page.Data) != 1 || !page.Data[0].Deleted {
		t.Errorf("the sync shows %+v, want the tombstone", page.Data)
	}
	apitest.WantStatus(t, env.Patch(t, path, nat, `{"tender_round":"2025/26"}`), http.StatusConflict)
	// The round is free again once the award recorded in error is gone.
	env.MustCreate(t, "/v1/funding-awards", nat, body)
}

// awardIDs lists the ids of the first page of path as token.
func awardIDs(t *testing.T, env *apitest.Env, path, token string) []string {
	t.Helper()
	var page struct{ Data []awardDoc }
	res := env.Do(t, http.MethodGet, path, token, "")
	apitest.WantStatus(t, res, http.StatusOK)
	res.Decode(t, &page)
	ids := make([]string, len(page.Data))
	for i, a := range page.Data {
		ids[i] = a.ID
	}
	return ids
}

func TestCollaborationMembersReadTheirCollaborationsAwards(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	member := env.Organisation(t, domain.KindTrust, "Member NHS Trust")
	outsider := env.Organisation(t, domain.KindTrust, "Outside NHS Trust")
	collab := env.Organisation(t, domain.KindCollaboration, "Bidding Collaboration")
	other := env.Organisation(t, domain.KindCollaboration, "Other Collaboration")
	for _, m := range []struct{ c, t domain.Organisation }{{collab, member}, {other, member}, {other, outsider}} {
		apitest.WantStatus(t, env.Do(t, http.MethodPut, "/v1/organisations/"+m.c.ID.String()+"/members/"+m.t.ID.String(), nat, ""), http.StatusNoContent)
	}
	collabAward := mustAward(t, env, nat, collab.ID.String(), stepIntoWorkProgramme)
	otherAward := mustAward(t, env, nat, other.ID.String(), stepIntoWorkProgramme)
	memberAward := mustAward(t, env, nat, member.ID.String(), workExperienceProgramme)
	outsiderAward := mustAward(t, env, nat, outsider.ID.String(), workExperienceProgramme)

	memberUser := env.User(t, member.ID, domain.RoleViewer)
	collabUser := env.User(t, collab.ID, domain.RoleCoordinator)
	outsiderUser := env.User(t, outsider.ID, domain.RoleCoordinator)

	cases := []struct {
		who, token       string
		sees, doesNotSee []string
	}{
		// A member trust reads its collaborations' awards and its own.
		{"member trust", memberUser, []string{collabAward, otherAward, memberAward}, []string{outsiderAward}},
		// The collaboration reads its own and its members' awards, never those of another
		// collaboration that one of its members also belongs to.
		{"collaboration", collabUser, []string{collabAward, memberAward}, []string{otherAward, outsiderAward}},
		{"outside trust", outsiderUser, []string{otherAward, outsiderAward}, []string{collabAward, memberAward}},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			listed := strings.Join(awardIDs(t, env, "/v1/funding-awards?include_deleted=true", c.token), " ")
			for _, id := range c.sees {
				apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/funding-awards/"+id, c.token, ""), http.StatusOK)
				if !strings.Contains(listed, id) {
					t.Errorf("%s is not listed: %s", id, listed)
				}
			}
			for _, id := range c.doesNotSee {
				apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/funding-awards/"+id, c.token, ""), http.StatusNotFound, "")
				if strings.Contains(listed, id) {
					t.Errorf("%s is listed: %s", id, listed)
				}
			}
		})
	}
	if ids := awardIDs(t, env, "/v1/funding-awards?serving_organisation_id="+member.ID.String()+"&programme_id="+stepIntoWorkProgramme, nat); len(ids) != 2 {
		t.Errorf("the awards a member's Step into Work cohort may be delivered under: %v, want its two collaborations'", ids)
	}
}

func TestCohortsAreDeliveredOnlyUnderAwardsTheirOrganisationMayUse(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	a := newTrustWorld(t, env, "Delivering NHS Trust")
	b := env.Organisation(t, domain.KindTrust, "Other NHS Trust")
	collab := env.Organisation(t, domain.KindCollaboration, "Delivering Collaboration")
	apitest.WantStatus(t, env.Do(t, http.MethodPut, "/v1/organisations/"+collab.ID.String()+"/members/"+a.trust.ID.String(), nat, ""), http.StatusNoContent)

	own := mustAward(t, env, nat, a.trust.ID.String(), workExperienceProgramme)
	ownOtherProgramme := mustAward(t, env, nat, a.trust.ID.String(), stepIntoWorkProgramme)
	collabs := mustAward(t, env, nat, collab.ID.String(), workExperienceProgramme)
	others := mustAward(t, env, nat, b.ID.String(), workExperienceProgramme)
	deleted := mustAward(t, env, nat, a.trust.ID.String(), workExperienceProgramme)
	env.MustDelete(t, "/v1/funding-awards/"+deleted, nat)

	create := func(award string) apitest.Response {
		return env.Do(t, http.MethodPost, "/v1/cohorts", a.token, cohortBody(t, a.trust.ID.String(), workExperienceProgramme,
			"2027-01-04", "2027-01-29", 20, "funding_award_id", award))
	}
	// Another trust's award, an award of another programme, a deleted one: all answer as an
	// award that does not exist, so none tells trust A what another trust receives.
	missing := create(uuid.NewString())
	want := apitest.WantProblem(t, missing, http.StatusUnprocessableEntity, "funding_award_id")
	for name, award := range map[string]string{"another trust's": others, "another programme's": ownOtherProgramme, "a deleted": deleted} {
		res := create(award)
		if p := apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "funding_award_id"); p.Message("funding_award_id") != want.Message("funding_award_id") {
			t.Errorf("%s award answers %s, a missing one %s", name, res.Body, missing.Body)
		}
	}
	if n := env.MustQueryInt(t, `SELECT count(*)::int FROM cohorts`); n != 0 {
		t.Fatalf("%d cohorts written by refused links", n)
	}

	for _, award := range []string{own, collabs} {
		c := apitest.CreatedID(t, create(award))
		var got struct {
			FundingAwardID *string `json:"funding_award_id"`
		}
		env.Do(t, http.MethodGet, "/v1/cohorts/"+c, a.token, "").Decode(t, &got)
		if got.FundingAwardID == nil || *got.FundingAwardID != award {
			t.Errorf("cohort %s is delivered under %v, want %s", c, got.FundingAwardID, award)
		}
	}
	// Relinking refuses another trust's award as a missing one; unlinking and linking anew work.
	c := a.cohort(t, "2027-02-01", "2027-02-26")
	apitest.WantProblem(t, env.Patch(t, "/v1/cohorts/"+c, a.token, `{"funding_award_id":"`+others+`"}`), http.StatusUnprocessableEntity, "funding_award_id")
	apitest.WantStatus(t, env.Patch(t, "/v1/cohorts/"+c, a.token, `{"funding_award_id":"`+own+`"}`), http.StatusOK)
	var page struct{ Data []struct{ ID string } }
	env.Do(t, http.MethodGet, "/v1/cohorts?funding_award_id="+own, a.token, "").Decode(t, &page)
	if len(page.Data) != 2 {
		t.Errorf("cohorts delivered under the award: %v, want 2", page.Data)
	}

	// An award cohorts are delivered under is not deleted.
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/funding-awards/"+own, nat, ""), http.StatusConflict)
	if got := apitest.MustGet[awardDoc](t, env, "/v1/funding-awards/"+own, nat); got.Deleted {
		t.Error("the award was deleted")
	}
}

func TestFundingAwardsExportAsCSVWithinReach(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	a := env.Organisation(t, domain.KindTrust, "Exporting NHS Trust")
	b := env.Organisation(t, domain.KindTrust, "Other NHS Trust")
	award := env.MustCreate(t, "/v1/funding-awards", nat, awardBody(t, a.ID.String(), stepIntoWorkProgramme, "2031/32", 900, 800, 700))
	mustAward(t, env, nat, b.ID.String(), stepIntoWorkProgramme)

	res := env.Do(t, http.MethodGet, "/v1/funding-awards", env.User(t, a.ID, domain.RoleViewer), "", "Accept", "text/csv")
	apitest.WantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	want := "id,organisation_id,programme_id,tender_round,year_1_financial_year,year_1_amount_pence,year_1_min_participants," +
		"year_2_financial_year,year_2_amount_pence,year_2_min_participants,year_3_financial_year,year_3_amount_pence,year_3_min_participants,total_pence,deleted\r\n" +
		award + "," + a.ID.String() + "," + stepIntoWorkProgramme + ",2031/32,2031/32,900,30,2032/33,800,25,2033/34,700,20,2400,false\r\n"
	if string(res.Body) != want {
		t.Errorf("the export:\n%s\nwant:\n%s", res.Body, want)
	}
}
