package translate

import (
	"strings"
	"unicode"
)

// Language identification for choosing a translation direction when the
// user gives none: frequent function words and a few letters that only
// some of the languages use. It knows English, Spanish, French and German
// (the languages of the Tatoeba pairs in ../shared/data), is meant for a
// choice among the few languages of a model, and needs no data files.

// langWords are frequent words of each language (lower case), as sets
// built once (read only). A word in several lists counts for each.
var langWords = wordSets(map[string][]string{
	"en": strings.Fields(`the is are was were i you he she it we they to of and an in on that this what where
		have has do does did not my your with for be can will at how there don't i'm it's he's
		isn't didn't can't won't there's what's let's please would could should very like want
		his her him them our their from by about all any some up out just get go know think here who
		why when been had said i'll i've you're we're they're doesn't wasn't without`),
	"es": strings.Fields(`el la los las de que y es en un una por para con se lo su está estoy tengo yo tú mi
		te muy qué dónde cómo del al pero más este esta hay son eres soy le les ella él nos usted
		quiero puedo también ya cuando porque fue era estaba tiene gusta he has ha han hemos nunca
		siempre solo hoy nada algo todos mis tus sus aquí eso esto ese`),
	"fr": strings.Fields(`le la les de des et est un une je tu il elle nous vous pas ne que qui dans pour avec ce
		c'est suis mon ma du au où très j'ai n'est sont êtes ai as avez était aussi mais`),
	"de": strings.Fields(`der die das und ist ich du er sie wir ihr nicht ein eine zu mit auf den dem des sind
		bin hast habe hat was wo wie sehr kein keine mein meine dich mich dir mir auch aber noch`),
})

// wordSets turns word lists into sets.
func wordSets(lists map[string][]string) map[string]map[string]bool {
	sets := make(map[string]map[string]bool, len(lists))
	for l, ws := range lists {
		set := make(map[string]bool, len(ws))
		for _, w := range ws {
			set[w] = true
		}
		sets[l] = set
	}
	return sets
}

// langLetters are letters that point to a language (each hit counts as a
// word).
var langLetters = map[string]string{
	"es": "ñ¿¡áíóú",
	"fr": "çèêëàâùûœî",
	"de": "äöüß",
}

// DetectLanguage guesses which of langs texts are written in. It returns
// ok = false when it knows none of langs, when the texts hold no evidence
// (no known words or letters: names, numbers, emoji) or when two
// languages score the same.
func DetectLanguage(texts []string, langs []string) (lang string, ok bool) {
	words := map[string]map[string]bool{} // the sets of the languages asked for
	for _, l := range langs {
		if set, known := langWords[l]; known {
			words[l] = set
		}
	}
	if len(words) == 0 {
		return "", false
	}
	score := map[string]int{}
	for _, text := range texts {
		text = strings.ToLower(text)
		for _, r := range text {
			for l := range words {
				if strings.ContainsRune(langLetters[l], r) {
					score[l]++
				}
			}
		}
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' }) {
			w = strings.ReplaceAll(strings.Trim(w, "'’"), "’", "'")
			for l, set := range words {
				if set[w] {
					score[l]++
				}
			}
		}
	}
	best, second := -1, -1
	for _, l := range langs { // in langs' order, so ties are found the same way every time
		if _, known := words[l]; !known {
			continue
		}
		switch s := score[l]; {
		case s > best:
			best, second, lang = s, best, l
		case s > second:
			second = s
		}
	}
	if best <= 0 || best == second {
		return "", false
	}
	return lang, true
}
