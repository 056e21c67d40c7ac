package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
)

// changeLines reads changes' output: a JSON change a line.
func changeLines(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var c struct {
			EventType  string `json:"event_type"`
			ResourceID string `json:"resource_id"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("a line is not a JSON change: %v\n%s", err, line)
		}
		got = append(got, c.EventType+" "+c.ResourceID)
	}
	return got
}

// TestChangesMirrorsWithACursorFile runs changes as a cron job mirroring p4w would: each run
// prints what changed since the last, once, and the cursor file carries the place from run to
// run. Another trust's changes never show.
func TestChangesMirrorsWithACursorFile(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tr := newTrust(t, env, "Northgate Teaching Hospitals", 2)
	other := newTrust(t, env, "Southmoor Hospitals", 1)

	c := newCLI(t, env)
	c.vars["P4W_SERVER"], c.vars["P4W_TOKEN"] = env.URL, tr.token
	file := filepath.Join(t.TempDir(), "mirror.cursor")
	want := []string{"organisation.created " + tr.org.ID.String(),
		"participant.created " + tr.participants[0], "participant.created " + tr.participants[1]}
	if got := changeLines(t, c.want(exitOK, "", "changes", "--cursor-file", file).stdout); !equal(got, want) {
		t.Errorf("the first run printed %q, want %q (and none of %s's)", got, want, other.participants[0])
	}
	kept, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(kept)) == "" {
		t.Fatalf("the cursor file holds %q (%v)", kept, err)
	}
	if got := changeLines(t, c.want(exitOK, "", "changes", "--cursor-file", file).stdout); len(got) != 0 {
		t.Errorf("a run with nothing new printed %q", got)
	}

	apitest.WantStatus(t, env.Patch(t, "/v1/participants/"+tr.participants[1], tr.token, `{"postcode": "LS1 4AP"}`), http.StatusOK)
	env.MustCreate(t, "/v1/participants", other.token, apitest.ParticipantBody(t, other.org.ID, "consent", map[string]bool{"processing": true}))
	want = []string{"participant.updated " + tr.participants[1]}
	if got := changeLines(t, c.want(exitOK, "", "changes", "--cursor-file", file).stdout); !equal(got, want) {
		t.Errorf("the run after an update printed %q, want %q", got, want)
	}

	// Without a cursor file, the place to carry on from is said on standard error.
	r := c.want(exitOK, "", "changes", "--types", "participant.updated")
	if got := changeLines(t, r.stdout); !equal(got, want) {
		t.Errorf("--types participant.updated printed %q, want %q", got, want)
	}
	if !strings.Contains(r.stderr, "--after ") {
		t.Errorf("standard error does not give the cursor to carry on from: %s", r)
	}
	c.want(exitUsage, "", "changes", "--after", "not-a-cursor")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
