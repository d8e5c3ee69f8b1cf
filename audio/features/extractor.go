package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/parley-ai/parley/audio"
	"github.com/parley-ai/parley/nnlib"
)

// ErrRateMismatch is returned for a signal whose rate is not the config's
// SampleRate.
var ErrRateMismatch = errors.New("features: signal rate differs from the config's SampleRate")

// Limits of the network stage: a run covers at most maxRows frames (longer
// inputs take several runs), and at most maxIdle compiled graphs are kept.
const (
	maxRows = 1024
	maxIdle = 16
)

// Extractor computes Kaldi-compatible features for one Config: the plan
// object holding the window, the FFT plan, the filterbank and DCT
// matrices and a bounded cache of compiled nnlib graphs. Framing, dither,
// DC removal, pre-emphasis, windowing and the FFT run in plain Go
// (float64); the matrix stage (power spectrum × filterbank, floored log,
// × DCT with the lifter folded in) runs as an nnlib inference graph
// (float32) over the frames of one or several signals at once.
//
// An Extractor is safe for concurrent use by multiple goroutines.
type Extractor struct {
	cfg  Config
	geo  geometry
	win  []float64
	fft  *fftPlan
	mel  *melBank
	ps   *nnlib.ParamSet
	melW *nnlib.Param // (nfft/2, MelBins)
	dctW *nnlib.Param // (MelBins, NumCeps), lifter folded in

	mu   sync.Mutex
	idle []*graph // compiled graphs not in use, most recently used last
}

// New returns an Extractor for cfg, or an error wrapping ErrInvalidConfig
// when cfg does not validate.
func New(cfg Config) (*Extractor, error) {
	geo, err := cfg.geometry()
	if err != nil {
		return nil, err
	}
	mel, err := melBanks(cfg) // the rest of Validate
	if err != nil {
		return nil, err
	}
	e := &Extractor{
		cfg: cfg,
		geo: geo,
		win: windowFunc(cfg.Window, geo.winLen, cfg.BlackmanCoeff),
		fft: newFFTPlan(geo.nfft),
		mel: mel,
		ps:  nnlib.NewParamSet(nnlib.Float32, 0),
	}
	dct := dctMatrix(cfg.MelBins, cfg.MFCC.NumCeps, cfg.MFCC.Lifter)
	if e.melW, err = e.ps.Add("mel", []int{mel.nbins, mel.nmel}, copyInit(mel.w)); err != nil {
		return nil, err
	}
	if e.dctW, err = e.ps.Add("dct", []int{cfg.MelBins, cfg.MFCC.NumCeps}, copyInit(dct)); err != nil {
		return nil, err
	}
	return e, nil
}

// copyInit is an nnlib initialiser that copies fixed values.
func copyInit(v []float32) nnlib.Init {
	return func(dst []float64, _ []int, _ *rand.Rand) {
		for i, x := range v {
			dst[i] = float64(x)
		}
	}
}

// Config returns the extractor's configuration.
func (e *Extractor) Config() Config { return e.cfg }

// NumFrames returns the number of frames of a signal of n samples (see
// Config.SnipEdges).
func (e *Extractor) NumFrames(n int) int { return e.geo.numFrames(n, e.cfg.SnipEdges) }

// FFTSize returns the FFT length: the frame length in samples, or the next
// power of two with RoundToPowerOfTwo. Spectra have FFTSize/2+1 bins.
func (e *Extractor) FFTSize() int { return e.geo.nfft }

// FbankDim returns the number of columns of Fbank: MelBins, plus one with
// UseEnergy.
func (e *Extractor) FbankDim() int {
	if e.cfg.UseEnergy {
		return e.cfg.MelBins + 1
	}
	return e.cfg.MelBins
}

// MFCCDim returns the number of columns of MFCC: MFCC.NumCeps.
func (e *Extractor) MFCCDim() int { return e.cfg.MFCC.NumCeps }

// Fbank computes Kaldi's log-mel filterbank features of s (as
// compute-fbank-feats): NumFrames(len(s.Samples)) rows of FbankDim()
// columns, ln(max(Σ_k w_bk·S_k, ε)) for mel bin b over the power (or
// magnitude) spectrum S, with the log energy first (last with HTKCompat)
// when UseEnergy is set. A signal shorter than one frame gives a matrix
// with no rows. The result is written into dst when its capacity
// suffices (see Matrix).
func (e *Extractor) Fbank(dst Matrix, s audio.Signal) (Matrix, error) {
	outs, err := e.mels(context.Background(), fbankKind, []audio.Signal{s}, []Matrix{dst})
	if err != nil {
		return Matrix{}, err
	}
	return outs[0], nil
}

// MFCC computes Kaldi's mel-frequency cepstral coefficients of s (as
// compute-mfcc-feats): the orthonormal DCT-II of the log-mel energies
// (always of the power spectrum), first MFCC.NumCeps coefficients,
// liftered, C0 replaced by the log energy with MFCC.UseEnergy, and with
// HTKCompat C0 (or the energy) moved last. NumFrames rows of MFCCDim()
// columns; dst as for Fbank.
func (e *Extractor) MFCC(dst Matrix, s audio.Signal) (Matrix, error) {
	outs, err := e.mels(context.Background(), mfccKind, []audio.Signal{s}, []Matrix{dst})
	if err != nil {
		return Matrix{}, err
	}
	return outs[0], nil
}

// FbankBatch computes Fbank for several signals in one pass: their frames
// are concatenated into shared network runs, which is faster than one
// call per signal for short signals. out[i] belongs to sigs[i] and equals
// Fbank of it alone. ctx is checked between runs.
func (e *Extractor) FbankBatch(ctx context.Context, sigs []audio.Signal) ([]Matrix, error) {
	return e.mels(ctx, fbankKind, sigs, nil)
}

// MFCCBatch is the MFCC counterpart of FbankBatch.
func (e *Extractor) MFCCBatch(ctx context.Context, sigs []audio.Signal) ([]Matrix, error) {
	return e.mels(ctx, mfccKind, sigs, nil)
}

// Spectrogram computes Kaldi's log power spectrogram of s (as
// compute-spectrogram-feats): FFTSize()/2+1 columns ln(max(|X_k|², ε)),
// except column 0, which holds the frame's log energy (raw or windowed,
// floored at EnergyFloor). It runs in plain Go; dst as for Fbank.
func (e *Extractor) Spectrogram(dst Matrix, s audio.Signal) (Matrix, error) {
	return e.spectra(dst, s, true)
}

// PowerSpectrum computes the power spectra |X_k|², k = 0..FFTSize()/2, of
// the frames of s (after dither, DC removal, pre-emphasis and window, as
// for the other features), without log or energy. dst as for Fbank.
func (e *Extractor) PowerSpectrum(dst Matrix, s audio.Signal) (Matrix, error) {
	return e.spectra(dst, s, false)
}

func (e *Extractor) checkSignal(s audio.Signal) error {
	if s.Rate != e.cfg.SampleRate {
		return fmt.Errorf("%w: signal at %d Hz, config at %d Hz", ErrRateMismatch, s.Rate, e.cfg.SampleRate)
	}
	return nil
}

func (e *Extractor) spectra(dst Matrix, s audio.Signal, logSpec bool) (Matrix, error) {
	if err := e.checkSignal(s); err != nil {
		return Matrix{}, err
	}
	nb := e.geo.nfft/2 + 1
	out := reuse(dst, e.NumFrames(len(s.Samples)), nb)
	f := e.newFramer()
	for t := 0; t < out.Rows; t++ {
		le := f.frame(s.Samples, t)
		row := out.Row(t)
		for k, v := range f.spec {
			if logSpec {
				v = math.Log(math.Max(v, epsilon))
			}
			row[k] = float32(v)
		}
		if logSpec {
			row[0] = float32(le)
		}
	}
	return out, nil
}

// kind is a network graph's output.
type kind int

const (
	fbankKind kind = iota // log-mel energies
	mfccKind              // cepstra
)

// graph is one compiled network for a kind and a number of rows.
type graph struct {
	kind kind
	rows int
	m    *nnlib.Machine
	x, y *nnlib.Node
}

// build compiles the network of k over rows frames:
//
//	fbank: y = log(max(S·M, ε))               S (rows, nfft/2), M the filterbank
//	mfcc:  y = log(max(S·M, ε))·(D·diag(L))   D the DCT, L the lifter
//
// S·M is a BandLinear: each mel bin reads only the FFT bins under its
// triangle, about 2·nfft/2 multiply-adds per frame instead of
// nfft/2·MelBins.
func (e *Extractor) build(k kind, rows int) (*graph, error) {
	g := nnlib.NewGraph(e.ps, nnlib.GraphConfig{})
	x := g.Input("spectrum", rows, e.mel.nbins)
	y := g.Log(g.BandLinear(x, g.Param(e.melW), e.mel.lo, e.mel.hi), epsilon)
	if k == mfccKind {
		y = g.Linear(y, g.Param(e.dctW), nil)
	}
	g.Output(y)
	m, err := g.Compile()
	if err != nil {
		return nil, fmt.Errorf("features: build network: %w", err)
	}
	return &graph{kind: k, rows: rows, m: m, x: x, y: y}, nil
}

// acquire returns an idle compiled graph for (k, rows), or a new one.
func (e *Extractor) acquire(k kind, rows int) (*graph, error) {
	e.mu.Lock()
	for i := len(e.idle) - 1; i >= 0; i-- {
		if g := e.idle[i]; g.kind == k && g.rows == rows {
			e.idle = append(e.idle[:i], e.idle[i+1:]...)
			e.mu.Unlock()
			return g, nil
		}
	}
	e.mu.Unlock()
	return e.build(k, rows)
}

// release returns g to the cache, dropping the least recently used graph
// beyond maxIdle.
func (e *Extractor) release(g *graph) {
	e.mu.Lock()
	e.idle = append(e.idle, g)
	var old *graph
	if len(e.idle) > maxIdle {
		old = e.idle[0]
		e.idle = append(e.idle[:0], e.idle[1:]...)
	}
	e.mu.Unlock()
	if old != nil {
		old.m.Close() // releases nothing a later run needs; its error is moot
	}
}

// cachedGraphs reports how many compiled graphs are idle in the cache.
func (e *Extractor) cachedGraphs() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.idle)
}

// bucket rounds a number of frames n up to a graph size: multiples of 32
// up to 256, then steps of an eighth of the next power of two (so the
// padding is under n/4 rows, n/16 on average), which bounds the number of
// distinct graphs to a few dozen.
func bucket(n int) int {
	if n <= 32 {
		return 32
	}
	p := 1
	for p < n {
		p <<= 1
	}
	step := max(32, p/8)
	return (n + step - 1) / step * step
}

// network runs the graph of k over rows frames of spectrum (rows·nfft/2
// values) and returns its output.
func (e *Extractor) network(ctx context.Context, k kind, rows int, spectrum []float32) ([]float32, error) {
	g, err := e.acquire(k, rows)
	if err != nil {
		return nil, err
	}
	defer e.release(g)
	if err := g.m.Let(g.x, spectrum); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	if err := g.m.Run(ctx); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	y, err := g.m.Float32s(g.y)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	return y, nil
}

// mels computes Fbank or MFCC for sigs. The frames of all signals go, in
// order, into runs of at most maxRows rows (the last padded to its
// bucket); each run's rows are then copied to their signal's output,
// with the energy put in place.
func (e *Extractor) mels(ctx context.Context, k kind, sigs []audio.Signal, dsts []Matrix) ([]Matrix, error) {
	dim := e.FbankDim()
	if k == mfccKind {
		dim = e.MFCCDim()
	}
	outs := make([]Matrix, len(sigs))
	total := 0
	for i, s := range sigs {
		if err := e.checkSignal(s); err != nil {
			if len(sigs) > 1 {
				return nil, fmt.Errorf("signal %d: %w", i, err)
			}
			return nil, err
		}
		var dst Matrix
		if dsts != nil {
			dst = dsts[i]
		}
		outs[i] = reuse(dst, e.NumFrames(len(s.Samples)), dim)
		total += outs[i].Rows
	}
	if total == 0 {
		return outs, nil
	}
	nb := e.mel.nbins
	capRows := bucket(min(total, maxRows))
	spectrum := make([]float32, capRows*nb)
	energy := make([]float64, capRows)
	type ref struct{ sig, frame int32 }
	refs := make([]ref, capRows)
	rows := 0
	flush := func() error {
		b := bucket(rows)
		clear(spectrum[rows*nb : b*nb])
		y, err := e.network(ctx, k, b, spectrum[:b*nb])
		if err != nil {
			return err
		}
		cols := e.mel.nmel
		if k == mfccKind {
			cols = e.cfg.MFCC.NumCeps
		}
		for r, rf := range refs[:rows] {
			e.place(k, outs[rf.sig].Row(int(rf.frame)), y[r*cols:(r+1)*cols], energy[r])
		}
		rows = 0
		return nil
	}
	f := e.newFramer()
	magnitude := k == fbankKind && !e.cfg.UsePower
	for i, s := range sigs {
		f.reset()
		for t := 0; t < outs[i].Rows; t++ {
			energy[rows] = f.frame(s.Samples, t)
			row := spectrum[rows*nb : (rows+1)*nb]
			for j := range row {
				v := f.spec[j]
				if magnitude {
					v = math.Sqrt(v)
				}
				row[j] = float32(v)
			}
			refs[rows] = ref{int32(i), int32(t)}
			rows++
			if rows == maxRows {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if rows > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// place writes one frame's network output y and log energy into its
// output row, in Kaldi's column order.
func (e *Extractor) place(k kind, row, y []float32, logEnergy float64) {
	c := &e.cfg
	if k == fbankKind {
		switch {
		case !c.UseEnergy:
			copy(row, y)
		case c.HTKCompat:
			copy(row, y)
			row[len(y)] = float32(logEnergy)
		default:
			row[0] = float32(logEnergy)
			copy(row[1:], y)
		}
		return
	}
	copy(row, y)
	if c.MFCC.UseEnergy {
		row[0] = float32(logEnergy)
	}
	if c.HTKCompat {
		c0 := row[0]
		if !c.MFCC.UseEnergy {
			c0 *= math.Sqrt2
		}
		copy(row, row[1:])
		row[len(row)-1] = c0
	}
}
