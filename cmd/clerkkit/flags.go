package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// newFlags returns a FlagSet whose usage text goes to e.stdout: the
// synopsis, the flags, then about (what else the command reads, e.g. its
// CLERK_* variables), when given.
func newFlags(name, synopsis, about string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("clerkkit "+name, flag.ContinueOnError)
	fs.SetOutput(e.stdout)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: clerkkit %s %s\n", name, synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(e.stdout, "\nFlags:\n")
			fs.PrintDefaults()
		}
		if about != "" {
			fmt.Fprintf(e.stdout, "\n%s\n", strings.TrimSpace(about))
		}
	}
	return fs
}

// parse parses args. --help prints the usage text once and returns
// errHelp; any other error is a usageError, which run prints as one line
// with no usage text.
func parse(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return errHelp
	case err != nil:
		return usageError{err.Error()}
	}
	return nil
}

// noArgs is a usageError for the first positional argument, if any.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// errHelp is returned after the usage text was printed for --help.
var errHelp = errors.New("help printed")

// usageError is a wrong or incomplete command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// libraryPrefixes are the package prefixes of the library's errors.
var libraryPrefixes = []string{"clerkkit: ", "clerkkit/auth: ", "clerkkit/webhooks: ", "webhooks: ", "clerktest: "}

// clean returns err's text without the library's package prefixes
// ("clerkkit: ", "clerkkit/auth: ", …), at its start or after a wrapping
// ": ": the command's own "clerkkit NAME: " is the one prefix of a line.
func clean(err error) string {
	msg := err.Error()
	for _, p := range libraryPrefixes {
		msg = strings.ReplaceAll(msg, ": "+p, ": ")
	}
	for {
		rest := msg
		for _, p := range libraryPrefixes {
			rest = strings.TrimPrefix(rest, p)
		}
		if rest == msg {
			return msg
		}
		msg = rest
	}
}

// secretError is the text of webhooks' error for one invalid secret.
func secretError(err error) string { return strings.TrimPrefix(clean(err), "secret #1: ") }

// configFields are the Config fields of auth and clerkkit that the
// commands fill from CLERK_* variables.
var configFields = regexp.MustCompile(`\b(SecretKey|PublishableKey|JWTKey|JWKSURL|APIURL|APIVersion|Issuer|ProxyURL|AuthorizedParties)\b`)

var fieldEnv = map[string]string{
	"SecretKey": "CLERK_SECRET_KEY", "PublishableKey": "CLERK_PUBLISHABLE_KEY", "JWTKey": "CLERK_JWT_KEY",
	"JWKSURL": "CLERK_JWKS_URL", "APIURL": "CLERK_API_URL", "APIVersion": "CLERK_API_VERSION",
	"Issuer": "CLERK_ISSUER", "ProxyURL": "CLERK_PROXY_URL", "AuthorizedParties": "CLERK_AUTHORIZED_PARTIES",
}

// configError is a configuration error of auth or clerkkit (from a Config
// built from the environment) in the environment's terms: the CLERK_*
// variables instead of Go field names, without the "invalid config"
// sentinel's text.
func configError(err error) error {
	msg := clean(err)
	msg = strings.TrimPrefix(msg, "invalid config: ")
	msg = configFields.ReplaceAllStringFunc(msg, func(f string) string { return fieldEnv[f] })
	for phrase, v := range map[string]string{"secret key ": "CLERK_SECRET_KEY ", "publishable key ": "CLERK_PUBLISHABLE_KEY "} {
		if rest, ok := strings.CutPrefix(msg, phrase); ok {
			msg = v + rest
		}
	}
	return &restated{msg: msg, err: err}
}

// restated is err with a text for the command line.
type restated struct {
	msg string
	err error
}

func (e *restated) Error() string { return e.msg }
func (e *restated) Unwrap() error { return e.err }
