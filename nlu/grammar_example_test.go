package nlu_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/parley-ai/parley/nlu"
)

func ExampleExpandGrammar() {
	const sentences = `
[SetTimer]
set a timer for <duration>
duration = ($number){amount} (minutes | seconds){unit}

[GetTime]
what time is it [please]   # a comment
`
	lists := map[string][]string{"number": {"five", "twenty one"}}
	examples, err := nlu.ExpandGrammar(strings.NewReader(sentences), "sentences.ini", lists, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, ex := range examples {
		words := make([]string, len(ex.Tokens))
		for i, tok := range ex.Tokens {
			words[i] = tok + "/" + ex.Tags[i]
		}
		fmt.Printf("%s: %s\n", ex.Intent, strings.Join(words, " "))
	}
	// Output:
	// SetTimer: set/O a/O timer/O for/O five/B-amount minutes/B-unit
	// SetTimer: set/O a/O timer/O for/O five/B-amount seconds/B-unit
	// SetTimer: set/O a/O timer/O for/O twenty/B-amount one/I-amount minutes/B-unit
	// SetTimer: set/O a/O timer/O for/O twenty/B-amount one/I-amount seconds/B-unit
	// GetTime: what/O time/O is/O it/O please/O
	// GetTime: what/O time/O is/O it/O
}

func ExampleReadYAML() {
	const data = `version: "1"
intents:
  - intent: set_timer
    examples: |
      - set a timer for [five minutes](duration)
      - wake me up in [ten minutes]{"entity": "duration"}, please!
`
	examples, err := nlu.ReadYAML(strings.NewReader(data), "nlu.yaml")
	if err != nil {
		log.Fatal(err)
	}
	for _, ex := range examples {
		fmt.Println(ex.Intent, ex.Tokens, ex.Tags)
	}

	_, err = nlu.ReadYAML(strings.NewReader(strings.Replace(data, "](duration)", "]", 1)), "nlu.yaml")
	fmt.Println(err)
	// Output:
	// set_timer [set a timer for five minutes] [O O O O B-duration I-duration]
	// set_timer [wake me up in ten minutes , please !] [O O O O B-duration I-duration O O O]
	// nlu: nlu.yaml line 5: annotation [five minutes]: want (slot) or {"entity": "slot"} after it
}
