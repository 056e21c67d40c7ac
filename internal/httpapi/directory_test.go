package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// caseStudyDoc is a case study as the authenticated API answers it.
type caseStudyDoc struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	PublishedOn   *string `json:"published_on"`
	ParticipantID *string `json:"participant_id"`
	BodyHTML      string  `json:"body_html"`
	Version       int64   `json:"version"`
}

// caseStudyBody is a create body of a draft case study of org naming no one, with kv's fields
// added or replaced.
func caseStudyBody(t *testing.T, org string, kv ...any) string {
	t.Helper()
	return apitest.JSON(t, append([]any{"organisation_id", org, "programme_id", stepIntoWorkProgramme, "title", "A story " + apitest.Unique(),
		"summary", "From placement to post.", "body_markdown", "**Hired** after a placement."}, kv...)...)
}

// guidanceBody is a create body of guidance with one link to url.
func guidanceBody(t *testing.T, url string) string {
	t.Helper()
	return apitest.JSON(t, "title", "Interviews "+apitest.Unique(), "audience", "individuals", "topic", "interviews",
		"body_markdown", "Prepare **examples**.", "links", []map[string]string{{"title": "NHS Jobs", "url": url}})
}

// publicPage is a page of the public directories, its entries kept raw too.
type publicPage struct {
	Data []map[string]any `json:"data"`
}

func publicIDs(t *testing.T, env *apitest.Env, path string) []string {
	t.Helper()
	res := env.Do(t, http.MethodGet, path, "", "")
	apitest.WantStatus(t, res, http.StatusOK)
	var p publicPage
	res.Decode(t, &p)
	ids := make([]string, len(p.Data))
	for i, d := range p.Data {
		ids[i], _ = d["id"].(string)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCaseStudiesNeedConsentAndThePublicSeesOnlyWhatIsPublished walks a case study through its
// life: refused without the participant's consent, published with it, shown to the public with
// no trace of the participant, taken back to draft (audited) when the consent is withdrawn and
// unlinked when the participant is erased; another trust never sees it.
func TestCaseStudiesNeedConsentAndThePublicSeesOnlyWhatIsPublished(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust "+apitest.Unique())
	other := env.Organisation(t, domain.KindTrust, "Hillside NHS Trust "+apitest.Unique())
	coord, stranger := env.User(t, trust.ID, domain.RoleCoordinator), env.User(t, other.ID, domain.RoleOrgAdmin)
	given, family, email := "Zebedee"+apitest.Unique(), "Quartermain"+apitest.Unique(), "pers-"+apitest.Unique()+"@example.org"
	pid := env.MustCreate(t, "/v1/participants", coord, apitest.ParticipantBody(t, trust.ID, "given_name", given,
		"family_name", family, "email", email, "consent", map[string]bool{"processing": true}))

	body := func(kv ...any) string {
		return apitest.JSON(t, append([]any{"organisation_id", trust.ID.String(), "programme_id", stepIntoWorkProgramme,
			"title", "From Step into Work to porter", "summary", "A story of a placement.",
			"body_markdown", "**Hired** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"}, kv...)...)
	}
	// Naming a participant without their case-study consent is refused, naming the field.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/case-studies", coord, body("participant_id", pid, "status", "published")),
		http.StatusUnprocessableEntity, "participant_id")
	apitest.MustPatch[map[string]any](t, env, "/v1/participants/"+pid, coord, apitest.JSON(t, "consent", map[string]bool{"case_study": true}))
	published := apitest.MustPost[caseStudyDoc](t, env, "/v1/case-studies", coord, body("participant_id", pid, "status", "published"))
	if published.Status != "published" || published.PublishedOn == nil || *published.PublishedOn != apitest.Today() {
		t.Errorf("created as published: status %q, published_on %v", published.Status, published.PublishedOn)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(strings.ToLower(published.BodyHTML), bad) {
			t.Errorf("body_html %q holds %q", published.BodyHTML, bad)
		}
	}
	if !strings.Contains(published.BodyHTML, "<strong>Hired</strong>") {
		t.Errorf("body_html %q: the Markdown is not rendered", published.BodyHTML)
	}
	draft := env.MustCreate(t, "/v1/case-studies", coord, body("title", "Draft "+apitest.Unique()))

	// Another trust neither reads nor changes it, nor learns it exists.
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/case-studies/"+published.ID, stranger, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Patch(t, "/v1/case-studies/"+published.ID, stranger, `{"title":"Mine"}`), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/case-studies/"+published.ID+"/publish", stranger, ""), http.StatusNotFound, "")
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/case-studies/"+published.ID, "", ""), http.StatusUnauthorized, "")
	strangerIDs := apitest.FirstPage[caseStudyDoc](t, env, "/v1/case-studies", stranger, nil)
	if len(strangerIDs) != 0 {
		t.Errorf("another trust lists %d case studies", len(strangerIDs))
	}

	// The public, with no token and from any origin, sees the published one only, and nothing
	// that names, identifies or reaches the participant.
	res := env.Do(t, http.MethodGet, "/public/case-studies", "", "", "Origin", "https://directory.example")
	apitest.WantStatus(t, res, http.StatusOK)
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	page := string(res.Body)
	if !strings.Contains(page, published.ID) || strings.Contains(page, draft) {
		t.Errorf("the public list shows the published case study %v and the draft %v: %s",
			strings.Contains(page, published.ID), strings.Contains(page, draft), page)
	}
	html := env.Do(t, http.MethodGet, "/directory/case-studies", "", "")
	apitest.WantStatus(t, html, http.StatusOK)
	if ct := html.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/directory/case-studies: Content-Type %q", ct)
	}
	if !strings.Contains(string(html.Body), "From Step into Work to porter") || !strings.Contains(string(html.Body), trust.Name) ||
		strings.Contains(string(html.Body), "Draft ") || strings.Contains(strings.ToLower(string(html.Body)), "<script") {
		t.Errorf("/directory/case-studies shows the wrong entries or a script:\n%s", html.Body)
	}
	one := env.Do(t, http.MethodGet, "/public/case-studies/"+published.ID, "", "")
	apitest.WantStatus(t, one, http.StatusOK)
	for what, res := range map[string]apitest.Response{"list": res, "entry": one, "page": html} {
		for _, personal := range []string{pid, given, family, email, "participant"} {
			if strings.Contains(string(res.Body), personal) {
				t.Errorf("the public %s shows %q:\n%s", what, personal, res.Body)
			}
		}
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/public/case-studies/"+draft, "", ""), http.StatusNotFound, "")

	// Withdrawing the consent takes it back to draft, in the same request, audited.
	apitest.MustPatch[map[string]any](t, env, "/v1/participants/"+pid, coord, apitest.JSON(t, "consent", map[string]bool{"case_study": false}))
	got := apitest.MustGet[caseStudyDoc](t, env, "/v1/case-studies/"+published.ID, coord)
	if got.Status != "draft" || got.PublishedOn != nil {
		t.Errorf("after the consent was withdrawn: status %q, published_on %v", got.Status, got.PublishedOn)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE resource_id = $1 AND action = 'case_study.unpublish'`, published.ID); n != 1 {
		t.Errorf("%d case_study.unpublish audit events, want 1", n)
	}
	if contains(publicIDs(t, env, "/public/case-studies"), published.ID) {
		t.Error("the public still lists the case study after the consent was withdrawn")
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/public/case-studies/"+published.ID, "", ""), http.StatusNotFound, "")
	if page := env.Do(t, http.MethodGet, "/directory/case-studies", "", ""); strings.Contains(string(page.Body), "From Step into Work to porter") {
		t.Errorf("the public page still shows the case study after the consent was withdrawn:\n%s", page.Body)
	}
	// ...and it cannot be published again without the consent.
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/case-studies/"+published.ID+"/publish", coord, ""),
		http.StatusUnprocessableEntity, "participant_id")

	// With the consent given again it publishes; erasing the participant unpublishes it and
	// drops the link.
	apitest.MustPatch[map[string]any](t, env, "/v1/participants/"+pid, coord, apitest.JSON(t, "consent", map[string]bool{"case_study": true}))
	res = env.Do(t, http.MethodPost, "/v1/case-studies/"+published.ID+"/publish", coord, "")
	apitest.WantStatus(t, res, http.StatusOK)
	env.MustDelete(t, "/v1/participants/"+pid, coord)
	got = apitest.MustGet[caseStudyDoc](t, env, "/v1/case-studies/"+published.ID, coord)
	if got.Status != "draft" || got.ParticipantID != nil {
		t.Errorf("after erasure: status %q, participant_id %v", got.Status, got.ParticipantID)
	}
	if contains(publicIDs(t, env, "/public/case-studies"), published.ID) {
		t.Error("the public still lists the case study of an erased participant")
	}
}

// TestThePublicNeverSeesADeletedCaseStudy: a published case study, once deleted, leaves the
// public list, its entry and the public page at once, while its trust still syncs the tombstone.
func TestThePublicNeverSeesADeletedCaseStudy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside NHS Trust "+apitest.Unique())
	coord := env.User(t, trust.ID, domain.RoleCoordinator)
	title := "Deleted story " + apitest.Unique()
	kept := env.MustCreate(t, "/v1/case-studies", coord, caseStudyBody(t, trust.ID.String(), "status", "published"))
	gone := env.MustCreate(t, "/v1/case-studies", coord, caseStudyBody(t, trust.ID.String(), "status", "published", "title", title))
	if ids := publicIDs(t, env, "/public/case-studies"); !contains(ids, gone) || !contains(ids, kept) {
		t.Fatalf("the public list before deleting: %v", ids)
	}
	env.MustDelete(t, "/v1/case-studies/"+gone, coord)
	if ids := publicIDs(t, env, "/public/case-studies"); contains(ids, gone) || !contains(ids, kept) {
		t.Errorf("the public list after deleting: %v", ids)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/public/case-studies/"+gone, "", ""), http.StatusNotFound, "")
	if page := env.Do(t, http.MethodGet, "/directory/case-studies", "", ""); strings.Contains(string(page.Body), title) {
		t.Errorf("the public page shows the deleted case study:\n%s", page.Body)
	}
	if synced := apitest.FirstPage[caseStudyDoc](t, env, "/v1/case-studies", coord, url.Values{"include_deleted": {"true"}}); len(synced) != 2 {
		t.Errorf("the trust syncs %d case studies, want 2 (one a tombstone)", len(synced))
	}
}

// TestGuidanceIsWrittenNationallyAndReadByAnyone: only the national team writes guidance, its
// body is made safe, everyone signed in reads it, and the public reads the live entries.
func TestGuidanceIsWrittenNationallyAndReadByAnyone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	_, nat := env.NationalAdmin(t)
	trust := env.Organisation(t, domain.KindTrust, "Lakeside NHS Trust "+apitest.Unique())
	admin, viewer := env.User(t, trust.ID, domain.RoleOrgAdmin), env.User(t, trust.ID, domain.RoleViewer)
	title := "Guidance " + apitest.Unique()
	body := apitest.JSON(t, "title", title, "audience", "individuals", "topic", "interviews",
		"body_markdown", "Prepare <script>alert(1)</script> [x](javascript:alert(1)) <a href=\"https://nhs.uk\" onclick=\"alert(1)\">y</a>",
		"links", []map[string]string{{"title": "NHS Jobs", "url": "https://www.jobs.nhs.uk/"}})
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/guidance", admin, body), http.StatusForbidden, "")
	apitest.WantProblem(t, env.Do(t, http.MethodPost, "/v1/guidance", nat, apitest.JSON(t, "title", "x", "audience", "individuals",
		"topic", "t", "body_markdown", "", "links", []map[string]string{{"title": "x", "url": "http://insecure.example"}})),
		http.StatusUnprocessableEntity, "links[0].url")
	id := env.MustCreate(t, "/v1/guidance", nat, body)
	apitest.WantProblem(t, env.Patch(t, "/v1/guidance/"+id, admin, `{"title":"Mine"}`), http.StatusForbidden, "")
	apitest.WantProblem(t, env.Do(t, http.MethodDelete, "/v1/guidance/"+id, admin, ""), http.StatusForbidden, "")

	g := apitest.MustGet[struct {
		BodyHTML string `json:"body_html"`
	}](t, env, "/v1/guidance/"+id, viewer)
	for _, bad := range []string{"<script", "javascript:", "onclick"} {
		if strings.Contains(strings.ToLower(g.BodyHTML), bad) {
			t.Errorf("body_html %q holds %q", g.BodyHTML, bad)
		}
	}

	res := env.Do(t, http.MethodGet, "/public/guidance/"+id, "", "")
	apitest.WantStatus(t, res, http.StatusOK)
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("Access-Control-Allow-Origin %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	html := env.Do(t, http.MethodGet, "/directory/guidance", "", "")
	apitest.WantStatus(t, html, http.StatusOK)
	if !strings.Contains(string(html.Body), title) || !strings.Contains(string(html.Body), "https://www.jobs.nhs.uk/") ||
		strings.Contains(strings.ToLower(string(html.Body)), "<script") {
		t.Errorf("/directory/guidance:\n%s", html.Body)
	}
	env.MustDelete(t, "/v1/guidance/"+id, nat)
	if contains(publicIDs(t, env, "/public/guidance"), id) {
		t.Error("the public still lists deleted guidance")
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/public/guidance/"+id, "", ""), http.StatusNotFound, "")
}

// TestPublicDirectoriesAreLimitedPerAddress: past its burst an address gets 429 with
// Retry-After, still open to every origin, so that a browser page can read the refusal.
func TestPublicDirectoriesAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.PublicRatePerMinute = 6 // burst 20
	env := apitest.NewOn(t, cfg, io.Discard)
	var last apitest.Response
	for i := 0; i < 21; i++ {
		last = env.Do(t, http.MethodGet, "/public/guidance", "", "")
	}
	apitest.WantProblem(t, last, http.StatusTooManyRequests, "")
	if last.Header.Get("Retry-After") == "" || last.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("429 with Retry-After %q, Access-Control-Allow-Origin %q", last.Header.Get("Retry-After"),
			last.Header.Get("Access-Control-Allow-Origin"))
	}
	// The authenticated API is not counted against the public limit.
	_, nat := env.NationalAdmin(t)
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/guidance", nat, ""), http.StatusOK)
}
