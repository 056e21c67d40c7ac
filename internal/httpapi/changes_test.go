package httpapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// storedChange is a row of the outbox, read past row-level security.
type storedChange struct {
	org, eventType, resourceType, resourceID string
	fields                                   []string
}

// storedChanges returns the outbox's rows of resource id, in the order a reader meets them.
func storedChanges(tb testing.TB, env *apitest.Env, id string) []storedChange {
	tb.Helper()
	rows, err := env.DB.SQL().Query(`SELECT coalesce(organisation_id::text, ''), event_type, resource_type, resource_id,
		fields::text FROM change_events WHERE resource_id = $1 ORDER BY txid, seq`, id)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []storedChange
	for rows.Next() {
		var c storedChange
		var fields string
		if err := rows.Scan(&c.org, &c.eventType, &c.resourceType, &c.resourceID, &fields); err != nil {
			tb.Fatal(err)
		}
		c.fields = strings.Fields(strings.NewReplacer("[", "", "]", "", `"`, "", ",", " ").Replace(fields))
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestChangeEventsWrittenWithTheChange: each write of a participant through the API leaves
// exactly its change event in the outbox, naming fields and never values, and a refused write
// (rolled back) leaves none.
func TestChangeEventsWrittenWithTheChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Kingsmere NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	p := mustCreateParticipant(t, env, token, apitest.ParticipantBody(t, trust.ID, "external_ref", "C-1", "given_name", "Lena"))
	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+p.ID, token, `{"postcode": "LS1 4AP"}`), http.StatusOK)
	// A refused change writes nothing: its transaction rolled back with its audit event.
	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+p.ID, token, `{"postcode": "LS2 7UE"}`, "If-Match", `"1"`), http.StatusPreconditionFailed)
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+p.ID, token, ""), http.StatusNoContent)

	got := storedChanges(t, env, p.ID)
	want := []string{"participant.created", "participant.updated", "participant.erased"}
	var types []string
	for _, c := range got {
		types = append(types, c.eventType)
		if c.org != trust.ID.String() || c.resourceType != "participant" {
			t.Errorf("change %+v: want organisation %s, resource type participant", c, trust.ID)
		}
		for _, f := range c.fields {
			if strings.Contains(f, "LS") || strings.Contains(f, "Lena") {
				t.Errorf("change %s carries a value: %v", c.eventType, c.fields)
			}
		}
	}
	if !slices.Equal(types, want) {
		t.Fatalf("changes of the participant: %v, want %v", types, want)
	}
	if !slices.Contains(got[1].fields, "postcode") {
		t.Errorf("update names fields %v, want postcode among them", got[1].fields)
	}
	// The event is written in the write's own transaction: rolled back with it, it is gone.
	tx, err := env.DB.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO audit_events (id, actor, organisation_id, action, resource_type, resource_id)
		VALUES ($1, 'system', $2, 'participant.update', 'participant', $3)`, uuid.New(), trust.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	var inTx int
	if err := tx.QueryRow(`SELECT count(*) FROM change_events WHERE resource_id = $1`, p.ID).Scan(&inTx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if inTx != len(want)+1 || len(storedChanges(t, env, p.ID)) != len(want) {
		t.Errorf("an audited write made %d events in its transaction (want %d), and left %d after rolling back (want %d)",
			inTx, len(want)+1, len(storedChanges(t, env, p.ID)), len(want))
	}
	// Signing in is no change of a record.
	if n := env.MustQueryInt(t, `SELECT count(*) FROM change_events WHERE resource_type IN ('user', 'api_client')`); n != 0 {
		t.Errorf("%d change events of users or API clients", n)
	}
}

// changeDoc is an item of GET /v1/changes.
type changeDoc struct {
	Cursor         string    `json:"cursor"`
	EventType      string    `json:"event_type"`
	ResourceType   string    `json:"resource_type"`
	ResourceID     string    `json:"resource_id"`
	OrganisationID *string   `json:"organisation_id"`
	Fields         []string  `json:"fields"`
	ChangedAt      time.Time `json:"changed_at"`
}

func (c changeDoc) String() string { return c.EventType + " " + c.ResourceID }

// changesPage reads one page of the feed after cursor after ("" for the beginning).
func changesPage(tb testing.TB, env *apitest.Env, token, after string, limit int, query ...string) ([]changeDoc, string) {
	tb.Helper()
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	res := env.Do(tb, http.MethodGet, "/v1/changes?"+q.Encode(), token, "")
	apitest.WantStatus(tb, res, http.StatusOK)
	var page struct {
		Data       []changeDoc `json:"data"`
		NextCursor *string     `json:"next_cursor"`
	}
	res.Decode(tb, &page)
	if len(page.Data) > limit {
		tb.Fatalf("a page of %d changes for limit %d", len(page.Data), limit)
	}
	if page.NextCursor == nil || *page.NextCursor == "" {
		tb.Fatalf("a page without next_cursor: %s", res.Body)
	}
	if n := len(page.Data); n > 0 && n == limit && page.Data[n-1].Cursor != *page.NextCursor {
		tb.Errorf("a full page's next_cursor %s is not its last change's cursor %s", *page.NextCursor, page.Data[n-1].Cursor)
	}
	return page.Data, *page.NextCursor
}

// followChanges loops over the feed as a mirroring client does, from after, until done holds
// for what it has read. A change shows once every transaction that began before it has ended,
// the other tests' on this cluster included, so the loop waits for them; it fails only when
// done never holds.
func followChanges(tb testing.TB, env *apitest.Env, token, after string, limit int, done func([]changeDoc) bool, query ...string) ([]changeDoc, string) {
	tb.Helper()
	var all []changeDoc
	for deadline := time.Now().Add(time.Minute); ; {
		page, next := changesPage(tb, env, token, after, limit, query...)
		all, after = append(all, page...), next
		if done(all) {
			return all, after
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the feed never showed what was awaited; it showed %v", all)
		}
		if len(page) < limit {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// hasChange is a done of followChanges: a change of event type to resource id was read.
func hasChange(eventType, id string) func([]changeDoc) bool {
	return func(all []changeDoc) bool {
		return slices.ContainsFunc(all, func(c changeDoc) bool { return c.EventType == eventType && c.ResourceID == id })
	}
}

// TestChangesFeedWalkthrough: every change of a participant's way through a programme shows in
// the feed once, in the order it was made, its erasure and a deleted placement as tombstones;
// the client loops with next_cursor, two at a time, and an empty page still gives a cursor.
func TestChangesFeedWalkthrough(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Walkthrough NHS Trust")
	// Where the feed stood before the walk-through: the trust's creation and nothing else.
	before, start := followChanges(t, env, w.token, "", 50, hasChange("organisation.created", w.trust.ID.String()))
	if len(before) != 1 {
		t.Errorf("before the walk-through the feed held %v, want the trust's creation only", before)
	}

	participant, cohort, enrolment := w.enrolled(t)
	apitest.WantStatus(t, env.Do(t, http.MethodPost, "/v1/enrolments/"+enrolment+"/transitions", w.token, `{"to":"active"}`), http.StatusOK)
	placement := w.mustPlacement(t, placementBody(t, enrolment, "supervisor_name", "Ash Khan")).ID
	outcome := w.mustOutcome(t, outcomeBody(t, participant, "enrolment_id", enrolment)).ID
	apitest.WantStatus(t, env.Patch(t, "/v1/outcomes/"+outcome, w.token, `{"employer": "Walkthrough NHS Trust"}`), http.StatusOK)
	spare := w.mustPlacement(t, placementBody(t, enrolment, "host_department", "Pharmacy", "role_area", "clinical_support")).ID
	env.MustDelete(t, "/v1/placements/"+spare, w.token)
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+participant, w.token, ""), http.StatusNoContent)

	want := []string{
		"participant.created " + participant,
		"cohort.created " + cohort,
		"enrolment.created " + enrolment,
		"enrolment.updated " + enrolment,
		"placement.created " + placement,
		"outcome.created " + outcome,
		"outcome.updated " + outcome,
		"placement.created " + spare,
		"placement.deleted " + spare,
	}
	got, end := followChanges(t, env, w.token, start, 2, hasChange("participant.erased", participant))
	var gotNames []string
	for _, c := range got {
		gotNames = append(gotNames, c.String())
		if c.OrganisationID == nil || *c.OrganisationID != w.trust.ID.String() || c.ChangedAt.IsZero() || c.Cursor == "" {
			t.Errorf("change %v: organisation %v, at %v, cursor %q", c, c.OrganisationID, c.ChangedAt, c.Cursor)
		}
	}
	if len(gotNames) < len(want) || !slices.Equal(gotNames[:len(want)], want) {
		t.Fatalf("the feed read\n%v\nwant first\n%v", strings.Join(gotNames, "\n"), strings.Join(want, "\n"))
	}
	// The erasure: the participant's tombstone, after the records it cleared of free text, all
	// in its one transaction.
	erasure := gotNames[len(want):]
	if erasure[len(erasure)-1] != "participant.erased "+participant {
		t.Errorf("the erasure's changes %v do not end with the participant's", erasure)
	}
	for _, c := range erasure {
		if !strings.HasSuffix(strings.Fields(c)[0], ".erased") {
			t.Errorf("the erasure made %s", c)
		}
	}
	if !slices.Contains(erasure, "placement.erased "+placement) {
		t.Errorf("the erasure's changes %v miss the placement's supervisor cleared", erasure)
	}
	seen := map[string]bool{}
	for _, c := range got {
		if seen[c.Cursor] {
			t.Errorf("cursor %s twice", c.Cursor)
		}
		seen[c.Cursor] = true
	}

	// Nothing more: the next page is empty, and still says where to resume.
	again, next := changesPage(t, env, w.token, end, 50)
	if len(again) != 0 || next == "" {
		t.Errorf("after the end: %v, next %q", again, next)
	}
	// A filter by event type reads only those, from the beginning.
	erased, _ := followChanges(t, env, w.token, "", 50, hasChange("participant.erased", participant), "types", "participant.erased,placement.deleted")
	if len(erased) != 2 || erased[0].String() != "placement.deleted "+spare || erased[1].String() != "participant.erased "+participant {
		t.Errorf("types=participant.erased,placement.deleted read %v", erased)
	}
}

// TestChangesFeedReturnsALateCommit: a transaction that wrote first but commits after a later
// one is not passed by. The reader's page, read while the first is still open, returns the
// later change; the reader's following pages, from that page's cursor, return the late one, once.
func TestChangesFeedReturnsALateCommit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Latecommit NHS Trust")
	early, later := w.participant(t), w.participant(t)
	_, cursor := followChanges(t, env, w.token, "", 50, hasChange("participant.created", later))

	// The late transaction: the API's own update of a participant (service, storage, audit and
	// the outbox's trigger), held open after it wrote.
	caller := domain.Principal{Subject: "user:" + uuid.NewString(), OrganisationID: w.trust.ID, Role: domain.RoleCoordinator,
		Scopes: domain.ScopesOf(domain.RoleCoordinator), Reach: []uuid.UUID{w.trust.ID}}
	wrote, release, committed := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	go func() {
		committed <- env.DB.InTx(domain.WithPrincipal(context.Background(), caller), func(ctx context.Context) error {
			postcode := "LS1 4AP"
			_, err := env.Services.Participants.Update(ctx, uuid.MustParse(early), nil,
				domain.ParticipantChange{Postcode: domain.Change[string]{Set: true, Value: &postcode}}, []string{"postcode"})
			wrote <- err
			<-release
			return err
		})
	}()
	if err := <-wrote; err != nil {
		t.Fatalf("the late update: %v", err)
	}
	// A later transaction writes and commits meanwhile, then a reader reads.
	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+later, w.token, `{"postcode": "LS2 7UE"}`), http.StatusOK)
	during, cursor := changesPage(t, env, w.token, cursor, 50)
	close(release)
	if err := <-committed; err != nil {
		t.Fatalf("commit the late update: %v", err)
	}

	if !hasChange("participant.updated", later)(during) {
		t.Fatalf("the page read while the late transaction was open holds %v, not the later update", during)
	}
	after, _ := followChanges(t, env, w.token, cursor, 50, hasChange("participant.updated", early))
	all := append(during, after...)
	var updates []string
	for _, c := range all {
		if c.EventType == "participant.updated" {
			updates = append(updates, c.ResourceID)
		}
	}
	if want := []string{later, early}; !slices.Equal(updates, want) {
		t.Errorf("the reader read the updates of %v, want the later one then the late one, once each: %v (read while open: %v)",
			updates, want, during)
	}
}

// TestChangesFeedKeepsTrustsApart: another trust never reads this trust's changes, from any
// cursor it makes up; a collaboration reads its member's; a client reads only the resource
// types its scopes read.
func TestChangesFeedKeepsTrustsApart(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Keepapart NHS Trust")
	other := newTrustWorld(t, env, "Otherside NHS Trust")
	collab := env.Organisation(t, domain.KindCollaboration, "Keepapart Collaboration")
	if err := env.Services.Organisations.AddMember(apitest.System(), collab.ID, w.trust.ID); err != nil {
		t.Fatal(err)
	}
	participant := w.participant(t)
	admin := env.User(t, w.trust.ID, domain.RoleOrgAdmin)
	_, peopleID, peopleSecret := env.APIClient(t, admin, w.trust.ID, domain.ScopeParticipantsRead)
	_, orgsID, orgsSecret := env.APIClient(t, admin, w.trust.ID, domain.ScopeOrganisationsRead)
	people := env.ClientToken(t, peopleID, peopleSecret)
	apitest.WantStatus(t, env.Do(t, http.MethodDelete, "/v1/participants/"+participant, w.token, ""), http.StatusNoContent)
	marker := other.participant(t) // written last: once the feed shows it, it shows everything before

	_, nat := env.NationalAdmin(t)
	everything, _ := followChanges(t, env, nat, "", 500, hasChange("participant.created", marker))
	var ours []changeDoc
	for _, c := range everything {
		if c.OrganisationID != nil && *c.OrganisationID == w.trust.ID.String() {
			ours = append(ours, c)
		}
	}
	if len(ours) < 3 {
		t.Fatalf("the national team read %d of the trust's changes: %v", len(ours), ours)
	}

	// Another trust, from the beginning, from each of this trust's cursors, and from made-up ones.
	cursors := []string{""}
	for _, c := range ours {
		cursors = append(cursors, c.Cursor)
	}
	for _, made := range []string{"v1///0/0", "v1/1:1://0/0", "v1//1:1:/0/0", "v1/1:99999999:/1:99999999:/0/0", "v1//1:2:/9223372036854775807/0"} {
		cursors = append(cursors, base64.RawURLEncoding.EncodeToString([]byte(made)))
	}
	for _, cur := range cursors {
		got, _ := followChanges(t, env, other.token, cur, 500, func([]changeDoc) bool { return true })
		for _, c := range got {
			if c.OrganisationID == nil || *c.OrganisationID != other.trust.ID.String() {
				t.Errorf("another trust, after %q, read %v of organisation %v", cur, c, c.OrganisationID)
			}
		}
	}
	// The collaboration reads its member's changes, the erasure's tombstone included.
	collabToken := env.User(t, collab.ID, domain.RoleViewer)
	got, _ := followChanges(t, env, collabToken, "", 500, hasChange("participant.erased", participant))
	for _, c := range got {
		if c.OrganisationID == nil || *c.OrganisationID != w.trust.ID.String() && *c.OrganisationID != collab.ID.String() {
			t.Errorf("the collaboration read %v of organisation %v", c, c.OrganisationID)
		}
	}
	// A client of participants:read reads the participant's changes and not the organisation's;
	// one of organisations:read alone may not read the feed.
	got, _ = followChanges(t, env, people, "", 500, hasChange("participant.erased", participant))
	for _, c := range got {
		if c.ResourceType == "organisation" {
			t.Errorf("a client of participants:read read %v", c)
		}
	}
	if !hasChange("organisation.created", w.trust.ID.String())(ours) {
		t.Errorf("the national team did not read the trust's creation: %v", ours)
	}
	apitest.WantProblem(t, env.Do(t, http.MethodGet, "/v1/changes", env.ClientToken(t, orgsID, orgsSecret), ""), http.StatusForbidden, "")
	apitest.WantStatus(t, env.Do(t, http.MethodGet, "/v1/changes", "", ""), http.StatusUnauthorized)
}

// TestChangesFeedRefusesABadCursor: a cursor the feed did not make is a 400 naming after, a
// snapshot in it that PostgreSQL would refuse included; an unknown event type is invalid.
func TestChangesFeedRefusesABadCursor(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Badcursor NHS Trust")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{"not-a-cursor", b64("v1/12"), b64("v1///x/3"), b64("v2///1/2"), b64("v1///1/-2"),
		b64("v1///99999999999999999999/1"), b64("v1/5:4://0/0"), b64("v1/0:4://0/0"), b64("v1/3:9:9//0/0"), b64("v1/3:9:5,4//0/0"),
		b64("v1/3:9:2//0/0"), b64("v1/a:b://0/0"), b64("v1//3:9:4,4/0/0"), b64("v1/3:9//0/0"),
		b64(`{"u":"2026-01-01T00:00:00Z","i":"` + uuid.NewString() + `"}`), "a+b", ""} {
		res := env.Do(t, http.MethodGet, "/v1/changes?after="+url.QueryEscape(bad), w.token, "")
		apitest.WantProblem(t, res, http.StatusBadRequest, "after")
	}
	res := env.Do(t, http.MethodGet, "/v1/changes?types=participant.exploded", w.token, "")
	apitest.WantProblem(t, res, http.StatusUnprocessableEntity, "types")
}

// TestChangesFeedForHR: a client acting for HR reads the changes of the records about a
// participant only with the participant's hr_sharing consent, as its lists give them; the
// participant's own changes and every tombstone it reads whatever, so its mirror learns to
// delete its copies.
func TestChangesFeedForHR(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newTrustWorld(t, env, "Hrfeed NHS Trust")
	admin := env.User(t, w.trust.ID, domain.RoleOrgAdmin)
	_, id, secret := env.APIClient(t, admin, w.trust.ID, domain.ScopeParticipantsRead)
	hr := env.ClientToken(t, id, secret)

	shared := w.mustID(t, "/v1/participants", apitest.ParticipantBody(t, w.trust.ID, "consent", map[string]bool{"processing": true, "hr_sharing": true}))
	private := w.participant(t)
	cohort := w.cohort(t, "2027-01-04", "2027-01-29")
	sharedEnrolment := w.enrolment(t, cohort, shared, domain.Enrolled)
	privateEnrolment := w.enrolment(t, cohort, private, domain.Enrolled)
	placement := w.mustPlacement(t, placementBody(t, privateEnrolment)).ID
	env.MustDelete(t, "/v1/placements/"+placement, w.token)

	got, _ := followChanges(t, env, hr, "", 500, hasChange("placement.deleted", placement))
	var names []string
	for _, c := range got {
		names = append(names, c.String())
	}
	want := []string{"participant.created " + shared, "participant.created " + private, "cohort.created " + cohort,
		"enrolment.created " + sharedEnrolment, "placement.deleted " + placement}
	if !slices.Equal(names, want) {
		t.Errorf("the HR client read\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}
