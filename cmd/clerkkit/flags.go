package main

import (
	"errors"
	"flag"
	"fmt"
)

// newFlags returns a FlagSet that prints its usage to e.stdout on --help
// and reports errors without printing usage twice.
func newFlags(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("clerkkit "+name, flag.ContinueOnError)
	fs.SetOutput(e.stdout)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: clerkkit %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, mapping --help to errUsage and other errors to one line.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(discard{})
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return errUsage{}
	}
	return err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
