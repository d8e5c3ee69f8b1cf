package nlu

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds that keep ExpandGrammar finite on any input.
const (
	// maxGroupDepth is how deeply groups (...) and [...] may nest in one
	// line.
	maxGroupDepth = 64
	// maxRuleDepth is how deeply rule references <r> may nest.
	maxRuleDepth = 64
	// maxExampleWords is the most words one expansion may have.
	maxExampleWords = 1000
	// maxExpansions caps expansion counts, where float64 still counts exactly.
	maxExpansions = 1 << 53
)

// ExpandGrammar reads template grammars in the style of Rhasspy's
// sentences.ini and expands them into examples:
//
//	[SetTimer]
//	set a timer for (one | two | five | ten){duration} minutes
//	(start | set) [a] timer [for] <duration_phrase>
//	duration_phrase = ($number){amount} (minutes | seconds){unit}
//
//	[GetTime]
//	what time is it
//	what's the time [please]   # a comment
//
// The syntax, one sentence or rule per line:
//   - [Intent] on a line of its own starts the section of that intent; the
//     name has no white space and none of ()[]|{}<>. A line that is one
//     bracketed group is always a section header, so "[Set Timer]" is an
//     error rather than an optional group (a sentence that is nothing but
//     an optional group makes little sense);
//   - name = expression defines a rule of the section (name is letters,
//     digits, '_' and '-'); any other line is a sentence of the intent;
//   - (a | b c) is a group of alternatives, which may nest; [a | b] is an
//     optional group; a sentence or rule may have alternatives at its top
//     level too. An empty alternative ("(a | )", "()", "[]") is an error;
//   - <name> references a rule of the same section, <Intent.name> one of
//     another section; rules may be used before they are defined, and may
//     not refer to themselves, directly or not;
//   - $name is a slot list from lists; each value may be several words;
//   - {slot} after a word, group, rule reference or list tags the words it
//     yields as the slot: B-slot for the first, I-slot for the rest. Tags
//     cannot nest (BIO cannot express it), also not through rules;
//   - # at the start of a line or after white space starts a comment;
//   - every other run of characters other than white space and ()[]|{}<>
//     is a word. Rhasspy's substitutions (a:b), converters (!int) and
//     number ranges (1..10) are not supported and read as literal words.
//
// The words are tokenised as for ReadYAML ('?', '!' and ',' split off the
// end of a word, '.' off the last word), and an expansion without words is
// dropped. Identical examples of an intent are kept once.
//
// limit bounds the examples per intent and must be at least 1. When an
// intent's sentences have at most limit expansions in all, all of them are
// returned, in order: sentences in file order, alternatives left to right,
// an optional group's words before their absence. Otherwise each sentence
// gets a quota by water filling (a sentence with few expansions keeps all
// of them, the rest of the limit is shared evenly by the larger ones) and
// the expansions are drawn at random without replacement, uniformly over a
// sentence's derivations. Sampling uses a generator seeded with a hash of
// the intent name, so the output is deterministic for a given input and
// does not change when other sections do.
//
// Every problem in the grammar is a *DataError naming name and the line:
// unbalanced parentheses or brackets, empty alternatives, unknown rules or
// sections, recursive rules, unknown or empty lists, nested slot tags,
// sentences outside a section, a duplicate section or rule, a section
// without sentences or rules, a section whose sentences yield nothing,
// expansions longer than 1000 words, groups or rule references nested
// deeper than 64. Invalid UTF-8 and control characters are errors too.
func ExpandGrammar(r io.Reader, name string, lists map[string][]string, limit int) ([]Example, error) {
	if limit < 1 {
		return nil, fmt.Errorf("nlu: expand %s: limit %d, want at least 1", name, limit)
	}
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("nlu: read %s: %w", name, err)
	}
	g := &gfile{file: name, lists: lists, listValues: map[string][][]string{}}
	if err := g.parse(src); err != nil {
		return nil, err
	}
	if err := g.resolve(); err != nil {
		return nil, err
	}
	var out []Example
	for _, s := range g.sections {
		examples, err := g.expand(s, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, examples...)
	}
	return out, nil
}

// ExpandGrammarFile is ExpandGrammar on the file at path.
func ExpandGrammarFile(path string, lists map[string][]string, limit int) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: %w", err)
	}
	defer f.Close() // read-only: Close has nothing to report
	return ExpandGrammar(f, path, lists, limit)
}

// gkind is the kind of a grammar node.
type gkind uint8

const (
	gWord gkind = iota // a word: text
	gSeq               // items in order
	gAlt               // one of items
	gRef               // a rule reference <text>: rule
	gList              // a slot list $text: values
)

// gnode is a node of a parsed expression.
type gnode struct {
	kind   gkind
	text   string
	items  []*gnode
	slot   string     // the slot tag on the node; "" for none
	line   int        // where the node is
	rule   *grule     // gRef: the rule, once resolved
	values [][]string // gList: the words of each value, once resolved

	// From analyze:
	count   float64 // derivations, capped at maxExpansions
	maxLen  int     // most words of a derivation, capped above maxExampleWords
	tagged  bool    // whether the node yields slot-tagged words
	height  int     // the longest chain of rule references under the node
	visited bool
}

// grule is a rule name = body of a section.
type grule struct {
	name   string
	line   int
	body   *gnode
	state  uint8 // ruleNew, ruleBusy or ruleDone while analyzing
	height int   // the longest chain of references from the body
}

const (
	ruleNew uint8 = iota
	ruleBusy
	ruleDone
)

// gsection is an intent's [section].
type gsection struct {
	intent    string
	line      int
	sentences []*gnode
	rules     map[string]*grule
	ruleOrder []*grule
}

// gfile is a parsed grammar file.
type gfile struct {
	file       string
	lists      map[string][]string
	listValues map[string][][]string
	sections   []*gsection
	byName     map[string]*gsection
}

// errf returns a *DataError at line.
func (g *gfile) errf(line int, format string, args ...any) error {
	return dataErr(g.file, line, format, args...)
}

// parse reads the lines of src into sections, rules and sentences.
func (g *gfile) parse(src []byte) error {
	g.byName = map[string]*gsection{}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	var cur *gsection
	for i, raw := range bytes.Split(src, []byte("\n")) {
		lineNo := i + 1
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if err := checkText(raw); err != nil {
			return g.errf(lineNo, "%v", err)
		}
		line := stripComment(string(raw))
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if intent, ok := sectionHeader(trimmed); ok {
			if intent == "" || strings.ContainsAny(intent, "()[]|{}<>") || checkIntent(intent) != nil {
				return g.errf(lineNo, "section %s: want [Intent], a name without white space or ()[]|{}<>", trimmed)
			}
			if prev, dup := g.byName[intent]; dup {
				return g.errf(lineNo, "duplicate section [%s] (first at line %d)", intent, prev.line)
			}
			cur = &gsection{intent: intent, line: lineNo, rules: map[string]*grule{}}
			g.sections = append(g.sections, cur)
			g.byName[intent] = cur
			continue
		}
		if cur == nil {
			return g.errf(lineNo, "%q outside a section: start one with [Intent]", clipText(trimmed))
		}
		p := &gparser{g: g, line: lineNo, s: line}
		if name, bodyAt, ok := ruleHead(line); ok {
			if prev, dup := cur.rules[name]; dup {
				return g.errf(lineNo, "duplicate rule %s in [%s] (first at line %d)", name, cur.intent, prev.line)
			}
			p.pos = bodyAt
			body, err := p.parseLine()
			if err != nil {
				return err
			}
			if body == nil {
				return g.errf(lineNo, "rule %s is empty", name)
			}
			r := &grule{name: name, line: lineNo, body: body}
			cur.rules[name] = r
			cur.ruleOrder = append(cur.ruleOrder, r)
			continue
		}
		sentence, err := p.parseLine()
		if err != nil {
			return err
		}
		cur.sentences = append(cur.sentences, sentence)
	}
	if len(g.sections) == 0 {
		return g.errf(0, "no sections: start one with [Intent]")
	}
	return nil
}

// stripComment cuts line at a '#' that starts it or follows white space.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// sectionHeader reports whether a trimmed line is one bracketed group,
// "[...]", and returns what is inside.
func sectionHeader(line string) (string, bool) {
	if len(line) < 2 || line[0] != '[' || line[len(line)-1] != ']' {
		return "", false
	}
	depth := 0
	for i := 0; i < len(line)-1; i++ {
		switch line[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return "", false // "[a] [b]": the first group ends early
			}
		}
	}
	return line[1 : len(line)-1], true
}

// ruleHead recognises "name = body" and returns the name and the offset
// of the body.
func ruleHead(line string) (name string, bodyAt int, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	start := i
	for i < len(line) {
		r, size := utf8.DecodeRuneInString(line[i:])
		if !isNameRune(r) {
			break
		}
		i += size
	}
	name = line[start:i]
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if name == "" || i == len(line) || line[i] != '=' {
		return "", 0, false
	}
	return name, i + 1, true
}

// isNameRune reports whether r may be part of a rule or list name.
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'
}

// gparser parses the expression of one line.
type gparser struct {
	g     *gfile
	line  int
	s     string
	pos   int
	depth int
}

// errf returns a *DataError at the parser's line.
func (p *gparser) errf(format string, args ...any) error {
	return p.g.errf(p.line, format, args...)
}

// col is the 1-based column, in characters, of byte offset pos.
func (p *gparser) col(pos int) int {
	return utf8.RuneCountInString(p.s[:pos]) + 1
}

// parseLine parses the rest of the line; nil when it is empty.
func (p *gparser) parseLine() (*gnode, error) {
	p.skipSpace()
	if p.pos == len(p.s) {
		return nil, nil
	}
	n, err := p.parseAlt(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.s) { // parseSeq stops only at the end or a closer
		return nil, p.errf("unexpected %q at column %d", p.s[p.pos], p.col(p.pos))
	}
	return n, nil
}

// skipSpace skips white space.
func (p *gparser) skipSpace() {
	for p.pos < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += size
	}
}

// isWordEnd reports whether r ends a word: white space or syntax.
func isWordEnd(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("()[]|{}<>", r)
}

// parseAlt parses alternatives a | b | ... up to closer (0: the line's
// end), which it leaves unread.
func (p *gparser) parseAlt(closer byte) (*gnode, error) {
	alt := &gnode{kind: gAlt, line: p.line}
	for {
		start := p.pos
		seq, err := p.parseSeq(closer)
		if err != nil {
			return nil, err
		}
		if len(seq.items) == 0 {
			return nil, p.errf("empty alternative at column %d", p.col(start))
		}
		alt.items = append(alt.items, seq)
		if p.pos < len(p.s) && p.s[p.pos] == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alt.items) == 1 {
		return alt.items[0], nil
	}
	return alt, nil
}

// parseSeq parses a sequence of items up to '|', closer or the line's end.
func (p *gparser) parseSeq(closer byte) (*gnode, error) {
	seq := &gnode{kind: gSeq, line: p.line}
	for {
		p.skipSpace()
		if p.pos == len(p.s) {
			return seq, nil
		}
		c := p.s[p.pos]
		switch c {
		case '|':
			return seq, nil
		case ')', ']':
			if c == closer {
				return seq, nil
			}
			return nil, p.errf("unbalanced %q at column %d", c, p.col(p.pos))
		case '}', '>':
			return nil, p.errf("unbalanced %q at column %d", c, p.col(p.pos))
		case '(', '[':
			n, err := p.parseGroup()
			if err != nil {
				return nil, err
			}
			seq.items = append(seq.items, n)
		case '<':
			n, err := p.parseRef()
			if err != nil {
				return nil, err
			}
			seq.items = append(seq.items, n)
		case '{':
			at := p.pos
			slot, err := p.parseTag()
			if err != nil {
				return nil, err
			}
			if len(seq.items) == 0 {
				return nil, p.errf("slot tag {%s} at column %d follows no word or group", slot, p.col(at))
			}
			last := seq.items[len(seq.items)-1]
			if last.slot != "" {
				return nil, p.errf("second slot tag {%s} at column %d: tags cannot nest", slot, p.col(at))
			}
			last.slot = slot
		default:
			start := p.pos
			for p.pos < len(p.s) {
				r, size := utf8.DecodeRuneInString(p.s[p.pos:])
				if isWordEnd(r) {
					break
				}
				p.pos += size
			}
			text := p.s[start:p.pos]
			if text[0] == '$' {
				name := text[1:]
				if name == "" || strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }) >= 0 {
					return nil, p.errf("list %q at column %d: want $name, name of letters, digits, '_' and '-'", text, p.col(start))
				}
				seq.items = append(seq.items, &gnode{kind: gList, text: name, line: p.line})
				continue
			}
			seq.items = append(seq.items, &gnode{kind: gWord, text: text, line: p.line})
		}
	}
}

// parseGroup parses (alternatives) or [optional alternatives].
func (p *gparser) parseGroup() (*gnode, error) {
	start := p.pos
	open := p.s[start]
	closer := byte(')')
	if open == '[' {
		closer = ']'
	}
	p.depth++
	if p.depth > maxGroupDepth {
		return nil, p.errf("groups nested deeper than %d at column %d", maxGroupDepth, p.col(start))
	}
	p.pos++
	n, err := p.parseAlt(closer)
	if err != nil {
		return nil, err
	}
	if p.pos == len(p.s) {
		return nil, p.errf("unbalanced %q at column %d: not closed by %q", open, p.col(start), closer)
	}
	p.pos++ // the closer: parseSeq stops at no other
	p.depth--
	if open == '[' {
		// [x] is (x | nothing), with x first.
		n = &gnode{kind: gAlt, line: p.line, items: []*gnode{n, {kind: gSeq, line: p.line}}}
	}
	return n, nil
}

// parseRef parses <rule> or <Intent.rule>.
func (p *gparser) parseRef() (*gnode, error) {
	start := p.pos
	end := strings.IndexByte(p.s[start:], '>')
	if end < 0 {
		return nil, p.errf("unbalanced '<' at column %d: not closed by '>'", p.col(start))
	}
	ref := p.s[start+1 : start+end]
	_, name := splitRef(ref)
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }) >= 0 {
		return nil, p.errf("rule reference <%s> at column %d: want <rule> or <Intent.rule>", ref, p.col(start))
	}
	p.pos = start + end + 1
	return &gnode{kind: gRef, text: ref, line: p.line}, nil
}

// splitRef splits "Intent.rule" at its last dot; section is "" for "rule".
func splitRef(ref string) (section, name string) {
	if i := strings.LastIndexByte(ref, '.'); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return "", ref
}

// parseTag parses {slot}.
func (p *gparser) parseTag() (string, error) {
	start := p.pos
	end := strings.IndexByte(p.s[start:], '}')
	if end < 0 {
		return "", p.errf("unbalanced '{' at column %d: not closed by '}'", p.col(start))
	}
	slot := p.s[start+1 : start+end]
	if strings.ContainsAny(slot, ":!") {
		return "", p.errf("slot tag {%s} at column %d: substitutions and converters are not supported", slot, p.col(start))
	}
	if err := checkSlot(slot); err != nil {
		return "", p.errf("slot tag {%s} at column %d: %v", slot, p.col(start), err)
	}
	p.pos = start + end + 1
	return slot, nil
}

// resolve links rule references and lists, and analyzes every sentence
// and rule: counts, lengths, recursion and nested tags.
func (g *gfile) resolve() error {
	for _, s := range g.sections {
		for _, r := range s.ruleOrder {
			if err := g.link(s, r.body); err != nil {
				return err
			}
		}
		for _, n := range s.sentences {
			if err := g.link(s, n); err != nil {
				return err
			}
		}
	}
	for _, s := range g.sections {
		for _, r := range s.ruleOrder {
			if err := g.analyzeRule(r, 0); err != nil {
				return err
			}
		}
		for _, n := range s.sentences {
			if err := g.analyze(n, 0); err != nil {
				return err
			}
			if n.maxLen > maxExampleWords {
				return g.errf(n.line, "the sentence expands to more than %d words", maxExampleWords)
			}
		}
	}
	return nil
}

// link resolves the rule references and lists under n.
func (g *gfile) link(s *gsection, n *gnode) error {
	switch n.kind {
	case gRef:
		secName, name := splitRef(n.text)
		sec := s
		if secName != "" {
			var ok bool
			if sec, ok = g.byName[secName]; !ok {
				return g.errf(n.line, "<%s>: unknown section [%s]", n.text, secName)
			}
		}
		r, ok := sec.rules[name]
		if !ok {
			return g.errf(n.line, "unknown rule <%s> in [%s]", name, sec.intent)
		}
		n.rule = r
	case gList:
		values, err := g.list(n)
		if err != nil {
			return err
		}
		n.values = values
	}
	for _, c := range n.items {
		if err := g.link(s, c); err != nil {
			return err
		}
	}
	return nil
}

// list returns the words of each value of the list n names.
func (g *gfile) list(n *gnode) ([][]string, error) {
	if v, ok := g.listValues[n.text]; ok {
		return v, nil
	}
	raw, ok := g.lists[n.text]
	if !ok {
		return nil, g.errf(n.line, "unknown list $%s", n.text)
	}
	if len(raw) == 0 {
		return nil, g.errf(n.line, "list $%s is empty", n.text)
	}
	values := make([][]string, len(raw))
	for i, v := range raw {
		if err := checkText([]byte(v)); err != nil {
			return nil, g.errf(n.line, "list $%s, value %d: %v", n.text, i+1, err)
		}
		if values[i] = strings.Fields(v); len(values[i]) == 0 {
			return nil, g.errf(n.line, "list $%s, value %d is empty", n.text, i+1)
		}
	}
	g.listValues[n.text] = values
	return values, nil
}

// analyzeRule analyzes the body of r, reporting recursion.
func (g *gfile) analyzeRule(r *grule, depth int) error {
	switch r.state {
	case ruleDone:
		return nil
	case ruleBusy:
		return g.errf(r.line, "rule %s is recursive: it refers to itself", r.name)
	}
	// depth is a lower bound of the height, so the error comes whatever
	// the order the rules are analyzed in.
	if depth > maxRuleDepth {
		return g.errf(r.line, "rule references nested deeper than %d", maxRuleDepth)
	}
	r.state = ruleBusy
	if err := g.analyze(r.body, depth); err != nil {
		return err
	}
	r.height = r.body.height
	if r.height > maxRuleDepth {
		return g.errf(r.line, "rule references nested deeper than %d", maxRuleDepth)
	}
	r.state = ruleDone
	return nil
}

// analyze sets the count, maxLen and tagged of n and the nodes under it,
// and reports nested slot tags.
func (g *gfile) analyze(n *gnode, depth int) error {
	if n.visited {
		return nil
	}
	switch n.kind {
	case gWord:
		n.count, n.maxLen = 1, 1
	case gList:
		n.count = float64(len(n.values))
		for _, v := range n.values {
			n.maxLen = min(max(n.maxLen, len(v)), maxExampleWords+1)
		}
	case gRef:
		if err := g.analyzeRule(n.rule, depth+1); err != nil {
			return err
		}
		b := n.rule.body
		n.count, n.maxLen, n.tagged, n.height = b.count, b.maxLen, b.tagged, n.rule.height+1
	case gSeq:
		n.count = 1
		for _, c := range n.items {
			if err := g.analyze(c, depth); err != nil {
				return err
			}
			n.count = min(n.count*c.count, maxExpansions)
			n.maxLen = min(n.maxLen+c.maxLen, maxExampleWords+1)
			n.tagged = n.tagged || c.tagged
			n.height = max(n.height, c.height)
		}
	case gAlt:
		for _, c := range n.items {
			if err := g.analyze(c, depth); err != nil {
				return err
			}
			n.count = min(n.count+c.count, maxExpansions)
			n.maxLen = max(n.maxLen, c.maxLen)
			n.tagged = n.tagged || c.tagged
			n.height = max(n.height, c.height)
		}
	}
	if n.slot != "" {
		if n.tagged {
			return g.errf(n.line, "slot tag {%s} around words that have slot tags: tags cannot nest", n.slot)
		}
		n.tagged = true
	}
	n.visited = true
	return nil
}

// expand returns the examples of section s, at most limit.
func (g *gfile) expand(s *gsection, limit int) ([]Example, error) {
	if len(s.sentences) == 0 {
		if len(s.ruleOrder) == 0 {
			return nil, g.errf(s.line, "section [%s] has no sentences", s.intent)
		}
		return nil, nil // a section of shared rules
	}
	x := &gexpander{intent: s.intent, seen: map[string]bool{}}
	total := 0.0
	for _, n := range s.sentences {
		total += n.count
	}
	if total <= float64(limit) {
		for _, n := range s.sentences {
			x.all(n, x.emitAll)
		}
	} else {
		// Seeded by the intent; a hash.Hash never fails to write.
		h := fnv.New64a()
		h.Write([]byte(s.intent))
		rng := rand.New(rand.NewPCG(h.Sum64(), 0x6e6c75))
		counts := make([]float64, len(s.sentences))
		for i, n := range s.sentences {
			counts[i] = n.count
		}
		for i, q := range gquotas(counts, limit) {
			x.sample(s.sentences[i], q, rng)
		}
	}
	if len(x.out) == 0 {
		return nil, g.errf(s.line, "section [%s] yields no words", s.intent)
	}
	return x.out, nil
}

// gquotas shares limit among sentences with the given expansion counts by
// water filling: in order of increasing count, each takes all its
// expansions or an even share of what is left, whichever is less.
func gquotas(counts []float64, limit int) []int {
	order := make([]int, len(counts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[a], counts[b]) })
	q := make([]int, len(counts))
	left := limit
	for k, i := range order {
		share := left / (len(order) - k)
		q[i] = share
		if counts[i] < float64(share) {
			q[i] = int(counts[i])
		}
		left -= q[i]
	}
	return q
}

// gexpander collects the examples of one intent.
type gexpander struct {
	intent string
	words  []taggedWord // the derivation so far
	seen   map[string]bool
	out    []Example
}

// emit adds the current derivation as an example unless it is empty or
// seen. It reports whether it added one.
func (x *gexpander) emit() bool {
	if len(x.words) == 0 {
		return false
	}
	ex := toExample(x.intent, x.words)
	key := strings.Join(ex.Tokens, "\x00") + "\x01" + strings.Join(ex.Tags, "\x00")
	if x.seen[key] {
		return false
	}
	x.seen[key] = true
	x.out = append(x.out, ex)
	return true
}

// emitAll is emit as a continuation of all.
func (x *gexpander) emitAll() { x.emit() }

// all calls k after each derivation of n, in order, with the derivation's
// words appended to x.words.
func (x *gexpander) all(n *gnode, k func()) {
	if n.slot == "" {
		x.allUntagged(n, k)
		return
	}
	start := len(x.words)
	x.allUntagged(n, func() {
		x.tag(start, n.slot)
		k()
	})
}

// tag tags x.words[start:] as slot.
func (x *gexpander) tag(start int, slot string) {
	for j := start; j < len(x.words); j++ {
		x.words[j].slot, x.words[j].begin = slot, j == start
	}
}

// allUntagged is all for n without its slot tag.
func (x *gexpander) allUntagged(n *gnode, k func()) {
	mark := len(x.words)
	switch n.kind {
	case gWord:
		x.words = append(x.words, taggedWord{text: n.text})
		k()
	case gList:
		for _, v := range n.values {
			x.words = x.words[:mark]
			for _, w := range v {
				x.words = append(x.words, taggedWord{text: w})
			}
			k()
		}
	case gRef:
		x.all(n.rule.body, k)
	case gAlt:
		for _, c := range n.items {
			x.words = x.words[:mark]
			x.all(c, k)
		}
	case gSeq:
		x.allSeq(n.items, k)
	}
	x.words = x.words[:mark]
}

// allSeq is all for the sequence items.
func (x *gexpander) allSeq(items []*gnode, k func()) {
	if len(items) == 0 {
		k()
		return
	}
	x.all(items[0], func() {
		mark := len(x.words)
		x.allSeq(items[1:], k)
		x.words = x.words[:mark]
	})
}

// sample adds up to q distinct examples of sentence n, drawn without
// replacement.
func (x *gexpander) sample(n *gnode, q int, rng *rand.Rand) {
	switch {
	case q <= 0:
	case float64(q) >= n.count:
		x.all(n, x.emitAll)
	case n.count <= 4*float64(q):
		// Few more derivations than wanted: enumerate the non-empty ones
		// and pick q, keeping their order.
		var all [][]taggedWord
		x.all(n, func() {
			if len(x.words) > 0 {
				all = append(all, slices.Clone(x.words))
			}
		})
		picked := rng.Perm(len(all))[:min(q, len(all))]
		slices.Sort(picked)
		for _, i := range picked {
			x.words = all[i]
			x.emit()
		}
		x.words = nil
	default:
		// Many more: draw derivations until q are new. Duplicate texts from
		// different derivations make some draws fail; stop after a bounded
		// number of tries.
		added := 0
		for try := 0; added < q && try < 4*q+16; try++ {
			x.words = x.words[:0]
			x.draw(n, rng)
			if x.emit() {
				added++
			}
		}
		x.words = x.words[:0]
	}
}

// draw appends one random derivation of n to x.words, uniform over n's
// derivations.
func (x *gexpander) draw(n *gnode, rng *rand.Rand) {
	start := len(x.words)
	switch n.kind {
	case gWord:
		x.words = append(x.words, taggedWord{text: n.text})
	case gList:
		for _, w := range n.values[rng.IntN(len(n.values))] {
			x.words = append(x.words, taggedWord{text: w})
		}
	case gRef:
		x.draw(n.rule.body, rng)
	case gAlt:
		r := rng.Float64() * n.count
		c := n.items[len(n.items)-1]
		for _, item := range n.items {
			if r < item.count {
				c = item
				break
			}
			r -= item.count
		}
		x.draw(c, rng)
	case gSeq:
		for _, c := range n.items {
			x.draw(c, rng)
		}
	}
	if n.slot != "" {
		x.tag(start, n.slot)
	}
}
