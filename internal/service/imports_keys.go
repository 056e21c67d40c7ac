package service

import (
	"hash/fnv"
	"maps"
	"slices"
)

// fileKeys remembers which record each row of a file named, as a 64-bit hash of its key and
// the first row that named it, for the check that no two rows of a file name one record. It
// holds every row of the file, so it is kept small: 12 bytes a row in sorted runs (a third of
// a Go map's), with the newest keys in a small map until there are enough to sort. Runs are
// merged as they grow, two of equal size at a time, so there are never more than about
// log2(rows) of them and each lookup is a few binary searches. A million rows take 12 MB.
type fileKeys struct {
	recent map[uint64]int
	runs   []keyRun // sorted by hash each, the oldest and largest first
}

// keyRun is a sorted run: hashes[i] was first named by rows[i].
type keyRun struct {
	hashes []uint64
	rows   []uint32
}

// recentKeys is how many keys wait in the map before they are sorted into a run.
const recentKeys = 4096

func keyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// first returns the first row that named key, if any row did.
func (k *fileKeys) first(key uint64) (int, bool) {
	if row, ok := k.recent[key]; ok {
		return row, true
	}
	for _, run := range k.runs {
		if i, ok := slices.BinarySearch(run.hashes, key); ok {
			return int(run.rows[i]), true
		}
	}
	return 0, false
}

// add records that row named key. A key already recorded keeps its first row.
func (k *fileKeys) add(key uint64, row int) {
	if _, ok := k.first(key); ok {
		return
	}
	if k.recent == nil {
		k.recent = make(map[uint64]int, recentKeys)
	}
	k.recent[key] = row
	if len(k.recent) < recentKeys {
		return
	}
	run := keyRun{hashes: slices.Sorted(maps.Keys(k.recent)), rows: make([]uint32, 0, len(k.recent))}
	for _, h := range run.hashes {
		run.rows = append(run.rows, uint32(k.recent[h]))
	}
	clear(k.recent)
	k.runs = append(k.runs, run)
	for n := len(k.runs); n >= 2 && len(k.runs[n-2].hashes) <= 2*len(k.runs[n-1].hashes); n = len(k.runs) {
		k.runs[n-2] = mergeRuns(k.runs[n-2], k.runs[n-1])
		k.runs = k.runs[:n-1]
	}
}

// mergeRuns merges two sorted runs with no key in common into one.
func mergeRuns(a, b keyRun) keyRun {
	out := keyRun{hashes: make([]uint64, 0, len(a.hashes)+len(b.hashes)), rows: make([]uint32, 0, len(a.hashes)+len(b.hashes))}
	i, j := 0, 0
	for i < len(a.hashes) || j < len(b.hashes) {
		if j == len(b.hashes) || i < len(a.hashes) && a.hashes[i] < b.hashes[j] {
			out.hashes, out.rows = append(out.hashes, a.hashes[i]), append(out.rows, a.rows[i])
			i++
		} else {
			out.hashes, out.rows = append(out.hashes, b.hashes[j]), append(out.rows, b.rows[j])
			j++
		}
	}
	return out
}
