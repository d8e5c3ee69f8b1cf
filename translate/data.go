package translate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Pair is one sentence and its translation.
type Pair struct {
	Src, Tgt string
}

// ReadPairsFile reads a parallel corpus: one pair a line,
// "source<TAB>target" (further columns, such as Tatoeba's attribution, are
// ignored). Files ending in .gz are decompressed.
func ReadPairsFile(path string) ([]Pair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("translate: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("translate: %s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	return ReadPairs(r, path)
}

// ReadPairs reads "source<TAB>target" lines from r; name is used in errors
// ("name:line: problem"). Blank lines are skipped; a line without a tab,
// with an empty side or with invalid UTF-8 is an error.
func ReadPairs(r io.Reader, name string) ([]Pair, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []Pair
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			return nil, fmt.Errorf("translate: %s:%d: invalid UTF-8", name, n)
		}
		cols := strings.Split(string(line), "\t")
		if len(cols) < 2 {
			return nil, fmt.Errorf("translate: %s:%d: no tab between source and target", name, n)
		}
		src, tgt := strings.TrimSpace(cols[0]), strings.TrimSpace(cols[1])
		if src == "" || tgt == "" {
			return nil, fmt.Errorf("translate: %s:%d: empty source or target", name, n)
		}
		out = append(out, Pair{src, tgt})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("translate: %s: %w", name, err)
	}
	return out, nil
}
