package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// repeatWindow is how long a warning or error River repeats is kept out of the log after it
// was written once.
const repeatWindow = time.Minute

// quiet is the log handler River writes through. While PostgreSQL is down, River retries its
// fetches and its leader election every second or so and logs each failure; an outage should
// read as a line, not as thousands (the storage seam logs the outage itself, once). So a
// record at Warn or above is written at most once per window for each message, and the next
// one written says how many were left out. Records below Warn pass untouched.
type quiet struct {
	next  slog.Handler
	state *quietState // shared by the handlers WithAttrs and WithGroup derive
}

type quietState struct {
	window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	last   map[string]time.Time
	held   map[string]int
}

func newQuiet(next slog.Handler, window time.Duration, now func() time.Time) *quiet {
	return &quiet{next: next, state: &quietState{window: window, now: now, last: map[string]time.Time{}, held: map[string]int{}}}
}

func (q *quiet) Enabled(ctx context.Context, level slog.Level) bool {
	return q.next.Enabled(ctx, level)
}

func (q *quiet) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return q.next.Handle(ctx, r)
	}
	s := q.state
	s.mu.Lock()
	now := s.now()
	if last, seen := s.last[r.Message]; seen && now.Sub(last) < s.window {
		s.held[r.Message]++
		s.mu.Unlock()
		return nil
	}
	s.last[r.Message] = now
	held := s.held[r.Message]
	delete(s.held, r.Message)
	s.mu.Unlock()
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeats_left_out", held))
	}
	return q.next.Handle(ctx, r)
}

func (q *quiet) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &quiet{next: q.next.WithAttrs(attrs), state: q.state}
}

func (q *quiet) WithGroup(name string) slog.Handler {
	return &quiet{next: q.next.WithGroup(name), state: q.state}
}
