package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit statuses of parley. This file is the only place that maps errors to
// them; exitStatusHelp documents them for "parley help".
const (
	exitOK          = 0   // the command did what was asked
	exitFailure     = 1   // the command failed (bad input file, model error, ...)
	exitUsage       = 2   // bad command line: unknown command or flag, wrong arguments
	exitUnavailable = 3   // the command exists but is not available yet in this build
	exitCancelled   = 130 // interrupted by SIGINT (Ctrl-C) or SIGTERM; 128+SIGINT as shells do
)

// exitStatusHelp is the EXIT STATUS section of the help texts.
func exitStatusHelp() string {
	rows := []struct {
		code int
		text string
	}{
		{exitOK, "success"},
		{exitFailure, "failure (bad input, model or I/O error)"},
		{exitUsage, "usage error: unknown command or flag, wrong arguments"},
		{exitUnavailable, "the command is not available yet in this build (see README)"},
		{exitCancelled, "interrupted (Ctrl-C / SIGINT, or SIGTERM)"},
	}
	var b strings.Builder
	b.WriteString("EXIT STATUS\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "\t%-4d %s\n", r.code, r.text)
	}
	return b.String()
}

// usageError is a command-line mistake. cmd is the command whose usage to
// print; nil means the top-level usage.
type usageError struct {
	cmd *Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error of cmd.
func usagef(cmd *Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// notAvailableError reports a command that is planned but not built yet.
type notAvailableError struct {
	name    string // command name, e.g. "transcribe"
	planned string // what it will do, e.g. "batch speech recognition"
}

func (e *notAvailableError) Error() string {
	return fmt.Sprintf("parley %s: not available yet (planned: %s); see README", e.name, e.planned)
}

// commandError is the failure of a command; it prefixes the message with
// the command name.
type commandError struct {
	name string
	err  error
}

func (e *commandError) Error() string { return fmt.Sprintf("parley %s: %v", e.name, e.err) }
func (e *commandError) Unwrap() error { return e.err }

// report prints err, if any, once to s.Err and returns the exit status for
// it. A usage error also prints the usage of its command.
func report(ctx context.Context, s *Streams, err error) int {
	var (
		usage *usageError
		na    *notAvailableError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(s.Err, "parley: interrupted")
		return exitCancelled
	case errors.As(err, &usage):
		if usage.cmd == nil {
			fmt.Fprintf(s.Err, "parley: %v\n", usage.err)
			fmt.Fprint(s.Err, mainUsage)
			fmt.Fprintln(s.Err, "Run 'parley help' for the list of commands.")
		} else {
			fmt.Fprintf(s.Err, "parley %s: %v\n", usage.cmd.Name, usage.err)
			fmt.Fprintf(s.Err, "usage: %s\n", usage.cmd.usageLine())
			fmt.Fprintf(s.Err, "Run 'parley help %s' for details.\n", usage.cmd.Name)
		}
		return exitUsage
	case errors.As(err, &na):
		fmt.Fprintln(s.Err, na.Error())
		return exitUnavailable
	default:
		var ce *commandError
		if errors.As(err, &ce) {
			fmt.Fprintln(s.Err, ce.Error())
		} else {
			fmt.Fprintf(s.Err, "parley: %v\n", err)
		}
		return exitFailure
	}
}
