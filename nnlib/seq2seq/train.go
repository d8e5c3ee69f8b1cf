package seq2seq

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
)

// Example is one training pair. Src holds token ids (token input) or
// Frames holds feature frames (feature input); Tgt holds target ids
// without BOS/EOS.
type Example struct {
	Src    []int
	Frames [][]float32
	Tgt    []int
	// BOS, when non-zero, replaces Config.BOS as the decoder's first
	// input (see Source.BOS).
	BOS int
}

func (e Example) srcLen() int {
	if e.Frames != nil {
		return len(e.Frames)
	}
	return len(e.Src)
}

// Batch is a group of examples trained together. Its graph is built for
// padded sizes: Size rows (missing rows are empty padding), source length
// rounded up to a multiple of Width, target length (with EOS) likewise.
type Batch struct {
	Examples []Example
	// Size is the padded batch size (0: len(Examples)).
	Size int
	// Width is the length bucket width (0: 8).
	Width int
}

func (b Batch) dims() (B, S, T int) {
	B = max(b.Size, len(b.Examples))
	s, t := 1, 1
	for _, e := range b.Examples {
		s = max(s, e.srcLen())
		t = max(t, len(e.Tgt)+1)
	}
	return B, nnlib.PadLen(s, b.Width), nnlib.PadLen(t, b.Width)
}

// Trainer returns an nnlib.Builder that builds this model's training
// graphs for nnlib.Trainer.
func (m *Model) Trainer() nnlib.Builder[Batch] { return builder{m} }

type builder struct{ m *Model }

func (b builder) Key(batch Batch) string {
	B, S, T := batch.dims()
	return fmt.Sprintf("B%d.S%d.T%d", B, S, T)
}

func (b builder) Build(g *nnlib.Graph, batch Batch) (nnlib.Feed[Batch], error) {
	m := b.m
	B, S, T := batch.dims()
	D := m.encDim()
	var src *nnlib.Node
	if m.Cfg.SrcFeatures > 0 {
		src = g.Input("src", S, B, m.Cfg.SrcFeatures)
	} else {
		src = g.Input("src", S, B)
	}
	lens := g.Input("src_lens", B)
	tgtIn := g.Input("tgt_in", T, B)
	tgtOut := g.Input("tgt_out", T*B)
	ctx0 := g.Input("ctx0", B, D)
	var prev *nnlib.Node
	if m.att.NeedsPrev() {
		prev = g.Input("alpha0", B, S)
	}
	e := m.encode(g, src, lens)
	emb := g.Dropout(m.tgtEmb.Fwd(g, tgtIn), m.Cfg.Dropout)
	steps := g.Unstack(emb)
	h, c, ctx := e.h0, e.c0, ctx0
	feats := make([]*nnlib.Node, 0, T)
	for t := 0; t < T && g.Err() == nil; t++ {
		var f *nnlib.Node
		h, c, ctx, prev, f = m.decodeStep(g, e, lens, steps[t], h, c, ctx, prev)
		feats = append(feats, f)
	}
	out := g.Dropout(g.Concat(0, feats...), m.Cfg.Dropout)
	logits := m.out.Fwd(g, out)
	g.SetLoss(g.CrossEntropy(logits, tgtOut, m.Cfg.LabelSmoothing))
	if err := g.Err(); err != nil {
		return nil, err
	}
	zeros := make([]float32, B*D)
	var zerosA []float32
	if m.att.NeedsPrev() {
		zerosA = make([]float32, B*S)
	}
	return func(mc *nnlib.Machine, batch Batch) error {
		in, err := m.padBatch(batch, B, S, T)
		if err != nil {
			return err
		}
		for _, l := range []struct {
			n *nnlib.Node
			v []float32
		}{{src, in.src}, {lens, in.lens}, {tgtIn, in.tgtIn}, {tgtOut, in.tgtOut}, {ctx0, zeros}} {
			if err := mc.Let(l.n, l.v); err != nil {
				return err
			}
		}
		if zerosA != nil {
			return mc.Let(g.InputNode("alpha0"), zerosA)
		}
		return nil
	}, nil
}

type padded struct {
	src, lens, tgtIn, tgtOut []float32
}

// padSource lays out sources time-major: ids (S,B) or frames (S,B,F).
func (m *Model) padSource(exs []Example, B, S int) (src, lens []float32, err error) {
	F := m.Cfg.SrcFeatures
	if F > 0 {
		src = make([]float32, S*B*F)
	} else {
		src = make([]float32, S*B)
		if m.Cfg.Pad != 0 {
			for i := range src {
				src[i] = float32(m.Cfg.Pad)
			}
		}
	}
	lens = make([]float32, B)
	for b, e := range exs {
		n := e.srcLen()
		if n > S {
			return nil, nil, fmt.Errorf("seq2seq: source %d has length %d > %d", b, n, S)
		}
		lens[b] = float32(n)
		if F > 0 {
			for t, fr := range e.Frames {
				if len(fr) != F {
					return nil, nil, fmt.Errorf("seq2seq: source %d frame %d has %d features, want %d", b, t, len(fr), F)
				}
				copy(src[(t*B+b)*F:], fr)
			}
			continue
		}
		for t, id := range e.Src {
			if id < 0 || id >= m.Cfg.SrcVocab {
				return nil, nil, fmt.Errorf("seq2seq: source %d token %d: id %d outside vocabulary of %d", b, t, id, m.Cfg.SrcVocab)
			}
			src[t*B+b] = float32(id)
		}
	}
	return src, lens, nil
}

func (m *Model) padBatch(batch Batch, B, S, T int) (padded, error) {
	if len(batch.Examples) > B {
		return padded{}, fmt.Errorf("seq2seq: batch of %d examples for a graph of %d", len(batch.Examples), B)
	}
	var p padded
	var err error
	if p.src, p.lens, err = m.padSource(batch.Examples, B, S); err != nil {
		return p, err
	}
	p.tgtIn = make([]float32, T*B)
	p.tgtOut = make([]float32, T*B)
	for i := range p.tgtOut {
		p.tgtOut[i] = -1
		p.tgtIn[i] = float32(m.Cfg.Pad)
	}
	for b, e := range batch.Examples {
		if len(e.Tgt)+1 > T {
			return p, fmt.Errorf("seq2seq: target %d has length %d > %d", b, len(e.Tgt), T-1)
		}
		prev := m.Cfg.BOS
		if e.BOS != 0 {
			if e.BOS < 0 || e.BOS >= m.Cfg.TgtVocab {
				return p, fmt.Errorf("seq2seq: example %d: BOS %d outside the target vocabulary of %d", b, e.BOS, m.Cfg.TgtVocab)
			}
			prev = e.BOS
		}
		for t := 0; t <= len(e.Tgt); t++ {
			y := m.Cfg.EOS
			if t < len(e.Tgt) {
				y = e.Tgt[t]
				if y < 0 || y >= m.Cfg.TgtVocab {
					return p, fmt.Errorf("seq2seq: target %d token %d: id %d outside vocabulary of %d", b, t, y, m.Cfg.TgtVocab)
				}
			}
			p.tgtIn[t*B+b] = float32(prev)
			p.tgtOut[t*B+b] = float32(y)
			prev = y
		}
	}
	return p, nil
}
