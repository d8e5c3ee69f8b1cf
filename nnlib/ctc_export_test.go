package nnlib

import G "gorgonia.org/gorgonia"

// GorgoniaCTCLoss applies gorgonia v0.9.18's CTCLoss op unchanged (with
// ReductionSum when sum is set, else ReductionMean), for the tests that pin
// down why Graph.CTCLoss refuses to use it (ErrCTCUnavailable).
func (g *Graph) GorgoniaCTCLoss(logProbs, targets, inputLens, targetLens *Node, sum bool) *Node {
	if err := g.checkCTC(logProbs, targets, inputLens, targetLens); err != nil {
		return g.fail(err)
	}
	red := G.ReductionMean
	if sum {
		red = G.ReductionSum
	}
	return g.wrap("gorgonia ctc loss", func() (*G.Node, error) {
		return G.CTCLoss(logProbs.n, targets.n, inputLens.n, targetLens.n, red)
	}, logProbs, targets, inputLens, targetLens)
}
