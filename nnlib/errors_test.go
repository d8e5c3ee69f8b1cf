package nnlib_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-ai/parley/nnlib"
)

// TestBadInputIsAnError: shape mistakes are build errors, bad data is a
// run error, and neither panics.
func TestBadInputIsAnError(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	tab, _ := ps.Add("tab", []int{5, 3}, nnlib.Glorot)
	wh, _ := ps.Add("wh", []int{3, 12}, nnlib.Glorot)
	w, _ := ps.Add("w", []int{4, 2}, nnlib.Glorot)

	t.Run("build errors are sticky", func(t *testing.T) {
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		x := g.Input("x", 2, 3)
		y := g.Linear(x, g.Param(w), nil) // 3 != 4
		_ = g.Tanh(y)                     // goes on quietly
		var se *nnlib.ShapeError
		if err := g.Err(); !errors.As(err, &se) {
			t.Fatalf("want a ShapeError, got %v", err)
		}
		if _, err := g.Compile(); err == nil {
			t.Error("Compile after a build error: want error")
		}
	})
	t.Run("duplicate input", func(t *testing.T) {
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		g.Input("x", 2)
		g.Input("x", 2)
		if g.Err() == nil {
			t.Error("want error")
		}
	})
	run := func(t *testing.T, build func(g *nnlib.Graph) (*nnlib.Node, []float32)) error {
		t.Helper()
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		in, data := build(g)
		m, err := g.Compile()
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Let(in, data); err != nil {
			return err
		}
		return m.Run(context.Background())
	}
	t.Run("token id out of range", func(t *testing.T) {
		err := run(t, func(g *nnlib.Graph) (*nnlib.Node, []float32) {
			ids := g.Input("ids", 3)
			g.Output(g.Embedding(ids, g.Param(tab), 0))
			return ids, []float32{1, 7, 2}
		})
		if err == nil {
			t.Error("want error")
		}
	})
	t.Run("length longer than the sequence", func(t *testing.T) {
		err := run(t, func(g *nnlib.Graph) (*nnlib.Node, []float32) {
			lens := g.Input("lens", 2)
			hs, _, _ := g.LSTMSeq(g.Input("xp", 4, 2, 12), g.Param(wh), lens, false)
			g.Output(hs)
			return lens, []float32{4, 9}
		})
		if err == nil {
			t.Error("want error")
		}
	})
	t.Run("data of the wrong size", func(t *testing.T) {
		err := run(t, func(g *nnlib.Graph) (*nnlib.Node, []float32) {
			x := g.Input("x", 2, 4)
			g.Output(g.Linear(x, g.Param(w), nil))
			return x, []float32{1, 2, 3}
		})
		var se *nnlib.ShapeError
		if !errors.As(err, &se) {
			t.Errorf("want a ShapeError, got %v", err)
		}
	})
}
