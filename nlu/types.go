package nlu

// Example is one annotated utterance: whitespace tokens, one BIO tag per
// token ("O", "B-artist", "I-artist") and the intent.
type Example struct {
	Tokens []string
	Tags   []string
	Intent string
}

// Slot is one filled slot of a parse.
type Slot struct {
	Name string `json:"name"`
	// Value is the slot's normalised value (today the raw text).
	Value string `json:"value"`
	// Raw is the text as it appears in the utterance.
	Raw string `json:"raw"`
	// Start and End are byte offsets of Raw in the utterance.
	Start int `json:"start"`
	End   int `json:"end"`
}

// IntentScore is an intent with its probability.
type IntentScore struct {
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
}

// Result is the parse of one utterance.
type Result struct {
	Text       string  `json:"text"`
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
	// Fallback is true when the best intent's confidence is below the
	// model's out-of-scope threshold (Intent is then still the best guess).
	Fallback     bool          `json:"fallback"`
	Slots        []Slot        `json:"slots"`
	Alternatives []IntentScore `json:"alternatives,omitempty"`
}
