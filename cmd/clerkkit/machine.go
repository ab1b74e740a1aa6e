package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/m2mtokens"
	"github.com/clerkkit/clerkkit/machines"
)

// envMachineSecretKey is the variable m2m create reads a machine secret
// key from when neither --machine-secret nor --machine is given.
const envMachineSecretKey = "CLERK_MACHINE_SECRET_KEY"

const apikeyAbout = `Creates an API key (POST /api_keys) that the subject — a user, or an
organization, or a machine — hands to a program, and prints its secret (ak_…),
the one time the API sends it unasked. Keep it out of logs.

Reads:
  CLERK_SECRET_KEY   the instance's secret key (required; 'clerkkit dev' prints one)
  CLERK_API_URL      the Backend API (default ` + auth.DefaultAPIURL + `)
  CLERK_API_VERSION  the Backend API version (default ` + auth.DefaultAPIVersion + `)`

func runAPIKey(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return parse(apikeyFlags(e), args)
		}
		return usagef("expected 'apikey create'")
	}
	fs := apikeyFlags(e)
	subject := fs.String("subject", "", "who the key authenticates as: user_…, org_… or mch_…, required")
	name := fs.String("name", "clerkkit-cli", "the key's name, at least 3 characters")
	scopes := fs.String("scopes", "", "comma-separated scopes, e.g. projects:read,projects:write")
	ttl := fs.Duration("ttl", 0, "lifetime, whole seconds (default: the key never expires)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *subject == "" {
		return usagef("--subject is required")
	}
	if !strings.HasPrefix(*subject, "user_") && !strings.HasPrefix(*subject, "org_") && !strings.HasPrefix(*subject, "mch_") {
		return usagef("--subject %q must be a user (user_…), organization (org_…) or machine (mch_…) id", *subject)
	}
	if *ttl < 0 || *ttl%time.Second != 0 {
		return usagef("--ttl must be a positive number of whole seconds")
	}
	cfg, err := instanceConfig(e)
	if err != nil {
		return err
	}
	b, err := clerkkit.NewBackend(cfg)
	if err != nil {
		return configError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	k, err := apikeys.New(b, apikeys.Options{}).Create(ctx, apikeys.CreateParams{
		Subject: *subject, Name: *name, Scopes: splitList(*scopes), ExpiresIn: *ttl,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k.Secret)
	return nil
}

func apikeyFlags(e env) *flag.FlagSet {
	return newFlags("apikey create", "--subject user_…|org_…|mch_… [--name NAME] [--scopes A,B] [--ttl D]", apikeyAbout, e)
}

const m2mAbout = `Creates an M2M token (POST /m2m_tokens) for a machine and prints it: send it
as "Authorization: Bearer <token>". The request is authenticated with the
machine's secret key: --machine-secret, else --machine (its key is fetched
with CLERK_SECRET_KEY), else $` + envMachineSecretKey + `.

Reads:
  ` + envMachineSecretKey + `  the machine's secret key (ak_…), without --machine-secret and --machine
  CLERK_SECRET_KEY          the instance's secret key, with --machine
  CLERK_API_URL             the Backend API (default ` + auth.DefaultAPIURL + `)
  CLERK_API_VERSION         the Backend API version (default ` + auth.DefaultAPIVersion + `)`

func runM2M(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return parse(m2mFlags(e), args)
		}
		return usagef("expected 'm2m create'")
	}
	fs := m2mFlags(e)
	secret := fs.String("machine-secret", "", "the machine's secret key (ak_…)")
	machine := fs.String("machine", "", "the machine's id (mch_…): its secret key is fetched with CLERK_SECRET_KEY")
	format := fs.String("format", "opaque", "token format: opaque (mt_…) or jwt")
	ttl := fs.Duration("ttl", 0, "lifetime, whole seconds (default: the machine's default token TTL)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch {
	case *secret != "" && *machine != "":
		return usagef("--machine-secret and --machine are exclusive")
	case *machine != "" && !strings.HasPrefix(*machine, "mch_"):
		return usagef("--machine %q must be a machine id (mch_…)", *machine)
	case *format != "opaque" && *format != "jwt":
		return usagef("--format must be opaque or jwt")
	case *ttl < 0 || *ttl%time.Second != 0:
		return usagef("--ttl must be a positive number of whole seconds")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	key := strings.TrimSpace(*secret)
	if *machine != "" {
		cfg, err := instanceConfig(e)
		if err != nil {
			return err
		}
		b, err := clerkkit.NewBackend(cfg)
		if err != nil {
			return configError(err)
		}
		if key, err = machines.New(b, machines.Options{}).SecretKey(ctx, *machine); err != nil {
			return err
		}
	}
	if key == "" {
		key = strings.TrimSpace(e.getenv(envMachineSecretKey))
	}
	if key == "" {
		return usagef("give --machine-secret, --machine or $%s", envMachineSecretKey)
	}
	b, err := clerkkit.NewMachineBackend(clerkkit.Config{
		SecretKey:  key,
		APIURL:     strings.TrimSpace(e.getenv("CLERK_API_URL")),
		APIVersion: strings.TrimSpace(e.getenv("CLERK_API_VERSION")),
	})
	if err != nil {
		return fmt.Errorf("the machine secret key: %s", clean(err))
	}
	tok, err := m2mtokens.New(b, m2mtokens.Options{}).Create(ctx, m2mtokens.CreateParams{
		ExpiresIn: *ttl, Format: m2mtokens.Format(*format),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok.Token)
	return nil
}

func m2mFlags(e env) *flag.FlagSet {
	return newFlags("m2m create", "--machine-secret ak_…|--machine mch_… [--format opaque|jwt] [--ttl D]", m2mAbout, e)
}

// instanceConfig is the clerkkit.Config of the CLERK_* variables, which
// must have the secret key.
func instanceConfig(e env) (clerkkit.Config, error) {
	cfg := clerkkit.Config{
		SecretKey:  strings.TrimSpace(e.getenv("CLERK_SECRET_KEY")),
		APIURL:     strings.TrimSpace(e.getenv("CLERK_API_URL")),
		APIVersion: strings.TrimSpace(e.getenv("CLERK_API_VERSION")),
	}
	if cfg.SecretKey == "" {
		return cfg, fmt.Errorf("CLERK_SECRET_KEY is not set (run 'clerkkit dev' and export the lines it prints, or use your instance's key)")
	}
	return cfg, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
