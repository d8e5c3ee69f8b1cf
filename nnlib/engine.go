package nnlib

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Optimizer updates parameters from their accumulated gradients (and
// zeroes the gradients). nnlib/optim provides Adam, AdamW and SGD.
type Optimizer interface {
	Step(params []*Param) error
}

// Feed binds one batch's data to the inputs of a graph built for it.
type Feed[B any] func(m *Machine, batch B) error

// Builder turns batches into graphs. Batches with the same Key share one
// compiled graph, so Key must capture every shape the graph depends on
// (batch size, padded lengths).
type Builder[B any] interface {
	Key(batch B) string
	// Build adds the model to g for batches like batch, marks the loss
	// with g.SetLoss and returns the function that feeds a batch.
	Build(g *Graph, batch B) (Feed[B], error)
}

// TrainerConfig configures a Trainer.
type TrainerConfig struct {
	// MaxGraphs bounds the cache of compiled graphs (one per shape
	// bucket, for training and for evaluation each; default 16). The least
	// recently used graph is dropped when the cache is full.
	MaxGraphs int
	// Seed seeds dropout in the training graphs.
	Seed uint64
}

// Trainer is nnlib's training engine. It hides gorgonia's Let / RunAll /
// Step / Reset protocol: each shape bucket gets one graph, built once,
// compiled once and reused from a bounded LRU cache (rebuilding per batch
// leaks memory and time, see ../shared/notes/gorgonia.md P7).
//
// A Trainer is not safe for concurrent use.
type Trainer[B any] struct {
	ps      *ParamSet
	opt     Optimizer
	builder Builder[B]
	cfg     TrainerConfig
	train   *graphCache[B]
	eval    *graphCache[B]
	steps   int
}

// NewTrainer returns a Trainer for the parameters ps.
func NewTrainer[B any](ps *ParamSet, opt Optimizer, b Builder[B], cfg TrainerConfig) (*Trainer[B], error) {
	if ps == nil || b == nil {
		return nil, fmt.Errorf("nnlib: trainer: parameters and builder are required")
	}
	if cfg.MaxGraphs == 0 {
		cfg.MaxGraphs = 16
	}
	if cfg.MaxGraphs < 1 {
		return nil, fmt.Errorf("nnlib: trainer: MaxGraphs %d must be positive", cfg.MaxGraphs)
	}
	t := &Trainer[B]{ps: ps, opt: opt, builder: b, cfg: cfg}
	t.train = newGraphCache[B](cfg.MaxGraphs, true, cfg.Seed)
	t.eval = newGraphCache[B](cfg.MaxGraphs, false, cfg.Seed)
	return t, nil
}

// Steps returns the number of optimiser steps taken.
func (t *Trainer[B]) Steps() int { return t.steps }

// Graphs returns the number of compiled graphs currently cached.
func (t *Trainer[B]) Graphs() int { return t.train.c.Len() + t.eval.c.Len() }

// Step runs forward and backward on one batch, then the optimiser. It
// returns the batch loss. A non-finite loss is reported as an error and
// the update is skipped (the gradients are discarded).
func (t *Trainer[B]) Step(ctx context.Context, batch B) (float64, error) {
	loss, err := t.Accumulate(ctx, batch)
	if err != nil {
		t.ps.ZeroGrad()
		return loss, err
	}
	if t.opt == nil {
		return loss, fmt.Errorf("nnlib: trainer: no optimiser")
	}
	if err := t.opt.Step(t.ps.Params()); err != nil {
		return loss, fmt.Errorf("nnlib: optimiser: %w", err)
	}
	t.steps++
	return loss, nil
}

// Accumulate runs forward and backward on one batch and adds the gradients
// to Param.Grad without updating (for gradient accumulation).
func (t *Trainer[B]) Accumulate(ctx context.Context, batch B) (float64, error) {
	loss, err := t.run(ctx, t.train, batch)
	if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
		err = fmt.Errorf("nnlib: loss is %v", loss)
	}
	return loss, err
}

// Eval returns the loss of a batch on an inference-mode graph (no
// dropout, no gradients).
func (t *Trainer[B]) Eval(ctx context.Context, batch B) (float64, error) {
	return t.run(ctx, t.eval, batch)
}

// run feeds batch to its graph from cache and runs it.
func (t *Trainer[B]) run(ctx context.Context, cache *graphCache[B], batch B) (float64, error) {
	e, err := cache.get(t, batch)
	if err != nil {
		return 0, err
	}
	if err := e.feed(e.m, batch); err != nil {
		return 0, fmt.Errorf("nnlib: feed: %w", err)
	}
	if err := e.m.Run(ctx); err != nil {
		return 0, err
	}
	return e.m.Loss(), nil
}

// Close releases every cached graph.
func (t *Trainer[B]) Close() error {
	t.train.purge()
	t.eval.purge()
	return nil
}

type cacheEntry[B any] struct {
	key  string
	m    *Machine
	feed Feed[B]
}

type graphCache[B any] struct {
	train bool
	seed  uint64
	c     *GraphCache[string, *cacheEntry[B]]
}

func newGraphCache[B any](max int, train bool, seed uint64) *graphCache[B] {
	return &graphCache[B]{train: train, seed: seed,
		c: NewGraphCache[string](max, func(e *cacheEntry[B]) { e.m.Close() })}
}

func (c *graphCache[B]) get(t *Trainer[B], batch B) (*cacheEntry[B], error) {
	key := t.builder.Key(batch)
	return c.c.Get(key, func() (*cacheEntry[B], error) {
		// Each graph gets its own dropout stream, derived from the seed and key.
		g := NewGraph(t.ps, GraphConfig{Train: c.train, Seed: c.seed ^ hashString(key)})
		feed, err := t.builder.Build(g, batch)
		if err != nil {
			return nil, fmt.Errorf("nnlib: build graph %s: %w", key, err)
		}
		if g.loss == nil {
			return nil, fmt.Errorf("nnlib: build graph %s: no loss set", key)
		}
		m, err := g.Compile()
		if err != nil {
			return nil, fmt.Errorf("nnlib: graph %s: %w", key, err)
		}
		return &cacheEntry[B]{key: key, m: m, feed: feed}, nil
	})
}

func (c *graphCache[B]) purge() { c.c.Purge() }

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// BucketConfig configures length bucketing.
type BucketConfig struct {
	// BatchSize is the number of sequences per batch.
	BatchSize int
	// Width rounds padded lengths up to a multiple of Width so batches of
	// similar length share a graph (default 8).
	Width int
	// Shuffle randomises the order of batches (and of equal-length items).
	Shuffle bool
}

// Buckets groups items into batches of similar length: items are sorted by
// length (ties and, with Shuffle, batch order randomised by rng) and cut
// into batches of BatchSize, so padding is small. It returns item indices
// per batch; PadLen gives the padded length for a batch's longest item.
func Buckets(lengths []int, cfg BucketConfig, rng *rand.Rand) ([][]int, error) {
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("nnlib: buckets: batch size %d must be positive", cfg.BatchSize)
	}
	idx := make([]int, len(lengths))
	for i := range idx {
		idx[i] = i
	}
	if cfg.Shuffle && rng != nil {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	sort.SliceStable(idx, func(a, b int) bool { return lengths[idx[a]] < lengths[idx[b]] })
	var out [][]int
	for i := 0; i < len(idx); i += cfg.BatchSize {
		out = append(out, idx[i:min(i+cfg.BatchSize, len(idx))])
	}
	if cfg.Shuffle && rng != nil {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out, nil
}

// PadLen rounds n up to a positive multiple of width (width <= 0 means 8).
func PadLen(n, width int) int {
	if width <= 0 {
		width = 8
	}
	if n < 1 {
		n = 1
	}
	return (n + width - 1) / width * width
}
