package nlu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	// go.yaml.in/yaml/v3 is gopkg.in/yaml.v3, the usual YAML library for
	// Go, under the import path of the YAML organization, which maintains
	// it since its author archived gopkg.in/yaml.v3 in April 2025 (same
	// API, security fixes only). Its yaml.Node carries the line numbers
	// our errors need.
	"go.yaml.in/yaml/v3"
)

// yamlVersion is the only version of the YAML format there is.
const yamlVersion = "1"

// ReadYAML reads training data in a YAML format in the style of Rasa NLU's:
//
//	version: "1"
//	intents:
//	  - intent: set_timer
//	    examples: |
//	      - set a timer for [five minutes](duration)
//	      - wake me up in [ten minutes](duration) please
//	  - intent: translate
//	    examples:
//	      - translate [hello](text) to [spanish](language)
//
// version is optional and must be "1" when present. An intent's examples
// are a literal block (|) of lines "- example" (blank lines skipped), or a
// list of strings. An intent may appear more than once; its examples are
// then concatenated in order.
//
// Entity annotations are [text](slot) or Rasa's [text]{"entity": "slot"},
// whose optional "value", "role" and "group" are accepted and ignored. A
// '[' must start an annotation and a ']' end one, so a stray bracket is an
// error rather than text. Slot names are letters, digits, '_', '.' and '-'.
//
// Tokens: after the annotations are taken out, the text is split at white
// space and at annotation boundaries ("[york](city)'s" gives "york" and
// "'s"). Then a trailing run of '?', '!' and ',' is split off each word,
// one token per character ("now?!" gives "now", "?", "!"), and a trailing
// '.' off the last word only: a period inside an utterance ends an
// abbreviation ("st. louis", one token in ATIS). Punctuation inside a word
// ("1,000", "3.5") and a word of punctuation alone ("...") stay as they
// are; case is kept. The tokens of an annotation are tagged B-slot,
// I-slot, ... (split-off punctuation inside it included); all others O.
//
// Every problem is a *DataError naming name and the line: broken YAML
// (the line of the broken construct's start, as the YAML parser reports
// it), unknown keys, duplicate keys, examples neither a literal block nor a
// list, an intent without examples, an empty example, a malformed
// annotation. An empty document is an error.
func ReadYAML(r io.Reader, name string) ([]Example, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("nlu: read %s: %w", name, err)
	}
	doc, err := decodeYAML(src, name)
	if err != nil {
		return nil, err
	}
	p := yamlParser{name: name}
	return p.file(doc)
}

// decodeYAML parses src, which must hold one YAML document.
func decodeYAML(src []byte, name string) (doc *yaml.Node, err error) {
	// Never panic on file contents: turn a panic of the YAML parser on
	// hostile input into an error.
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, dataErr(name, 0, "YAML parser failed: %v", p)
		}
	}()
	doc = new(yaml.Node)
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, dataErr(name, 0, "empty file")
		}
		return nil, yamlErr(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlErr(name, err)
		}
		return nil, dataErr(name, extra.Line, "a second YAML document: want one")
	}
	return doc, nil
}

// ReadYAMLFile is ReadYAML on the file at path.
func ReadYAMLFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: %w", err)
	}
	defer f.Close() // read-only: Close has nothing to report
	return ReadYAML(f, path)
}

// isYAMLParserProblem reports whether msg is a problem of yaml.v3's
// parser, as opposed to its scanner. For those it reports the 0-based line
// of the construct being parsed (decode.go, parser.fail), so yamlErr adds
// one; the scanner's lines are 1-based already.
func isYAMLParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// yamlErr turns an error of the YAML parser, "yaml: line N: problem" or
// "yaml: problem", into a *DataError. For a broken construct the line is
// where the construct starts.
func yamlErr(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, problem, _ := strings.Cut(rest, ": ")
		if line, convErr := strconv.Atoi(num); convErr == nil && line > 0 {
			if isYAMLParserProblem(problem) {
				line++
			}
			return dataErr(name, line, "invalid YAML: %s", problem)
		}
	}
	return dataErr(name, 0, "invalid YAML: %s", msg)
}

// yamlParser walks a YAML document of training data.
type yamlParser struct {
	name     string
	examples []Example
}

// yamlKindName names a yaml.Node kind in errors.
func yamlKindName(k yaml.Kind) string {
	switch k {
	case yaml.DocumentNode:
		return "a document"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return "a string"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("YAML node kind %d", k)
}

// yamlDeref follows aliases to the node they name.
func yamlDeref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// want checks that n is of kind k.
func (p *yamlParser) want(n *yaml.Node, k yaml.Kind, what string) error {
	if n.Kind != k {
		return dataErr(p.name, n.Line, "%s: want %s, got %s", what, yamlKindName(k), yamlKindName(n.Kind))
	}
	return nil
}

// fields returns the values of mapping m by key, rejecting keys not in
// known, duplicate keys and keys that are not strings.
func (p *yamlParser) fields(m *yaml.Node, what string, known ...string) (map[string]*yaml.Node, error) {
	out := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := yamlDeref(m.Content[i]), yamlDeref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, dataErr(p.name, k.Line, "%s: a key must be a string", what)
		}
		if !slices.Contains(known, k.Value) {
			return nil, dataErr(p.name, k.Line, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, dataErr(p.name, k.Line, "%s: duplicate key %q", what, k.Value)
		}
		out[k.Value] = v
	}
	return out, nil
}

// file reads the document.
func (p *yamlParser) file(doc *yaml.Node) ([]Example, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, dataErr(p.name, doc.Line, "want one YAML document")
	}
	top := yamlDeref(doc.Content[0])
	if err := p.want(top, yaml.MappingNode, "top level"); err != nil {
		return nil, err
	}
	f, err := p.fields(top, "top level", "version", "intents")
	if err != nil {
		return nil, err
	}
	if v, ok := f["version"]; ok {
		if v.Kind != yaml.ScalarNode || v.Value != yamlVersion {
			return nil, dataErr(p.name, v.Line, "unsupported version %q (want %q)", v.Value, yamlVersion)
		}
	}
	intents, ok := f["intents"]
	if !ok {
		return nil, dataErr(p.name, top.Line, "no intents")
	}
	if err := p.want(intents, yaml.SequenceNode, "intents"); err != nil {
		return nil, err
	}
	if len(intents.Content) == 0 {
		return nil, dataErr(p.name, intents.Line, "no intents")
	}
	for _, n := range intents.Content {
		if err := p.intent(yamlDeref(n)); err != nil {
			return nil, err
		}
	}
	return p.examples, nil
}

// intent reads one entry of intents.
func (p *yamlParser) intent(n *yaml.Node) error {
	if err := p.want(n, yaml.MappingNode, "intents entry"); err != nil {
		return err
	}
	f, err := p.fields(n, "intents entry", "intent", "examples")
	if err != nil {
		return err
	}
	in, ok := f["intent"]
	if !ok {
		return dataErr(p.name, n.Line, "intents entry without intent")
	}
	if err := p.want(in, yaml.ScalarNode, "intent"); err != nil {
		return err
	}
	intent := in.Value
	if err := checkIntent(intent); err != nil {
		return dataErr(p.name, in.Line, "%v", err)
	}
	ex, ok := f["examples"]
	if !ok {
		return dataErr(p.name, n.Line, "intent %s has no examples", intent)
	}
	before := len(p.examples)
	switch ex.Kind {
	case yaml.ScalarNode:
		if ex.Style&yaml.LiteralStyle == 0 {
			return dataErr(p.name, ex.Line, "examples of %s: want a literal block (examples: |) or a list", intent)
		}
		// The block's lines start on the line after its '|'.
		for i, line := range strings.Split(ex.Value, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			text, ok := strings.CutPrefix(line, "-")
			if !ok || (text != "" && text[0] != ' ' && text[0] != '\t') {
				return dataErr(p.name, ex.Line+1+i, `want "- example", got %q`, line)
			}
			if err := p.example(intent, strings.TrimSpace(text), ex.Line+1+i); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for _, item := range ex.Content {
			item = yamlDeref(item)
			if err := p.want(item, yaml.ScalarNode, "example"); err != nil {
				return err
			}
			if err := p.example(intent, item.Value, item.Line); err != nil {
				return err
			}
		}
	default:
		return dataErr(p.name, ex.Line, "examples of %s: want a literal block (examples: |) or a list, got %s", intent, yamlKindName(ex.Kind))
	}
	if len(p.examples) == before {
		return dataErr(p.name, ex.Line, "intent %s has no examples", intent)
	}
	return nil
}

// example parses one annotated example at line. Line breaks (in a
// multi-line string of the list form) are white space.
func (p *yamlParser) example(intent, text string, line int) error {
	text = strings.ReplaceAll(text, "\n", " ")
	if err := checkText([]byte(text)); err != nil {
		return dataErr(p.name, line, "%v", err)
	}
	words, err := parseAnnotated(text)
	if err != nil {
		return dataErr(p.name, line, "%v", err)
	}
	if len(words) == 0 {
		return dataErr(p.name, line, "empty example")
	}
	p.examples = append(p.examples, toExample(intent, words))
	return nil
}

// parseAnnotated splits text with [text](slot) and [text]{"entity": "slot"}
// annotations into words.
func parseAnnotated(text string) ([]taggedWord, error) {
	var words []taggedWord
	for {
		open := strings.IndexAny(text, "[]")
		if open < 0 {
			return appendWords(words, text, ""), nil
		}
		if text[open] == ']' {
			return nil, fmt.Errorf("%q without '['", text[:open+1])
		}
		words = appendWords(words, text[:open], "")
		rest := text[open+1:]
		end := strings.IndexAny(rest, "[]")
		if end < 0 || rest[end] == '[' {
			return nil, fmt.Errorf("annotation %q: '[' not closed by ']'", clipText(text[open:]))
		}
		value := rest[:end]
		if strings.TrimSpace(value) == "" {
			return nil, fmt.Errorf("annotation %q: no text", clipText(text[open:]))
		}
		rest = rest[end+1:]
		var slot string
		switch {
		case strings.HasPrefix(rest, "("):
			closing := strings.IndexByte(rest, ')')
			if closing < 0 {
				return nil, fmt.Errorf("annotation [%s]: '(' not closed by ')'", value)
			}
			slot, rest = rest[1:closing], rest[closing+1:]
		case strings.HasPrefix(rest, "{"):
			var err error
			if slot, rest, err = parseEntityJSON(rest); err != nil {
				return nil, fmt.Errorf("annotation [%s]: %v", value, err)
			}
		default:
			return nil, fmt.Errorf("annotation [%s]: want (slot) or {\"entity\": \"slot\"} after it", value)
		}
		if err := checkSlot(slot); err != nil {
			return nil, fmt.Errorf("annotation [%s]: %v", value, err)
		}
		words = appendWords(words, value, slot)
		text = rest
	}
}

// parseEntityJSON parses the JSON object at the start of s and returns its
// "entity" and the text after the object.
func parseEntityJSON(s string) (entity, rest string, err error) {
	dec := json.NewDecoder(strings.NewReader(s))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", "", fmt.Errorf("invalid JSON object: %v", err)
	}
	for k, v := range obj {
		if _, ok := v.(string); !ok {
			return "", "", fmt.Errorf("%q: want a string", k)
		}
		if k != "entity" && k != "value" && k != "role" && k != "group" {
			return "", "", fmt.Errorf("unknown key %q (want entity, value, role, group)", k)
		}
	}
	entity, ok := obj["entity"].(string)
	if !ok {
		return "", "", fmt.Errorf(`no "entity"`)
	}
	return entity, s[dec.InputOffset():], nil
}

// clipText shortens s for an error message.
func clipText(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
