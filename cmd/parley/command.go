package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Streams are the standard streams of one run. Machine output (results,
// --json) goes to Out, diagnostics to Err.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Command is one parley subcommand, in the style of cmd/go's base.Command.
// A Command value is built fresh for each run by its newXCommand function,
// so Flags and Run may share an options struct without package state.
type Command struct {
	Name  string // the word after "parley", e.g. "models"
	Usage string // what follows the name on the usage line, e.g. "[--json]"
	Short string // one line for the command list: lower case, no period
	Long  string // the body of "parley help NAME": what it does, then examples

	// Flags registers the command's flags on fs. Nil means no flags.
	Flags func(fs *flag.FlagSet)

	// Run does the work, with the positional arguments left after the
	// flags. It returns a *usageError (see usagef) for bad arguments.
	// Nil means the command is not available yet: Planned says what it
	// will do, and running it exits with exitUnavailable.
	Run func(ctx context.Context, s *Streams, args []string) error

	// Planned describes a command that is not available yet, e.g.
	// "batch speech recognition". Empty for available commands.
	Planned string
}

// usageLine is the usage of c without the "usage: " prefix.
func (c *Command) usageLine() string {
	if c.Usage == "" {
		return "parley " + c.Name
	}
	return "parley " + c.Name + " " + c.Usage
}

// available reports whether c is built into this binary.
func (c *Command) available() bool { return c.Run != nil }

// commands returns the command table in the order "parley help" lists it.
// A later issue that fills a command replaces its planned(NAME) entry with
// its own newXCommand() (in its own file, NAME.go) and deletes its case in
// unavailable.go.
func commands() []*Command {
	return []*Command{
		planned("chat"),
		planned("transcribe"),
		newTranslateCommand(),
		newParseCommand(),
		planned("generate"),
		newFeaturesCommand(),
		planned("glottal"),
		newTrainCommand(),
		newEvalCommand(),
		newModelsCommand(),
		newVersionCommand(),
	}
}

// lookup returns the command called name, or nil.
func lookup(cmds []*Command, name string) *Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// mainUsage is the synopsis printed with top-level usage errors.
const mainUsage = `usage: parley <command> [arguments]
       parley help [command]
       parley --version
`

// dispatch runs the command named by args[0].
func dispatch(ctx context.Context, s *Streams, cmds []*Command, args []string) error {
	if len(args) == 0 {
		return usagef(nil, "no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(s, cmds, rest)
	case "-version", "--version":
		name = "version"
	}
	if strings.HasPrefix(name, "-") {
		return usagef(nil, "unknown flag %s", name)
	}
	cmd := lookup(cmds, name)
	if cmd == nil {
		return usagef(nil, "unknown command %q", name)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !cmd.available() {
		if wantsHelp(rest) {
			printCommandHelp(s.Out, cmd)
			return nil
		}
		return &notAvailableError{name: cmd.Name, planned: cmd.Planned}
	}

	fs := flag.NewFlagSet("parley "+cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // report prints usage errors once
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(s.Out, cmd)
			return nil
		}
		return &usageError{cmd: cmd, err: err}
	}
	err := cmd.Run(ctx, s, fs.Args())
	var usage *usageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &usage):
		if usage.cmd == nil {
			usage.cmd = cmd
		}
		return err
	case errors.Is(err, context.Canceled):
		return err
	default:
		return &commandError{name: cmd.Name, err: err}
	}
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// runHelp implements "parley help [command]".
func runHelp(s *Streams, cmds []*Command, args []string) error {
	switch len(args) {
	case 0:
		printMainHelp(s.Out, cmds)
		return nil
	case 1:
		if args[0] == "help" {
			printMainHelp(s.Out, cmds)
			return nil
		}
		cmd := lookup(cmds, args[0])
		if cmd == nil {
			return usagef(nil, "unknown help topic %q", args[0])
		}
		printCommandHelp(s.Out, cmd)
		return nil
	default:
		return usagef(nil, "help takes at most one command name, got %d", len(args))
	}
}

// printMainHelp writes the text of "parley help".
func printMainHelp(w io.Writer, cmds []*Command) {
	fmt.Fprint(w, `Parley is an offline speech and dialogue suite: speech recognition,
translation, intent parsing, text generation, audio analysis and a terminal
voice assistant, in one binary that needs no network.

`)
	fmt.Fprint(w, mainUsage)
	fmt.Fprint(w, "\nCommands:\n\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range cmds {
		short := c.Short
		if !c.available() {
			short += " (not available yet)"
		}
		fmt.Fprintf(tw, "\t%s\t%s\n", c.Name, short)
	}
	fmt.Fprintf(tw, "\t%s\t%s\n", "help", "show help for parley or one of its commands")
	tw.Flush()
	fmt.Fprint(w, `
Run 'parley help <command>' for more about a command.

EXAMPLES
	parley help models                     more about one command
	parley features -o feats/ recordings/  log-mel features of every WAV file
	parley translate "Good morning"        English to Spanish with the embedded model
	parley models --json                   list the embedded models as JSON
	parley --version                       print the version and build of this binary

`)
	fmt.Fprint(w, exitStatusHelp())
}

// printCommandHelp writes the text of "parley help NAME".
func printCommandHelp(w io.Writer, cmd *Command) {
	fmt.Fprintf(w, "usage: %s\n\n", cmd.usageLine())
	if !cmd.available() {
		fmt.Fprintf(w, "parley %s: %s.\n\n", cmd.Name, cmd.Short)
		fmt.Fprintf(w, "This command is not available yet in this build (planned: %s).\n", cmd.Planned)
		fmt.Fprintf(w, "The README says what each capability needs and when it lands; until then\n")
		fmt.Fprintf(w, "running it exits with status %d.\n\n", exitUnavailable)
	} else {
		fmt.Fprintf(w, "%s\n", strings.TrimSpace(cmd.Long))
		if cmd.Flags != nil {
			fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
			cmd.Flags(fs)
			fmt.Fprint(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, exitStatusHelp())
}
