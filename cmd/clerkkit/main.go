// Command clerkkit is a developer tool for services that use Clerk.
//
//	clerkkit dev     [--addr HOST:PORT] [--seed FILE] [--webhook-url URL [--webhook-secret whsec_…]]
//	                                                    run a local Clerk Backend API emulator
//	clerkkit token   --user ID [--org ID] [--ttl D]     mint a session token (emulator or real Clerk)
//	clerkkit verify  TOKEN                              verify a session token with the CLERK_* config
//	clerkkit apikey create --subject user_…|org_…|mch_… [--name N] [--scopes A,B] [--ttl D]
//	                                                    create an API key and print its secret
//	clerkkit m2m create --machine-secret ak_…|--machine mch_… [--format opaque|jwt] [--ttl D]
//	                                                    create an M2M token for a machine and print it
//	clerkkit webhook send --url URL [--secret whsec_…] --type TYPE|--data FILE
//	                                                    sign and POST a Clerk webhook event
//
// Every command takes --help, which also lists the CLERK_* variables it
// reads. Errors are one line on stderr. The exit status is 0 on success
// (and for --help), 1 when the command failed while running (a refused
// token, an unreachable API, a bad CLERK_* variable) and 2 for a wrong or
// incomplete command line (an unknown command or flag, a missing or
// invalid flag value, a wrong number of arguments).
//
// dev stops on Ctrl-C (SIGINT) or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one subcommand.
type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, env env) error
}

// env is what a command may touch: its arguments' streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"dev", "run a local Clerk Backend API emulator, seeded with demo data", runDev},
		{"token", "mint a session token for a user", runToken},
		{"verify", "verify a session token with the CLERK_* configuration", runVerify},
		{"apikey", "create an API key for a user, organization or machine (apikey create --subject …)", runAPIKey},
		{"m2m", "create an M2M token for a machine (m2m create --machine-secret …|--machine …)", runM2M},
		{"webhook", "send a signed Clerk webhook (webhook send --url … --type …)", runWebhook},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], e)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, errHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "clerkkit %s: %s (see 'clerkkit %s --help')\n", c.name, ue.msg, c.name)
			return exitUsage
		}
		fmt.Fprintf(stderr, "clerkkit %s: %s\n", c.name, clean(err))
		return exitFailure
	}
	fmt.Fprintf(stderr, "clerkkit: unknown command %q (see 'clerkkit --help')\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: clerkkit <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'clerkkit <command> --help' for a command's flags and the CLERK_* variables it reads.")
}
