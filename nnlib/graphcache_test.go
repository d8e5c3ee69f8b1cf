package nnlib_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
)

func TestGraphCache(t *testing.T) {
	var built, closed []int
	c := nnlib.NewGraphCache[int, int](2, func(v int) { closed = append(closed, v) })
	get := func(k int) int {
		t.Helper()
		v, err := c.Get(k, func() (int, error) { built = append(built, k); return 10 * k, nil })
		if err != nil || v != 10*k {
			t.Fatalf("Get(%d) = %d, %v", k, v, err)
		}
		return v
	}
	get(1)
	get(2)
	get(1) // hit: 1 becomes the most recent
	get(3) // evicts 2, the least recently used
	get(1) // still cached
	if want := []int{1, 2, 3}; !slices.Equal(built, want) {
		t.Errorf("built %v, want %v", built, want)
	}
	if want := []int{20}; !slices.Equal(closed, want) {
		t.Errorf("closed %v, want %v", closed, want)
	}
	if c.Len() != 2 {
		t.Errorf("Len %d, want 2", c.Len())
	}
	boom := errors.New("boom")
	if _, err := c.Get(4, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("failed build: %v", err)
	}
	if c.Len() != 2 {
		t.Errorf("a failed build was cached: Len %d", c.Len())
	}
	c.Purge()
	if c.Len() != 0 || !slices.Equal(closed, []int{20, 10, 30}) && !slices.Equal(closed, []int{20, 30, 10}) {
		t.Errorf("after Purge: Len %d, closed %v", c.Len(), closed)
	}
	get(2)
	if c.Len() != 1 {
		t.Errorf("Len %d after Purge and one Get", c.Len())
	}
}
