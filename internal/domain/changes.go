package domain

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ChangePosition is a place in the changes feed. The feed is read in batches, each the changes
// of the transactions that committed between two database snapshots: Seen, a snapshot every
// change visible in which has been read ("" before the first read), and Batch, the snapshot
// of the batch being read ("": the next read starts a batch, with the snapshot it is read in).
// Within a batch the changes come in (TxID, Seq) order, and TxID, Seq is the last one read.
// A snapshot is PostgreSQL's pg_snapshot text, xmin:xmax:xip,... (ValidSnapshot).
//
// Because a batch holds only transactions that had ended when its snapshot was taken, and the
// next batch every transaction that had not, a transaction that commits late is read in a
// later batch, never passed by; and one left open holds back only its own changes.
type ChangePosition struct {
	Seen, Batch string
	TxID        uint64
	Seq         int64
}

// ValidSnapshot reports whether s is a pg_snapshot's text: xmin:xmax:xip,... with
// 1 <= xmin <= each xip < xmax, the xips ascending. A cursor's snapshots are checked with it, so
// that one made up fails as invalid input, not in the database.
func ValidSnapshot(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return false
	}
	xmin, err1 := strconv.ParseUint(parts[0], 10, 63)
	xmax, err2 := strconv.ParseUint(parts[1], 10, 63)
	if err1 != nil || err2 != nil || xmin < 1 || xmax < xmin {
		return false
	}
	if parts[2] == "" {
		return true
	}
	last := xmin
	for i, x := range strings.Split(parts[2], ",") {
		v, err := strconv.ParseUint(x, 10, 63)
		if err != nil || v < xmin || v >= xmax || i > 0 && v <= last {
			return false
		}
		last = v
	}
	return true
}

// ChangeEvent is one change to a record: what happened to which record, and the names of the fields
// written, never their values. An erased or deleted record's last change is its tombstone.
type ChangeEvent struct {
	Position       ChangePosition
	OrganisationID *uuid.UUID // the organisation whose record it is; nil for the catalogue
	EventType      string     // <resource type>.created, .updated, .erased or .deleted; import.completed
	ResourceType   string
	ResourceID     string
	Fields         []string
	At             time.Time
}

// ChangeFilter narrows a read of the feed.
type ChangeFilter struct {
	// ResourceTypes are the types of record the caller may read; none reads nothing.
	ResourceTypes []string
	// EventTypes, if any, are the only event types wanted.
	EventTypes []string
}

// ChangePage is one page of the feed. Next is where to resume, always: after the last change
// of a full page, or, on a page that is not full, after its batch, so that a reader polling an
// idle feed moves past the rows it may not see.
type ChangePage struct {
	Items []ChangeEvent
	Next  ChangePosition
}
