package nnlib

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GorgoniaCTCLoss applies gorgonia v0.9.18's CTCLoss op unchanged (with
// ReductionSum when sum is set, else ReductionMean) to InputInt targets,
// input lengths and target lengths, for the tests that pin down why
// Graph.CTCLoss uses nnlib's own kernel instead (TestGorgoniaCTC).
func (g *Graph) GorgoniaCTCLoss(logProbs, targets, inputLens, targetLens *Node, sum bool) *Node {
	if err := g.checkCTC(logProbs, targets, inputLens, targetLens); err != nil {
		return g.fail(err)
	}
	for _, n := range []*Node{targets, inputLens, targetLens} {
		if n.n.Dtype() != tensor.Int {
			return g.fail(fmt.Errorf("gorgonia ctc loss: %s must be an InputInt node", n.Name()))
		}
	}
	red := G.ReductionMean
	if sum {
		red = G.ReductionSum
	}
	return g.wrap("gorgonia ctc loss", func() (*G.Node, error) {
		return G.CTCLoss(logProbs.n, targets.n, inputLens.n, targetLens.n, red)
	}, logProbs, targets, inputLens, targetLens)
}
