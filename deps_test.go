package parley_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is the import path of this module.
const module = "github.com/parley-ai/parley"

// depGraph is the import graph of the module's packages and their tests.
type depGraph struct {
	// imports maps every package seen to its non-test imports.
	imports map[string][]string
	// testImports maps each package of the module to the imports of its
	// tests (internal and external test files together), itself excluded.
	testImports map[string][]string
}

// rule is one dependency rule of doc.go.
type rule struct {
	name   string
	from   func(pkg string) bool // the packages the rule constrains
	deny   func(dep string) bool // the imports they must not have
	direct bool                  // check direct imports only, not the whole closure
}

// under reports whether pkg is root or a package below it.
func under(pkg string, roots ...string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}

// own returns the import paths of the module's folders dirs.
func own(dirs ...string) []string {
	paths := make([]string, len(dirs))
	for i, d := range dirs {
		paths[i] = module + "/" + d
	}
	return paths
}

// rules returns the dependency rules of doc.go.
func rules() []rule {
	everything := func(string) bool { return true }
	return []rule{
		{
			// The audio package itself (signals, WAV, resampling, VAD) stays a
			// leaf; audio/features and audio/glottal run their matrix steps
			// and detectors on nnlib (issue 3), so they may import it.
			name: "audio must not import nnlib",
			from: func(p string) bool { return p == module+"/audio" },
			deny: func(d string) bool { return under(d, own("nnlib")...) },
		},
		{
			name: "nnlib must not import asr, translate, nlu, nlg, tui or dialog",
			from: func(p string) bool { return under(p, own("nnlib")...) },
			deny: func(d string) bool { return under(d, own("asr", "translate", "nlu", "nlg", "tui", "dialog")...) },
		},
		{
			name: "tui must not import gorgonia.org/...",
			from: func(p string) bool { return under(p, own("tui")...) },
			deny: func(d string) bool { return strings.HasPrefix(d, "gorgonia.org/") },
		},
		{
			name:   "nothing imports cmd/...",
			from:   everything,
			deny:   func(d string) bool { return under(d, own("cmd")...) },
			direct: true,
		},
		{
			name:   "only nnlib/... imports gorgonia.org/gorgonia or gorgonia.org/tensor",
			from:   func(p string) bool { return !under(p, own("nnlib")...) },
			deny:   func(d string) bool { return under(d, "gorgonia.org/gorgonia", "gorgonia.org/tensor") },
			direct: true,
		},
	}
}

// violations checks every rule on g and returns one line per violation,
// naming the import chain, e.g.
//
//	audio must not import nnlib: audio -> x -> nnlib (in tests)
func violations(g depGraph, rules []rule) []string {
	var pkgs []string
	for p := range g.imports {
		if under(p, module) {
			pkgs = append(pkgs, p)
		}
	}
	for p := range g.testImports {
		if _, ok := g.imports[p]; !ok {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)

	var out []string
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.from(p) {
				continue
			}
			if chain := g.find(p, g.imports[p], r); chain != nil {
				out = append(out, fmt.Sprintf("%s: %s", r.name, short(chain)))
				continue // one report per package and rule is enough
			}
			if chain := g.find(p, g.testImports[p], r); chain != nil {
				out = append(out, fmt.Sprintf("%s: %s (in tests)", r.name, short(chain)))
			}
		}
	}
	return out
}

// find returns the shortest import chain from p through its imports first
// to a package that r denies, or nil. Direct rules look at first only.
func (g depGraph) find(p string, first []string, r rule) []string {
	parent := map[string]string{p: ""}
	queue := []string{}
	for _, d := range first {
		if _, seen := parent[d]; !seen {
			parent[d] = p
			queue = append(queue, d)
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if r.deny(d) {
			var chain []string
			for x := d; x != ""; x = parent[x] {
				chain = append(chain, x)
			}
			slices.Reverse(chain)
			return chain
		}
		if r.direct {
			continue
		}
		for _, next := range g.imports[d] {
			if _, seen := parent[next]; !seen {
				parent[next] = d
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// short joins an import chain, writing the module's packages relative to it.
func short(chain []string) string {
	s := make([]string, len(chain))
	for i, p := range chain {
		s[i] = strings.TrimPrefix(p, module+"/")
	}
	return strings.Join(s, " -> ")
}

// loadGraph reads the import graph of ./... and its tests with go list.
func loadGraph(t *testing.T) depGraph {
	t.Helper()
	goCmd, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	cmd := exec.Command(goCmd, "list", "-e", "-deps", "-test",
		"-f", `{{.ImportPath}}{{"\t"}}{{join .Imports ","}}`, "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	return parseGoList(stdout)
}

// parseGoList builds a depGraph from lines "ImportPath<TAB>Imports" (the
// imports joined by commas) of
// "go list -deps -test". Test variants are named "p [q.test]": the variant
// "p [p.test]" (p with its internal tests) and the external test package
// "p_test [p.test]" give p's test imports; other variants have the imports
// of p itself. The generated "p.test" mains are skipped.
func parseGoList(out []byte) depGraph {
	g := depGraph{imports: map[string][]string{}, testImports: map[string][]string{}}
	canon := func(p string) string {
		if i := strings.Index(p, " ["); i >= 0 {
			return p[:i]
		}
		return p
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		path, imps, _ := strings.Cut(sc.Text(), "\t")
		var deps []string
		for _, d := range strings.Split(imps, ",") {
			if d != "" {
				deps = append(deps, canon(d))
			}
		}
		name, variant, isVariant := strings.Cut(path, " [")
		switch {
		case !isVariant && strings.HasSuffix(path, ".test"):
			// the generated test main
		case !isVariant:
			g.imports[path] = deps
		case variant == name+".test]":
			g.testImports[name] = merge(g.testImports[name], deps, name)
		case strings.HasSuffix(name, "_test") && variant == strings.TrimSuffix(name, "_test")+".test]":
			p := strings.TrimSuffix(name, "_test")
			g.testImports[p] = merge(g.testImports[p], deps, p)
		default:
			if _, ok := g.imports[name]; !ok {
				g.imports[name] = deps
			}
		}
	}
	return g
}

// merge adds the elements of b that are not in a or equal to self to a.
func merge(a, b []string, self string) []string {
	for _, x := range b {
		if x != self && !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// TestDependencyRules enforces the dependency rules of doc.go on the
// packages that exist; packages that do not exist yet are simply absent.
func TestDependencyRules(t *testing.T) {
	g := loadGraph(t)
	// Guard against a silently empty graph (a changed go list format).
	for _, p := range []string{module + "/cmd/parley", module + "/nnlib"} {
		if _, ok := g.imports[p]; !ok {
			t.Fatalf("go list did not report %s; the graph is incomplete", p)
		}
	}
	for _, v := range violations(g, rules()) {
		t.Error(v)
	}
}

// TestDependencyRulesCatchViolations checks the checker on a made-up graph
// that breaks every rule once.
func TestDependencyRulesCatchViolations(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	g := depGraph{
		imports: map[string][]string{
			m("audio"):          {"fmt", m("internal/x")},
			m("audio/features"): {m("audio"), m("nnlib")},
			m("internal/x"):     {m("nnlib/layers")},
			m("nnlib/layers"):   {m("nnlib"), "gorgonia.org/tensor"},
			m("nnlib"):          {"gorgonia.org/gorgonia", "gorgonia.org/tensor"},
			m("nnlib/seq2seq"):  {m("nnlib"), m("translate")},
			m("translate"):      {m("nnlib/seq2seq")},
			m("tui"):            {m("dialog")},
			m("dialog"):         {m("asr")},
			m("asr"):            {m("nnlib"), m("audio/features")},
			m("nlu"):            {"gorgonia.org/gorgonia/encoding", m("cmd/parley")},
			m("cmd/parley"):     {m("asr"), m("tui"), m("nlu")},
			"fmt":               nil,
		},
		testImports: map[string][]string{
			m("nlg"):         {m("nnlib/nntest")},
			m("nnlib/optim"): {m("tui")},
		},
	}
	got := violations(g, rules())
	want := []string{
		"audio must not import nnlib: audio -> internal/x -> nnlib/layers",
		"nnlib must not import asr, translate, nlu, nlg, tui or dialog: nnlib/optim -> tui (in tests)",
		"nnlib must not import asr, translate, nlu, nlg, tui or dialog: nnlib/seq2seq -> translate",
		"tui must not import gorgonia.org/...: tui -> dialog -> asr -> nnlib -> gorgonia.org/gorgonia",
		"nothing imports cmd/...: nlu -> cmd/parley",
		"only nnlib/... imports gorgonia.org/gorgonia or gorgonia.org/tensor: nlu -> gorgonia.org/gorgonia/encoding",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseGoList checks the reading of go list's test variants.
func TestParseGoList(t *testing.T) {
	out := "a\tfmt,b\n" +
		"b\tfmt\n" +
		"e\t\n" +
		"b [a.test]\tfmt\n" +
		"a [a.test]\tfmt,b,testing,c\n" +
		"a_test [a.test]\ta [a.test],d,testing\n" +
		"a.test\ta [a.test],a_test [a.test],os,testing\n"
	g := parseGoList([]byte(out))
	if got, want := g.imports["a"], []string{"fmt", "b"}; !slices.Equal(got, want) {
		t.Errorf("imports[a] = %q, want %q", got, want)
	}
	if got, want := g.testImports["a"], []string{"fmt", "b", "testing", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("testImports[a] = %q, want %q", got, want)
	}
	if _, ok := g.imports["a.test"]; ok {
		t.Error("the generated test main a.test was kept")
	}
	if deps, ok := g.imports["e"]; !ok || len(deps) != 0 {
		t.Errorf("imports[e] = %q, %v; want an empty list", deps, ok)
	}
	if _, ok := g.imports["a_test"]; ok {
		t.Error("the external test package a_test was kept as a package")
	}
}
