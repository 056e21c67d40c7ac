package service

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// fileKeys answers as a map of each key to the first row that named it would, across the
// sorting and merging of its runs.
func TestFileKeysRemembersTheFirstRowOfEachKey(t *testing.T) {
	var k fileKeys
	want := map[uint64]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 5*recentKeys + 123
	for row := 1; row <= rows; row++ {
		key := rng.Uint64N(3 * rows) // about one row in six names a key named before
		if _, seen := want[key]; !seen {
			want[key] = row
		}
		k.add(key, row)
	}
	if len(k.runs) == 0 || len(k.runs) > 8 {
		t.Errorf("%d sorted runs for %d rows: runs are not made or not merged", len(k.runs), rows)
	}
	for key := range uint64(3 * rows) {
		got, ok := k.first(key)
		first, named := want[key]
		if ok != named || got != first {
			t.Fatalf("key %d: first row %d (%v), want %d (%v)", key, got, ok, first, named)
		}
	}
}

// BenchmarkFileKeys reports the memory the duplicate check keeps for a file of a million rows,
// against a map of the same keys (the way it was kept before).
func BenchmarkFileKeys(b *testing.B) {
	const rows = 1_000_000
	live := func(fill func()) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		fill()
		runtime.GC()
		runtime.ReadMemStats(&after)
		return float64(after.HeapAlloc-before.HeapAlloc) / 1e6
	}
	for b.Loop() {
		var k fileKeys
		b.ReportMetric(live(func() {
			for row := 1; row <= rows; row++ {
				k.add(keyHash("NTH-"+strconv.Itoa(row)), row)
			}
		}), "MB/1M-rows")
		runtime.KeepAlive(&k)
		m := map[uint64]int{}
		b.ReportMetric(live(func() {
			for row := 1; row <= rows; row++ {
				m[keyHash("NTH-"+strconv.Itoa(row))] = row
			}
		}), "map-MB/1M-rows")
		runtime.KeepAlive(m)
	}
}
