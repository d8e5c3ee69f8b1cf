// Command parley is the single binary of the Parley offline speech and
// dialogue suite. Run "parley help" for the list of subcommands.
//
// This package is wiring only: it parses arguments, resolves configuration
// into the typed configs of the library packages, and maps errors to exit
// codes in one place (exitcode.go). Libraries never exit.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // after the first signal, a second one kills at once
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the parley command line args (without the program name) and
// returns the process exit status. It is main without the process: tests
// call it with buffers. Cancelling ctx (SIGINT or SIGTERM in main) makes the
// running command stop and run return exitCancelled.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &Streams{In: stdin, Out: stdout, Err: stderr}
	return report(ctx, s, dispatch(ctx, s, commands(), args))
}
