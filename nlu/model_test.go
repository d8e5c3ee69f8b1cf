package nlu

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// grammar generates a synthetic 2-intent grammar: set_timer with a
// duration slot, play_music with an artist slot.
func grammar(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 1))
	nums := []string{"one", "two", "five", "ten", "twenty"}
	units := []string{"minutes", "seconds", "hours"}
	artists := [][]string{{"miles", "davis"}, {"nina", "simone"}, {"adele"}, {"the", "beatles"}, {"bob", "marley"}}
	var out []Example
	for range n {
		if rng.IntN(2) == 0 {
			pre := [][]string{{"set", "a", "timer", "for"}, {"timer", "for"}, {"start", "a", "timer", "of"}}[rng.IntN(3)]
			d := []string{nums[rng.IntN(len(nums))], units[rng.IntN(len(units))]}
			e := Example{Intent: "set_timer", Tokens: append(append([]string(nil), pre...), d...)}
			for range pre {
				e.Tags = append(e.Tags, "O")
			}
			e.Tags = append(e.Tags, "B-duration", "I-duration")
			out = append(out, e)
			continue
		}
		pre := [][]string{{"play"}, {"play", "some"}, {"put", "on"}}[rng.IntN(3)]
		a := artists[rng.IntN(len(artists))]
		e := Example{Intent: "play_music", Tokens: append(append([]string(nil), pre...), a...)}
		for range pre {
			e.Tags = append(e.Tags, "O")
		}
		for i := range a {
			if i == 0 {
				e.Tags = append(e.Tags, "B-artist")
			} else {
				e.Tags = append(e.Tags, "I-artist")
			}
		}
		if rng.IntN(2) == 0 {
			e.Tokens = append(e.Tokens, "please")
			e.Tags = append(e.Tags, "O")
		}
		out = append(out, e)
	}
	return out
}

func tinyConfig() TrainConfig {
	c := DefaultTrainConfig()
	c.Model = Config{WordEmb: 16, CharEmb: 8, CharHidden: 8, Hidden: 24, Layers: 1, AttDim: 16, Dropout: 0.1, Threshold: 0.5}
	c.Epochs = 8
	c.BatchSize = 16
	c.LR = 5e-3
	c.LRDecay = 1
	c.Patience = 0
	return c
}

var (
	tinyOnce   sync.Once
	tinyModel  *Model
	tinyLosses []float64
	tinyErr    error
)

// trained returns a tiny model trained on the synthetic grammar (shared
// by the tests; a few seconds).
func trained(t *testing.T) *Model {
	t.Helper()
	tinyOnce.Do(func() {
		start := time.Now()
		tinyModel, tinyErr = Train(context.Background(), grammar(240, 1), grammar(60, 2), tinyConfig(), func(p Progress) {
			if !p.Final {
				tinyLosses = append(tinyLosses, p.Loss)
			} else {
				t.Logf("tiny model: dev %v; T %.3f; ECE %.4f -> %.4f; %s", p.Dev, p.Temperature, p.ECEBefore, p.Dev.ECE, time.Since(start))
			}
		})
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyModel
}

func TestTrainTinyGrammar(t *testing.T) {
	m := trained(t)
	if n := len(tinyLosses); n < 2 || tinyLosses[n-1] > 0.5*tinyLosses[0] {
		t.Fatalf("loss did not drop: %v", tinyLosses)
	}
	r, err := Evaluate(m, grammar(240, 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.SentenceAccuracy < 0.98 {
		t.Fatalf("training sentences: %v; mistakes %v", r, r.Mistakes)
	}
	res, err := m.Parse("set  a timer for  ten minutes")
	if err != nil {
		t.Fatal(err)
	}
	if res.Intent != "set_timer" || len(res.Slots) != 1 || res.Slots[0].Name != "duration" || res.Slots[0].Raw != "ten minutes" ||
		res.Slots[0].Start != 18 || res.Slots[0].End != 29 {
		t.Fatalf("parse: %+v", res)
	}
	if len(res.Alternatives) != 2 || res.Alternatives[0].Intent != "set_timer" {
		t.Errorf("alternatives %+v", res.Alternatives)
	}
	// Unicode and odd spacing: offsets index the original string.
	text := "\tplay  Nina   Simone  "
	res, err = m.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if res.Intent != "play_music" || len(res.Slots) != 1 || text[res.Slots[0].Start:res.Slots[0].End] != "Nina   Simone" {
		t.Fatalf("parse %q: %+v", text, res)
	}
	// Report plumbing.
	if r.Confusion["set_timer"]["set_timer"] == 0 || r.Intents["play_music"] == nil || r.Slots["artist"] == nil {
		t.Errorf("report maps: %+v", r)
	}
}

// saveLoadTexts are parsed before and after a save and load.
var saveLoadTexts = []string{"play the beatles please", "timer for two hours", "put on adele", "xyzzy"}

// checkSaveLoad saves m as float32, loads it back and checks that it
// parses saveLoadTexts identically; it returns the loaded model and the
// parses.
func checkSaveLoad(t *testing.T, m *Model) (*Model, []Result) {
	t.Helper()
	want, err := m.ParseBatch(saveLoadTexts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m2.ParseBatch(saveLoadTexts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || m2.Temperature != m.Temperature || m2.Cfg != m.Cfg {
		t.Fatalf("after load:\n%+v\nwant\n%+v", got, want)
	}
	return m2, want
}

func TestSaveLoadIdentical(t *testing.T) {
	m := trained(t)
	_, want := checkSaveLoad(t, m)
	texts := saveLoadTexts
	// float16: same intents and slots, confidences close.
	var buf bytes.Buffer
	if err := m.Save(&buf, SaveOptions{Float16: true}); err != nil {
		t.Fatal(err)
	}
	m3, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m3.ParseBatch(texts)
	for i := range got {
		if got[i].Intent != want[i].Intent || fmt.Sprint(got[i].Slots) != fmt.Sprint(want[i].Slots) {
			t.Errorf("float16 %q: %+v, want %+v", texts[i], got[i], want[i])
		}
	}
	if _, err := Load(bytes.NewReader([]byte("not a model"))); err == nil {
		t.Error("loading junk succeeded")
	}
}

func TestConcurrentParse(t *testing.T) {
	m := trained(t)
	texts := []string{"play miles davis", "set a timer for five seconds", "put on bob marley please", "start a timer of one hours"}
	// The reference is the same computation done sequentially (a batch
	// takes other kernels for its shapes, so its float rounding differs).
	want := make([]Result, len(texts))
	for i, text := range texts {
		r, err := m.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r
	}
	batch, err := m.ParseBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if batch[i].Intent != want[i].Intent || fmt.Sprint(batch[i].Slots) != fmt.Sprint(want[i].Slots) ||
			math.Abs(batch[i].Confidence-want[i].Confidence) > 1e-5 {
			t.Errorf("batch %+v, alone %+v", batch[i], want[i])
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				k := (g + i) % len(texts)
				r, err := m.Parse(texts[k])
				if err != nil {
					errs <- err
					return
				}
				if fmt.Sprint(r) != fmt.Sprint(want[k]) {
					errs <- fmt.Errorf("goroutine %d: %+v, want %+v", g, r, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBadInput(t *testing.T) {
	m := trained(t)
	for _, text := range []string{"", "   \t\n"} {
		r, err := m.Parse(text)
		if err != nil || !r.Fallback || len(r.Slots) != 0 || r.Intent != "" || r.Slots == nil {
			t.Errorf("Parse(%q) = %+v, %v", text, r, err)
		}
	}
	junk := string([]byte{0xff, 0x00, 0xfe, ' ', 0x80, 0x81, 0x01, ' ', 0xc3})
	r, err := m.Parse(junk)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Slots {
		if s.Start < 0 || s.End > len(junk) || s.Start >= s.End || junk[s.Start:s.End] != s.Raw {
			t.Errorf("junk slot %+v", s)
		}
	}
	// 10k words.
	long := strings.Repeat("play miles davis ", 3334)
	r, err = m.Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	if r.Intent == "" || len(r.Slots) == 0 || r.Slots[len(r.Slots)-1].End > len(long) {
		t.Errorf("long input: intent %q, %d slots", r.Intent, len(r.Slots))
	}
	// A batch mixing empty, long and short inputs.
	rs, err := m.ParseBatch([]string{"", "play adele", long[:200], " "})
	if err != nil || len(rs) != 4 || !rs[0].Fallback || rs[1].Intent != "play_music" {
		t.Errorf("batch: %+v, %v", rs, err)
	}
}

func TestFallbackThreshold(t *testing.T) {
	m := trained(t)
	r, err := m.Parse("play adele")
	if err != nil {
		t.Fatal(err)
	}
	saved := m.Cfg.Threshold
	defer func() { m.Cfg.Threshold = saved }()
	m.Cfg.Threshold = 1.01
	r2, _ := m.Parse("play adele")
	if r.Fallback || !r2.Fallback {
		t.Errorf("threshold: %+v / %+v", r, r2)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultTrainConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.Dropout = 1
	if bad.Validate() == nil {
		t.Error("dropout 1 accepted")
	}
	if _, err := BuildVocab([]Example{{Tokens: []string{"a"}, Tags: []string{"X-y"}, Intent: "i"}}, 1); err == nil {
		t.Error("bad tag accepted")
	}
	if _, err := Train(context.Background(), nil, nil, DefaultTrainConfig(), nil); err == nil {
		t.Error("no data accepted")
	}
}

// TestTrainTinyCRF trains the tiny model with a CRF slot head: it must
// learn the grammar, learn that I-artist follows B-artist rather than O,
// and survive a save and load unchanged.
func TestTrainTinyCRF(t *testing.T) {
	cfg := tinyConfig()
	cfg.Model.CRF = true
	var losses []float64
	m, err := Train(context.Background(), grammar(240, 1), grammar(60, 2), cfg, func(p Progress) {
		if !p.Final {
			losses = append(losses, p.Loss)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.crf == nil {
		t.Fatal("model has no CRF layer")
	}
	if n := len(losses); n < 2 || losses[n-1] > 0.5*losses[0] {
		t.Fatalf("loss did not drop: %v", losses)
	}
	r, err := Evaluate(m, grammar(240, 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.SentenceAccuracy < 0.98 {
		t.Fatalf("training sentences: %v; mistakes %v", r, r.Mistakes)
	}
	sc := m.crf.Scores()
	id := m.Vocab.tagID
	if b, o := sc.Trans[id["B-artist"]][id["I-artist"]], sc.Trans[id["O"]][id["I-artist"]]; b <= o {
		t.Errorf("transition B-artist→I-artist %.3f not above O→I-artist %.3f", b, o)
	}
	if m2, _ := checkSaveLoad(t, m); m2.crf == nil {
		t.Error("loaded model has no CRF layer")
	}
}
