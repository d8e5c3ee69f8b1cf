package translate

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file scores translations the way sacreBLEU 2.x does, so that the
// numbers can be compared with published ones: corpus BLEU-4 with the
// mteval-v13a tokenisation and the 'exp' smoothing (sacreBLEU's defaults),
// and chrF2 (character 6-grams, beta 2, whitespace ignored).
//
// Conventions shared with sacreBLEU:
//   - refs[k][i] is the k-th reference of sentence i, so every refs[k]
//     holds one line per hypothesis.
//   - An empty reference ("") is skipped: sentence i is scored against the
//     non-empty ones only (a variable number of references per sentence).
//     A sentence with no non-empty reference is an error.
//   - Empty hypotheses are kept (they score nothing but count).
//   - "Whitespace" and "lower case" are Python's: str.split, str.rstrip and
//     str.lower semantics, which differ from Go's in a few code points.

// BLEUOptions configures CorpusBLEU. The zero value is sacreBLEU's default:
// case-sensitive, 13a tokenisation.
type BLEUOptions struct {
	// Lowercase lowercases hypotheses and references before tokenising
	// (sacreBLEU's -lc).
	Lowercase bool
	// Tokenize is "13a" (the default, also for "") or "none", which only
	// splits on whitespace (for text that is already tokenised).
	Tokenize string
}

// BLEU is a corpus BLEU-4 score with the statistics sacreBLEU prints.
type BLEU struct {
	// Score is BLEU on a 0–100 scale.
	Score float64
	// Precisions are the n-gram precisions for n = 1..4 in percent, after
	// smoothing (the ones that entered Score). When no n-gram matched at
	// all, or the hypotheses have no n-grams of some order, the affected
	// precisions are 0, as in sacreBLEU.
	Precisions [4]float64
	// BP is the brevity penalty, exp(1 - RefLen/HypLen) when the
	// hypotheses are shorter than the references, else 1.
	BP float64
	// Ratio is HypLen / RefLen (0 when RefLen is 0).
	Ratio float64
	// HypLen is the number of hypothesis tokens.
	HypLen int
	// RefLen is the effective reference length: for each sentence the
	// length of the reference closest to the hypothesis length (the shorter
	// one on ties), summed over the corpus.
	RefLen int
}

// String formats b as sacreBLEU's verbose score line, e.g.
// "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".
func (b BLEU) String() string {
	return fmt.Sprintf("BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		b.Score, b.Precisions[0], b.Precisions[1], b.Precisions[2], b.Precisions[3],
		b.BP, b.Ratio, b.HypLen, b.RefLen)
}

// bleuMaxOrder is the largest n-gram order BLEU counts.
const bleuMaxOrder = 4

// CorpusBLEU returns the corpus-level BLEU-4 of hyps against refs, as
// sacreBLEU's corpus_bleu(hyps, refs) computes it with its defaults
// (smooth_method 'exp', no effective order): clipped n-gram matches and
// n-gram totals are summed over the corpus, an order with no match gets
// precision 100/(2^k·total) for the k-th such order, and the score is
// BP·exp(mean log precision). A corpus with no matching n-gram at all
// scores 0.
//
// refs[k][i] is the k-th reference of sentence i; every refs[k] must have
// len(hyps) lines. Empty references are skipped; it is an error when a
// sentence has none, when the lengths differ, when there are no
// hypotheses or no references, or when opt.Tokenize is unknown.
func CorpusBLEU(hyps []string, refs [][]string, opt BLEUOptions) (BLEU, error) {
	var tokenize func(string) []string
	switch opt.Tokenize {
	case "", "13a":
		tokenize = Tokenize13a
	case "none":
		tokenize = pyFields
	default:
		return BLEU{}, fmt.Errorf("translate: unknown BLEU tokenizer %q (want \"13a\" or \"none\")", opt.Tokenize)
	}
	if err := checkScoreCorpus(hyps, refs); err != nil {
		return BLEU{}, err
	}
	prep := func(s string) []string {
		if opt.Lowercase {
			s = pyLower(s)
		}
		return tokenize(strings.TrimRightFunc(s, pyIsSpace))
	}

	var correct, total [bleuMaxOrder]int
	sysLen, refLen := 0, 0
	for i, hyp := range hyps {
		rs, err := nonEmptyRefs(refs, i)
		if err != nil {
			return BLEU{}, err
		}
		// Maximum count of each n-gram over the references, and their lengths.
		refMax := make(map[string]int)
		refLens := make([]int, len(rs))
		for k, r := range rs {
			toks := prep(r)
			refLens[k] = len(toks)
			for g, c := range countWordNgrams(toks, 1, bleuMaxOrder) {
				refMax[g] = max(refMax[g], c)
			}
		}
		toks := prep(hyp)
		sysLen += len(toks)
		refLen += bleuClosestRefLen(len(toks), refLens)
		for n := 1; n <= bleuMaxOrder; n++ {
			for g, c := range countWordNgrams(toks, n, n) {
				total[n-1] += c
				correct[n-1] += min(c, refMax[g])
			}
		}
	}
	return computeBLEU(correct, total, sysLen, refLen), nil
}

// computeBLEU is sacreBLEU's BLEU.compute_bleu with smooth_method 'exp'
// and effective_order off, floating-point operations in the same order.
func computeBLEU(correct, total [bleuMaxOrder]int, sysLen, refLen int) BLEU {
	b := BLEU{HypLen: sysLen, RefLen: refLen, BP: 1}
	if sysLen < refLen {
		b.BP = 0
		if sysLen > 0 {
			b.BP = math.Exp(1 - float64(refLen)/float64(sysLen))
		}
	}
	if refLen > 0 {
		b.Ratio = float64(sysLen) / float64(refLen)
	}
	anyMatch := false
	for _, c := range correct {
		anyMatch = anyMatch || c > 0
	}
	if !anyMatch {
		return b // sacreBLEU's early stop: score and precisions 0
	}
	smooth := 1.0
	for n := range bleuMaxOrder {
		if total[n] == 0 {
			break
		}
		if correct[n] == 0 {
			smooth *= 2
			b.Precisions[n] = 100 / (smooth * float64(total[n]))
		} else {
			b.Precisions[n] = 100 * float64(correct[n]) / float64(total[n])
		}
	}
	sum := 0.0
	for _, p := range b.Precisions {
		if p == 0 {
			sum += -9999999999 // sacreBLEU's my_log(0)
		} else {
			sum += math.Log(p)
		}
	}
	b.Score = b.BP * math.Exp(sum/bleuMaxOrder)
	return b
}

// bleuClosestRefLen returns the reference length closest to hypLen, the
// shorter one on ties.
func bleuClosestRefLen(hypLen int, refLens []int) int {
	bestDiff, best := -1, -1
	for _, l := range refLens {
		d := hypLen - l
		if d < 0 {
			d = -d
		}
		if bestDiff == -1 || d < bestDiff || (d == bestDiff && l < best) {
			bestDiff, best = d, l
		}
	}
	return best
}

// countWordNgrams counts the n-grams of toks for minN <= n <= maxN, each keyed
// by its tokens joined with single spaces (tokens never contain spaces).
func countWordNgrams(toks []string, minN, maxN int) map[string]int {
	m := make(map[string]int)
	for n := minN; n <= maxN; n++ {
		for i := 0; i+n <= len(toks); i++ {
			m[strings.Join(toks[i:i+n], " ")]++
		}
	}
	return m
}

// Tokenize13a splits line into tokens as sacreBLEU's '13a' tokenizer does
// (the tokenisation of mteval-v13a.pl, the WMT standard): it drops
// "<skipped>", joins lines ending in "-", unescapes &quot; &amp; &lt; &gt;,
// puts spaces around ASCII punctuation and symbols except the apostrophe,
// '-', '.' and ',', splits '.' and ',' unless both neighbours are digits
// (so "3.5" and "1,000" stay whole, "end." does not), splits '-' after a
// digit, and splits on whitespace. Non-ASCII characters such as '¿' or '€' are never
// split off. CorpusBLEU also strips trailing whitespace first, as
// sacreBLEU does.
func Tokenize13a(line string) []string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	s := " " + line + " "

	// The four regular expressions of sacreBLEU's TokenizerRegexp, applied
	// in turn, each as a left-to-right scan for non-overlapping matches
	// (re.sub). All the characters they name are ASCII and UTF-8
	// continuation bytes are never ASCII, so scanning bytes gives the same
	// result as scanning code points.
	var b strings.Builder
	b.Grow(2 * len(s))
	// ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
	for i := 0; i < len(s); i++ {
		if is13aSymbol(s[i]) {
			b.WriteByte(' ')
			b.WriteByte(s[i])
			b.WriteByte(' ')
		} else {
			b.WriteByte(s[i])
		}
	}
	s = b.String()
	// ([^0-9])([\.,]) -> "\1 \2 "
	s = tok13aPairs(s, func(x, y byte) bool { return !tok13aDigit(x) && tok13aDotComma(y) }, false, true)
	// ([\.,])([^0-9]) -> " \1 \2"
	s = tok13aPairs(s, func(x, y byte) bool { return tok13aDotComma(x) && !tok13aDigit(y) }, true, false)
	// ([0-9])(-) -> "\1 \2 "
	s = tok13aPairs(s, func(x, y byte) bool { return tok13aDigit(x) && y == '-' }, false, true)
	return pyFields(s)
}

// tok13aPairs scans s left to right for non-overlapping byte pairs
// (x, y) with match(x, y), as re.sub does with a two-character pattern,
// and rewrites each as "x y", with a space before it when lead and after
// it when trail.
func tok13aPairs(s string, match func(x, y byte) bool, lead, trail bool) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); {
		if i+1 < len(s) && match(s[i], s[i+1]) {
			if lead {
				b.WriteByte(' ')
			}
			b.WriteByte(s[i])
			b.WriteByte(' ')
			b.WriteByte(s[i+1])
			if trail {
				b.WriteByte(' ')
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// is13aSymbol reports whether c is in mteval-v13a's symbol class
// [{-~[-` -&(-+:-@/], which includes the space.
func is13aSymbol(c byte) bool {
	return c >= '{' && c <= '~' || c >= '[' && c <= '`' || c >= ' ' && c <= '&' ||
		c >= '(' && c <= '+' || c >= ':' && c <= '@' || c == '/'
}

func tok13aDigit(c byte) bool    { return c >= '0' && c <= '9' }
func tok13aDotComma(c byte) bool { return c == '.' || c == ',' }

// ChrF is a corpus chrF score.
type ChrF struct {
	// Score is chrF on a 0–100 scale.
	Score float64
}

// String formats c as sacreBLEU does, e.g. "chrF2 = 61.58".
func (c ChrF) String() string { return fmt.Sprintf("chrF2 = %.2f", c.Score) }

// CorpusChrF returns the corpus-level chrF2 of hyps against refs with
// sacreBLEU 2.x's defaults (character n-grams up to 6, no word n-grams,
// beta 2, whitespace removed before extracting n-grams, case-sensitive, no
// epsilon smoothing). For each sentence the hypothesis, reference and
// matched n-gram counts of every order are taken against the reference
// with the best sentence-level chrF (the first on ties) and summed over the
// corpus; then precision and recall are averaged over the orders for which
// both hypothesis and reference have n-grams, and the score is the F-beta
// of those averages.
//
// refs follows CorpusBLEU's layout and rules: refs[k][i] is the k-th
// reference of sentence i, empty references are skipped, and the same
// conditions are errors.
func CorpusChrF(hyps []string, refs [][]string) (ChrF, error) {
	s, err := defaultChrF.corpus(hyps, refs)
	return ChrF{Score: s}, err
}

// chrfConfig holds the parameters of sacreBLEU's CHRF class, so that the
// tests can check the code against sacreBLEU's published values for other
// settings too; CorpusChrF uses defaultChrF.
type chrfConfig struct {
	charOrder, wordOrder int
	beta                 float64
	lowercase            bool
	whitespace           bool // keep whitespace in character n-grams
	epsSmoothing         bool // average F over orders with eps for empty ones
}

var defaultChrF = chrfConfig{charOrder: 6, wordOrder: 0, beta: 2}

func (c chrfConfig) order() int { return c.charOrder + c.wordOrder }

// corpus is CHRF.corpus_score.
func (c chrfConfig) corpus(hyps []string, refs [][]string) (float64, error) {
	if err := checkScoreCorpus(hyps, refs); err != nil {
		return 0, err
	}
	sum := make([]int, 3*c.order())
	for i, hyp := range hyps {
		rs, err := nonEmptyRefs(refs, i)
		if err != nil {
			return 0, err
		}
		for j, v := range c.sentenceStats(hyp, rs) {
			sum[j] += v
		}
	}
	return c.fScore(sum), nil
}

// ngrams returns the character n-gram counts for n = 1..charOrder and then
// the word n-gram counts for n = 1..wordOrder of a sentence.
func (c chrfConfig) ngrams(s string) []map[string]int {
	if c.lowercase {
		s = pyLower(s)
	}
	out := make([]map[string]int, 0, c.order())
	chars := s
	if !c.whitespace {
		chars = strings.Join(pyFields(s), "")
	}
	// Byte offsets of the code points, so that n-grams are substrings.
	offs := make([]int, 0, len(chars)+1)
	for i := range chars {
		offs = append(offs, i)
	}
	offs = append(offs, len(chars))
	nChars := len(offs) - 1
	for n := 1; n <= c.charOrder; n++ {
		m := make(map[string]int)
		for i := 0; i+n <= nChars; i++ {
			m[chars[offs[i]:offs[i+n]]]++
		}
		out = append(out, m)
	}
	if c.wordOrder > 0 {
		words := chrfWords(s)
		for n := 1; n <= c.wordOrder; n++ {
			out = append(out, countWordNgrams(words, n, n))
		}
	}
	return out
}

// sentenceStats returns [hyp, ref, match] counts per order against the
// reference with the best sentence-level score (CHRF._compute_segment_statistics).
func (c chrfConfig) sentenceStats(hyp string, refs []string) []int {
	h := c.ngrams(hyp)
	var best []int
	bestF := -1.0
	for _, r := range refs {
		rg := c.ngrams(r)
		stats := make([]int, 0, 3*c.order())
		for n := range h {
			hypCount, refCount, match := 0, 0, 0
			for g, k := range h[n] {
				hypCount += k
				match += min(k, rg[n][g])
			}
			for _, k := range rg[n] {
				refCount += k
			}
			if len(rg[n]) == 0 {
				hypCount = 0 // sacreBLEU counts no hypothesis n-grams of an order the reference lacks
			}
			stats = append(stats, hypCount, refCount, match)
		}
		if f := c.fScore(stats); f > bestF {
			bestF, best = f, stats
		}
	}
	return best
}

// fScore is CHRF._compute_f_score, floating-point operations in the same
// order (float64(...) keeps a product from being fused into an FMA).
func (c chrfConfig) fScore(stats []int) float64 {
	const eps = 1e-16
	factor := c.beta * c.beta
	score, avgPrec, avgRec := 0.0, 0.0, 0.0
	effOrder := 0
	for i := range c.order() {
		nHyp, nRef, nMatch := stats[3*i], stats[3*i+1], stats[3*i+2]
		prec, rec := eps, eps
		if nHyp > 0 {
			prec = float64(nMatch) / float64(nHyp)
		}
		if nRef > 0 {
			rec = float64(nMatch) / float64(nRef)
		}
		if denom := float64(factor*prec) + rec; denom > 0 {
			score += (1 + factor) * prec * rec / denom
		} else {
			score += eps
		}
		if nHyp > 0 && nRef > 0 {
			avgPrec += prec
			avgRec += rec
			effOrder++
		}
	}
	if c.epsSmoothing {
		return 100 * score / float64(c.order())
	}
	if effOrder == 0 {
		return 0
	}
	avgPrec /= float64(effOrder)
	avgRec /= float64(effOrder)
	if avgPrec+avgRec == 0 {
		return 0
	}
	f := (1 + factor) * avgPrec * avgRec
	f /= float64(factor*avgPrec) + avgRec
	return 100 * f
}

// chrfWords is chrF++'s word split (CHRF._remove_punctuation): whitespace
// tokens, with one ASCII punctuation character split off the end of a
// token, or else off its start.
func chrfWords(s string) []string {
	var out []string
	for _, w := range pyFields(s) {
		if utf8.RuneCountInString(w) == 1 {
			out = append(out, w)
			continue
		}
		last, size := utf8.DecodeLastRuneInString(w)
		first, fsize := utf8.DecodeRuneInString(w)
		switch {
		case chrfPunct(last):
			out = append(out, w[:len(w)-size], w[len(w)-size:])
		case chrfPunct(first):
			out = append(out, w[:fsize], w[fsize:])
		default:
			out = append(out, w)
		}
	}
	return out
}

// chrfPunct reports whether r is in Python's string.punctuation.
func chrfPunct(r rune) bool {
	return r < utf8.RuneSelf && strings.ContainsRune(`!"#$%&'()*+,-./:;<=>?@[\]^_`+"`"+`{|}~`, r)
}

// checkScoreCorpus checks the shapes of a hypotheses/references pair.
func checkScoreCorpus(hyps []string, refs [][]string) error {
	if len(hyps) == 0 {
		return errors.New("translate: no hypotheses to score")
	}
	if len(refs) == 0 {
		return errors.New("translate: no references to score against")
	}
	for k, r := range refs {
		if len(r) != len(hyps) {
			return fmt.Errorf("translate: reference set %d has %d lines for %d hypotheses", k, len(r), len(hyps))
		}
	}
	return nil
}

// nonEmptyRefs returns the non-empty references of sentence i.
func nonEmptyRefs(refs [][]string, i int) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if r[i] != "" {
			out = append(out, r[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("translate: sentence %d has no non-empty reference", i)
	}
	return out, nil
}

// pyIsSpace reports whether r is whitespace for Python's str.split and
// str.strip: Go's unicode.IsSpace plus the separators U+001C..U+001F.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// pyFields is Python's str.split() with no argument.
func pyFields(s string) []string { return strings.FieldsFunc(s, pyIsSpace) }

// pyLower is Python's str.lower(): Go's simple lower-case mapping except
// for U+0130 (İ, which lowers to "i̇") and the capital sigma, which lowers
// to the final form ς at the end of a word (Unicode's Final_Sigma).
func pyLower(s string) string {
	if !strings.ContainsRune(s, 0x130) && !strings.ContainsRune(s, 0x3a3) {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if pyFinalSigma(rs, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// pyFinalSigma reports whether rs[i] is in the Final_Sigma context: a cased
// letter before it and none after it, skipping case-ignorable characters.
func pyFinalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && pyCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !pyCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && pyCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !pyCased(rs[j])
}

// pyCased is Unicode's Cased property.
func pyCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// pyCaseIgnorable is Unicode's Case_Ignorable property: marks, format
// characters, modifiers and the Word_Break MidLetter, MidNumLet and
// Single_Quote characters.
func pyCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
