// Command clerkkit is a developer tool for services that use Clerk.
//
//	clerkkit dev     [--addr HOST:PORT] [--seed FILE] [--webhook-url URL [--webhook-secret whsec_…]]
//	                                                    run a local Clerk Backend API emulator
//	clerkkit token   --user ID [--org ID] [--ttl D]     mint a session token (emulator or real Clerk)
//	clerkkit verify  TOKEN                              verify a session token with the CLERK_* config
//	clerkkit webhook send --url URL --secret whsec_… --type TYPE [--data FILE]
//	                                                    sign and POST a Clerk webhook event
//
// Every command takes --help. Errors are one line on stderr and a non-zero
// exit status.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

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
		{"webhook", "send a signed Clerk webhook (webhook send --url … --type …)", runWebhook},
	}
}

// errUsage is returned after the usage text was printed for --help.
type errUsage struct{}

func (errUsage) Error() string { return "usage" }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], e)
		switch err.(type) {
		case nil:
			return 0
		case errUsage:
			return 0
		}
		fmt.Fprintf(stderr, "clerkkit %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "clerkkit: unknown command %q (see clerkkit --help)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: clerkkit <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'clerkkit <command> --help' for a command's flags.")
}
