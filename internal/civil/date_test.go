package civil_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oapi-codegen/runtime"

	"github.com/p4w-nhs/p4w/internal/civil"
)

func TestDateReadsAndWritesJSON(t *testing.T) {
	d := civil.Date{Time: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(struct {
		On  civil.Date  `json:"on"`
		Off *civil.Date `json:"off"`
	}{On: d})
	if err != nil || string(b) != `{"on":"2026-02-28","off":null}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var back civil.Date
	if err := json.Unmarshal([]byte(`"2026-02-28"`), &back); err != nil || !back.Equal(d.Time) {
		t.Errorf("unmarshal: %v, %v", back, err)
	}
	for _, bad := range []string{`20260228`, `"2026-02-30"`, `"28/02/2026"`, `"2026-02-28T00:00:00Z"`, `null`, `""`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s was read as a date", bad)
		}
	}
}

// Dates in query and path parameters are bound by oapi-codegen's runtime.
func TestDateBindsFromAParameter(t *testing.T) {
	var d civil.Date
	err := runtime.BindStyledParameterWithOptions("form", "due_before", "2026-03-01", &d,
		runtime.BindStyledParameterOptions{ParamLocation: runtime.ParamLocationQuery, Explode: true, Required: true})
	if err != nil || d.String() != "2026-03-01" {
		t.Errorf("bound %v, %v", d, err)
	}
	if err := runtime.BindStyledParameterWithOptions("form", "due_before", "tomorrow", &d,
		runtime.BindStyledParameterOptions{ParamLocation: runtime.ParamLocationQuery, Explode: true, Required: true}); err == nil {
		t.Error("tomorrow was bound as a date")
	}
}
