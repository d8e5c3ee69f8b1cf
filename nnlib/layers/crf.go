package layers

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/nnlib"
)

// CRF is a linear-chain conditional random field over K tags, the output
// layer of a BiLSTM-CRF tagger: it scores whole tag sequences (the
// emissions of a network plus learned tag-to-tag transition scores), is
// trained with Graph.CRFLoss and decodes with Viterbi.
type CRF struct {
	// Trans (K+2, K) holds the transition scores: rows 0..K−1 A[i][j]
	// (tag j after tag i), row K the start and row K+1 the end scores.
	Trans *nnlib.Param
	K     int
}

// NewCRF creates a CRF over tags tags named name (param name.trans,
// initialised to zero: every sequence equally likely a priori).
func NewCRF(ps *nnlib.ParamSet, name string, tags int) (*CRF, error) {
	if tags <= 0 {
		return nil, fmt.Errorf("layers: crf %s: %d tags", name, tags)
	}
	a := &adder{ps: ps, prefix: name}
	c := &CRF{Trans: a.add("trans", []int{tags + 2, tags}, nnlib.Zeros), K: tags}
	return c, a.err
}

// Loss adds the CRF's negative log-likelihood per token (Graph.CRFLoss)
// of gold tags (S,B) given emissions (S,B,K) and lengths (B).
func (c *CRF) Loss(g *nnlib.Graph, emissions, tags, lens *nnlib.Node) *nnlib.Node {
	return g.CRFLoss(emissions, g.Param(c.Trans), tags, lens)
}

// CRFScores is a snapshot of a CRF's transition scores for decoding.
type CRFScores struct {
	Trans      [][]float64 // (K, K): tag j after tag i
	Start, End []float64   // (K)
}

// Scores copies the current transition scores (call it again after
// training changes them).
func (c *CRF) Scores() CRFScores {
	K := c.K
	v := make([]float64, (K+2)*K)
	if d := c.Trans.F64(); d != nil {
		copy(v, d)
	} else {
		for i, x := range c.Trans.F32() {
			v[i] = float64(x)
		}
	}
	s := CRFScores{Trans: make([][]float64, K), Start: v[K*K : (K+1)*K], End: v[(K+1)*K:]}
	for i := range K {
		s.Trans[i] = v[i*K : (i+1)*K]
	}
	return s
}

// Viterbi returns the highest-scoring tag sequence for emissions (N, K)
// and its score. allowed, if not nil, restricts the search: allowed(i, j)
// says whether tag j may follow tag i, and allowed(−1, j) whether j may
// open the sequence (a BIO constraint, say). If no sequence is allowed at
// all the constraint is dropped for the step where the search would die,
// so a path always comes back. An empty input gives a nil path.
func (s CRFScores) Viterbi(emissions [][]float64, allowed func(i, j int) bool) ([]int, float64) {
	N := len(emissions)
	if N == 0 {
		return nil, 0
	}
	K := len(s.Start)
	neg := math.Inf(-1)
	ok := func(i, j int) bool { return allowed == nil || allowed(i, j) }
	score := make([]float64, K)
	for j := range K {
		score[j] = neg
		if ok(-1, j) {
			score[j] = s.Start[j] + emissions[0][j]
		}
	}
	next := make([]float64, K)
	back := make([][]int32, N)
	for t := 1; t < N; t++ {
		back[t] = make([]int32, K)
		for j := range K {
			best, arg := neg, -1
			for i := range K {
				if score[i] == neg || !ok(i, j) {
					continue
				}
				if v := score[i] + s.Trans[i][j]; v > best || arg < 0 {
					best, arg = v, i
				}
			}
			if arg < 0 {
				next[j], back[t][j] = neg, 0
				continue
			}
			next[j], back[t][j] = best+emissions[t][j], int32(arg)
		}
		score, next = next, score
	}
	best, arg := neg, -1
	for j, v := range score {
		if v == neg {
			continue
		}
		if v += s.End[j]; v > best || arg < 0 {
			best, arg = v, j
		}
	}
	if arg < 0 {
		// Every allowed path died (or scores are NaN): fall back to the
		// unconstrained search rather than return nothing.
		if allowed != nil {
			return s.Viterbi(emissions, nil)
		}
		arg = 0
	}
	path := make([]int, N)
	path[N-1] = arg
	for t := N - 1; t > 0; t-- {
		path[t-1] = int(back[t][path[t]])
	}
	return path, best
}
