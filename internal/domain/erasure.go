package domain

import (
	"context"

	"github.com/google/uuid"
)

// ErasedText stands in, after erasure, for free text that a record's rules require: a placement's
// host department, and the reason of a withdrawal or of an early end. It says that something
// was written without saying what, so that the record stays valid and its status still counts.
const ErasedText = "[erased]"

// RecordsEraser clears what a participant's other records say about them.
type RecordsEraser interface {
	// EraseRecordsOf clears, within the caller's reach, every free-text field of every record
	// that belongs to the participant (enrolments, placements, outcomes, mentoring matches),
	// tombstones included, and keeps their coded facts; it forgets the stored idempotent replies
	// that carried those records or their check-ins and interviews; and it appends an audit
	// event "<type>.erase" by actor for requestID for each record it changed. A record left with
	// no text is not changed again, so a second call changes nothing. It returns how many
	// records it changed.
	EraseRecordsOf(ctx context.Context, participantID uuid.UUID, actor, requestID string) (int, error)
}
