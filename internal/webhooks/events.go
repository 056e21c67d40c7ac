package webhooks

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Resources are the record types whose changes are events (the outbox's resource_type).
var Resources = []string{"participant", "enrolment", "placement", "outcome", "mentoring_match", "check_in",
	"mentor", "cohort", "vacancy", "interview", "case_study", "funding_award", "organisation", "programme", "guidance"}

// PingType is the type of a test message; it is sent to a subscription whatever its types.
const PingType = "webhook.ping"

// Types are the event types a subscription may name: <resource>.created|updated|deleted,
// participant.erased, outcome.sustainment_due and import.completed.
var Types = func() []string {
	var out []string
	for _, r := range Resources {
		out = append(out, r+".created", r+".updated", r+".deleted")
	}
	return append(out, "participant.erased", "outcome.sustainment_due", "import.completed")
}()

// ValidPattern reports whether p names a known type, every type of a known resource
// ("enrolment.*") or every type ("*").
func ValidPattern(p string) bool {
	if p == "*" || slices.Contains(Types, p) {
		return true
	}
	prefix, ok := strings.CutSuffix(p, ".*")
	return ok && slices.ContainsFunc(Types, func(t string) bool { return strings.HasPrefix(t, prefix+".") })
}

// Matches reports whether an event of type t is wanted by patterns.
func Matches(patterns []string, t string) bool {
	for _, p := range patterns {
		if p == "*" || p == t {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(t, prefix+".") {
			return true
		}
	}
	return false
}

// Event is one change of the outbox, as a subscriber is told of it: ids and field names,
// never values, so no personal data travels however the receiver keeps it.
type Event struct {
	Seq            int64 // change_events.seq; 0 for a ping
	Type           string
	ResourceType   string
	ResourceID     string
	OrganisationID uuid.UUID
	Fields         []string
	At             time.Time
}

// MessageID is the event's webhook-id for a subscriber: the same on every attempt and on a
// redelivery, so that a receiver can drop a message it has already handled.
func (e Event) MessageID() string {
	if e.Seq == 0 {
		return "msg_ping_" + uuid.Must(uuid.NewV7()).String()
	}
	return "msg_" + strconv.FormatInt(e.Seq, 10)
}

type data struct {
	ResourceType   string    `json:"resource_type"`
	ResourceID     string    `json:"resource_id"`
	OrganisationID uuid.UUID `json:"organisation_id"`
	Fields         []string  `json:"fields"`
}

type body struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      data   `json:"data"`
}

// Body is the message's JSON, in the Standard Webhooks shape: type, timestamp and data.
func (e Event) Body() []byte {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	b, _ := json.Marshal(body{Type: e.Type, Timestamp: e.At.UTC().Format(time.RFC3339Nano),
		Data: data{ResourceType: e.ResourceType, ResourceID: e.ResourceID, OrganisationID: e.OrganisationID, Fields: fields}})
	return b
}
