package main

import "fmt"

// planned returns the table entry of a command that is not available yet:
// "parley NAME" prints what it will do, points at the README and exits with
// exitUnavailable (3).
//
// When an issue fills a command, it adds NAME.go with newNAMECommand(),
// uses it in commands() and deletes the case below.
func planned(name string) *Command {
	var short, plan string
	switch name {
	case "chat":
		short = "talk with the terminal voice assistant"
		plan = "terminal voice assistant: speech or text in, spoken and written answers out"
	case "transcribe":
		short = "transcribe WAV files to text"
		plan = "batch speech recognition"
	case "generate":
		short = "write a sentence for a dialogue act"
		plan = "natural-language generation from dialogue acts"
	case "glottal":
		short = "find glottal closure instants in speech"
		plan = "glottal analysis (GCI detection)"
	default:
		// A programmer error in commands(); TestCommandTable catches it.
		panic(fmt.Sprintf("parley: planned(%q): no such planned command", name))
	}
	return &Command{Name: name, Short: short, Planned: plan}
}
