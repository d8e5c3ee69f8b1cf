package nlu

import (
	"math/rand/v2"
	"sort"
)

// slotValues holds every slot value of a training set (as tokens), by
// slot type, for slot substitution.
type slotValues map[string][][]string

// collectSlotValues gathers the distinct slot values of examples.
func collectSlotValues(examples []Example) slotValues {
	seen := map[string]map[string]bool{}
	sv := slotValues{}
	for _, e := range examples {
		for _, sp := range Spans(e.Tags) {
			toks := e.Tokens[sp.Start:sp.End]
			key := joinTokens(toks)
			if seen[sp.Type] == nil {
				seen[sp.Type] = map[string]bool{}
			}
			if seen[sp.Type][key] {
				continue
			}
			seen[sp.Type][key] = true
			sv[sp.Type] = append(sv[sp.Type], append([]string(nil), toks...))
		}
	}
	// Map iteration order must not leak into training: keep each list in
	// a fixed order.
	for _, vs := range sv {
		sort.Slice(vs, func(i, j int) bool { return joinTokens(vs[i]) < joinTokens(vs[j]) })
	}
	return sv
}

func joinTokens(toks []string) string {
	n := 0
	for _, t := range toks {
		n += len(t) + 1
	}
	b := make([]byte, 0, n)
	for i, t := range toks {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
	}
	return string(b)
}

// substitute returns e with each slot value replaced, with probability
// p, by a random value of the same slot type; the tags follow (B- on the
// first token, I- on the rest). e itself is not changed; changed reports
// whether any value was replaced (if not, e is returned as is).
func (sv slotValues) substitute(e Example, p float64, rng *rand.Rand) (_ Example, changed bool) {
	spans := Spans(e.Tags)
	var out *Example
	at := 0 // the next token of e to copy
	for _, sp := range spans {
		vs := sv[sp.Type]
		if len(vs) < 2 || rng.Float64() >= p {
			continue
		}
		if out == nil {
			out = &Example{Intent: e.Intent, Tokens: make([]string, 0, len(e.Tokens)+4), Tags: make([]string, 0, len(e.Tags)+4)}
		}
		out.Tokens = append(out.Tokens, e.Tokens[at:sp.Start]...)
		out.Tags = append(out.Tags, e.Tags[at:sp.Start]...)
		v := vs[rng.IntN(len(vs))]
		for i, tok := range v {
			out.Tokens = append(out.Tokens, tok)
			if i == 0 {
				out.Tags = append(out.Tags, "B-"+sp.Type)
			} else {
				out.Tags = append(out.Tags, "I-"+sp.Type)
			}
		}
		at = sp.End
	}
	if out == nil {
		return e, false
	}
	out.Tokens = append(out.Tokens, e.Tokens[at:]...)
	out.Tags = append(out.Tags, e.Tags[at:]...)
	return *out, true
}
