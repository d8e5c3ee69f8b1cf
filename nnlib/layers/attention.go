package layers

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
)

// AttentionKind selects the score function of an attention layer.
type AttentionKind int

const (
	// Additive is Bahdanau attention, v·tanh(U·h_s + W·q + b).
	Additive AttentionKind = iota
	// Location is Chorowski's location-aware attention: additive attention
	// that also sees a convolution of the previous step's weights.
	Location
	// General is Luong's multiplicative attention, q·W·h_s.
	General
	// Dot is Luong's dot attention, q·h_s (query size must equal value size).
	Dot
)

var attentionNames = []string{"additive", "location", "general", "dot"}

func (k AttentionKind) String() string {
	if k < 0 || int(k) >= len(attentionNames) {
		return fmt.Sprintf("AttentionKind(%d)", int(k))
	}
	return attentionNames[k]
}

// ParseAttentionKind parses "additive", "location", "general" or "dot".
func ParseAttentionKind(s string) (AttentionKind, error) {
	for i, n := range attentionNames {
		if n == s {
			return AttentionKind(i), nil
		}
	}
	return 0, fmt.Errorf("layers: unknown attention kind %q (want additive, location, general or dot)", s)
}

// AttentionConfig describes an attention layer.
type AttentionConfig struct {
	Kind AttentionKind
	// Query and Value are the sizes of the query (decoder state) and of
	// the attended vectors; Dim is the additive attention's hidden size.
	Query, Value, Dim int
	// Filters and Width shape the location features (Location only;
	// defaults 10 and 31 as in Chorowski et al.).
	Filters, Width int
}

// Attention scores encoder states against a query and returns their
// weighted average (the context) and the weights.
type Attention struct {
	Cfg                 AttentionConfig
	U                   *nnlib.Param // (Value, Dim) key projection
	W, B, V             *nnlib.Param // (Query, Dim), (Dim), (Dim)
	LocFilters, LocProj *nnlib.Param // (Filters, Width), (Filters, Dim)
	G                   *nnlib.Param // (Query, Value) for General
}

// NewAttention creates the parameters of an attention layer.
func NewAttention(ps *nnlib.ParamSet, name string, cfg AttentionConfig) (*Attention, error) {
	if cfg.Query <= 0 || cfg.Value <= 0 {
		return nil, fmt.Errorf("layers: attention %s: query and value sizes must be positive", name)
	}
	a := &adder{ps: ps, prefix: name}
	at := &Attention{Cfg: cfg}
	switch cfg.Kind {
	case Additive, Location:
		if cfg.Dim <= 0 {
			return nil, fmt.Errorf("layers: attention %s: Dim must be positive", name)
		}
		at.U = a.add("u", []int{cfg.Value, cfg.Dim}, nnlib.Glorot)
		at.W = a.add("w", []int{cfg.Query, cfg.Dim}, nnlib.Glorot)
		at.B = a.add("b", []int{cfg.Dim}, nnlib.Zeros)
		at.V = a.add("v", []int{cfg.Dim}, nnlib.Uniform(1/sqrt(float64(cfg.Dim))))
		if cfg.Kind == Location {
			if at.Cfg.Filters == 0 {
				at.Cfg.Filters = 10
			}
			if at.Cfg.Width == 0 {
				at.Cfg.Width = 31
			}
			if at.Cfg.Width%2 == 0 {
				return nil, fmt.Errorf("layers: attention %s: location filter width %d must be odd", name, at.Cfg.Width)
			}
			at.LocFilters = a.add("loc_filters", []int{at.Cfg.Filters, at.Cfg.Width}, nnlib.Glorot)
			at.LocProj = a.add("loc_proj", []int{at.Cfg.Filters, cfg.Dim}, nnlib.Glorot)
		}
	case General:
		at.G = a.add("g", []int{cfg.Query, cfg.Value}, nnlib.Glorot)
	case Dot:
		if cfg.Query != cfg.Value {
			return nil, fmt.Errorf("layers: attention %s: dot scores need query size %d = value size %d", name, cfg.Query, cfg.Value)
		}
	default:
		return nil, fmt.Errorf("layers: attention %s: unknown kind %v", name, cfg.Kind)
	}
	return at, a.err
}

// Keys precomputes what the attention needs from the values (S, B, Value)
// once per sequence: the key projection for additive kinds, nil otherwise.
func (at *Attention) Keys(g *nnlib.Graph, values *nnlib.Node) *nnlib.Node {
	if at.U == nil {
		return nil
	}
	return g.Linear(values, g.Param(at.U), nil)
}

// NeedsPrev reports whether Step needs the previous weights.
func (at *Attention) NeedsPrev() bool { return at.Cfg.Kind == Location }

// Step attends with query q (B, Query) over values (S, B, Value) with
// lengths lens; keys comes from Keys and prev (B, S) is the previous
// step's weights (Location only). It returns the context (B, Value) and
// the weights (B, S).
func (at *Attention) Step(g *nnlib.Graph, q, keys, values, lens, prev *nnlib.Node) (ctx, alpha *nnlib.Node) {
	switch at.Cfg.Kind {
	case Location:
		return g.LocationAttention(q, keys, values, lens, g.Param(at.W), g.Param(at.B), g.Param(at.V),
			nnlib.LocationParams{Prev: prev, Filters: g.Param(at.LocFilters), Proj: g.Param(at.LocProj)})
	case General:
		return g.LuongAttention(q, values, lens, g.Param(at.G))
	case Dot:
		return g.LuongAttention(q, values, lens, nil)
	default:
		return g.AdditiveAttention(q, keys, values, lens, g.Param(at.W), g.Param(at.B), g.Param(at.V))
	}
}

// HasKeys reports whether the attention projects its values into keys
// (additive kinds), i.e. whether Keys returns a node.
func (at *Attention) HasKeys() bool { return at.U != nil }
