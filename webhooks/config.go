package webhooks

import (
	"log/slog"
	"os"
	"strings"
	"time"
)

// Defaults applied to zero Config fields.
const (
	// DefaultTolerance is how far svix-timestamp may be from the local clock,
	// in either direction.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes caps the request body read before verification.
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultLease is how long a Handler's claim on a delivery id lasts; the
	// handler's context is cancelled when it runs out.
	DefaultLease = 2 * time.Minute
)

// EnvSigningSecret is the environment variable ConfigFromEnv reads the
// signing secret from, the name Clerk's SDKs use.
const EnvSigningSecret = "CLERK_WEBHOOK_SIGNING_SECRET"

// envSigningSecretLegacy is the older name, read when EnvSigningSecret is
// unset or empty.
const envSigningSecretLegacy = "CLERK_WEBHOOK_SECRET"

// Config configures a Verifier and a Handler. The zero value of every field
// but the secret is usable.
type Config struct {
	// SigningSecret is the endpoint's "whsec_…" secret from the Clerk
	// dashboard.
	SigningSecret string
	// SigningSecrets are further accepted secrets, for rotation: a delivery
	// is accepted when its signature matches any of SigningSecret and
	// SigningSecrets. Remove the old secret once rotation is over.
	SigningSecrets []string
	// Tolerance is the allowed distance between svix-timestamp and Now, in
	// both directions. Zero means DefaultTolerance.
	Tolerance time.Duration
	// MaxBodyBytes caps the body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Store records processed delivery ids (Handler only). Nil means a
	// NewMemoryStore with default options, which only deduplicates within
	// one process: use a shared store such as SQLStore with several replicas.
	Store Store
	// Lease bounds how long one delivery may run its handler before another
	// delivery of the same id may claim it (Handler only). Zero means
	// DefaultLease.
	Lease time.Duration
	// Logger receives the Handler's logs; nil discards them. Logs carry the
	// delivery id, the event type and errors, never the body or a secret.
	Logger *slog.Logger
}

// ConfigFromEnv returns a Config read from the environment, as
// auth.ConfigFromEnv does: its secrets come from
// CLERK_WEBHOOK_SIGNING_SECRET, or from CLERK_WEBHOOK_SECRET when the former
// is unset or empty; the other fields keep their defaults. The value may
// hold several secrets separated by spaces or commas (rotation): the first
// becomes SigningSecret, the others SigningSecrets. Pass it to NewHandler or
// NewVerifier, which validate it.
func ConfigFromEnv() Config {
	v := os.Getenv(EnvSigningSecret)
	if strings.TrimSpace(v) == "" {
		v = os.Getenv(envSigningSecretLegacy)
	}
	secrets := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	var cfg Config
	if len(secrets) > 0 {
		cfg.SigningSecret, cfg.SigningSecrets = secrets[0], secrets[1:]
	}
	return cfg
}
