package webhooks

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// Svix header names, in the canonical form http.Header stores (HTTP header
// names are case-insensitive: these are svix-id, svix-timestamp and
// svix-signature).
const (
	HeaderID        = "Svix-Id"
	HeaderTimestamp = "Svix-Timestamp"
	HeaderSignature = "Svix-Signature"
)

// headerValue is header.Get(key) for a key already in canonical form.
func headerValue(header http.Header, key string) string {
	if v := header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

const (
	secretPrefix = "whsec_"
	// minSecretBytes is the shortest decoded key accepted (Svix issues 24 or
	// 32 bytes).
	minSecretBytes = 16
	// maxIDLen bounds svix-id, which becomes a Store key.
	maxIDLen = 255
)

// Verifier checks Svix signatures with one or more secrets and decodes the
// event envelope. It is safe for concurrent use.
type Verifier struct {
	keys      []*svix.Webhook
	tolerance time.Duration
	maxBody   int64
	now       func() time.Time
}

// NewVerifier returns a Verifier for cfg's secrets, Tolerance, MaxBodyBytes
// and Now. It fails with ErrInvalidSecret when no secret is given or any
// given secret is invalid, and with clerkerr.ErrInvalidConfig on negative limits.
func NewVerifier(cfg Config) (*Verifier, error) {
	secrets := cfg.SigningSecrets
	if cfg.SigningSecret != "" {
		secrets = append([]string{cfg.SigningSecret}, secrets...)
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret configured (set %s)", ErrInvalidSecret, EnvSigningSecret)
	}
	if cfg.Tolerance < 0 || cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: webhooks.Config.Tolerance and MaxBodyBytes must not be negative", clerkerr.ErrInvalidConfig)
	}
	v := &Verifier{tolerance: cfg.Tolerance, maxBody: cfg.MaxBodyBytes, now: cfg.Now}
	if v.tolerance == 0 {
		v.tolerance = DefaultTolerance
	}
	if v.maxBody == 0 {
		v.maxBody = DefaultMaxBodyBytes
	}
	if v.now == nil {
		v.now = time.Now
	}
	for i, s := range secrets {
		wh, err := parseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret #%d: %w", i+1, err)
		}
		v.keys = append(v.keys, wh)
	}
	return v, nil
}

// parseSecret validates a "whsec_<base64>" secret. Its errors never include
// the secret.
func parseSecret(secret string) (*svix.Webhook, error) {
	encoded, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: want the %q prefix", ErrInvalidSecret, secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64 after the prefix", ErrInvalidSecret)
	}
	if len(key) < minSecretBytes {
		return nil, fmt.Errorf("%w: key shorter than %d bytes", ErrInvalidSecret, minSecretBytes)
	}
	return svix.NewWebhookRaw(key)
}

// Verify authenticates one delivery with the given secret and decodes it. It
// reads at most DefaultMaxBodyBytes+1 bytes of r.Body and applies
// DefaultTolerance. Build a Verifier once with NewVerifier to use other
// settings or several secrets.
func Verify(r *http.Request, secret string) (*Event, error) {
	v, err := NewVerifier(Config{SigningSecret: secret})
	if err != nil {
		return nil, err
	}
	return v.VerifyRequest(r)
}

// VerifyRequest reads r.Body (at most MaxBodyBytes+1 bytes) and calls Verify
// with r.Header.
func (v *Verifier) VerifyRequest(r *http.Request) (*Event, error) {
	body, err := v.readBody(nil, r)
	if err != nil {
		return nil, err
	}
	return v.Verify(r.Header, body)
}

// readBody reads the capped body; w, when not nil, lets net/http close the
// connection of an oversized request.
func (v *Verifier) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > v.maxBody {
		return nil, ErrTooLarge
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, v.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, ErrTooLarge
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrReadBody, err)
	}
	return body, nil
}

// Verify authenticates a delivery from its headers and raw body, exactly as
// received, and decodes the envelope. Checks, in order: body size, presence of
// svix-id, svix-timestamp and svix-signature, their format, the timestamp
// tolerance, the signature (any v1 entry matching any secret), then the JSON
// envelope (an object with a non-empty "type" and a non-null "data").
func (v *Verifier) Verify(header http.Header, body []byte) (*Event, error) {
	if int64(len(body)) > v.maxBody {
		return nil, ErrTooLarge
	}
	id, ts, sig := headerValue(header, HeaderID), headerValue(header, HeaderTimestamp), headerValue(header, HeaderSignature)
	for _, h := range [...]struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, ts}, {HeaderSignature, sig}} {
		if h.value == "" {
			return nil, fmt.Errorf("%w: %s", ErrMissingHeaders, h.name)
		}
	}
	if !validID(id) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidHeaders, HeaderID)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidHeaders, HeaderTimestamp)
	}
	sent := time.Unix(secs, 0)
	now := v.now()
	switch {
	case now.Sub(sent) > v.tolerance:
		return nil, ErrTooOld
	case sent.Sub(now) > v.tolerance:
		return nil, ErrTooNew
	}
	if !v.signatureOK(header, body) {
		return nil, ErrBadSignature
	}
	ev := &Event{ID: id, DeliveredAt: sent}
	if err := decodeEnvelope(ev, body); err != nil {
		return nil, err
	}
	return ev, nil
}

// signatureOK delegates the HMAC comparison to svix. The three svix-* headers
// are known to be present, so svix reads exactly the values checked above
// (it only falls back to webhook-* headers when one is missing), and its
// timestamp check is skipped because Verify applied its own.
func (v *Verifier) signatureOK(header http.Header, body []byte) bool {
	for _, k := range v.keys {
		if k.VerifyIgnoringTimestamp(body, header) == nil {
			return true
		}
	}
	return false
}

// validID accepts printable ASCII without spaces, up to maxIDLen bytes.
func validID(id string) bool {
	if len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// Sign returns the svix-id, svix-timestamp and svix-signature headers that
// Svix would send for body, signed with secret at timestamp (truncated to
// seconds). Tests, local emulators and CLIs use it to produce deliveries.
func Sign(secret, id string, timestamp time.Time, body []byte) (http.Header, error) {
	wh, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	if id == "" || !validID(id) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidHeaders, HeaderID)
	}
	sig, err := wh.Sign(id, timestamp, body)
	if err != nil {
		return nil, fmt.Errorf("clerkkit/webhooks: signing: %w", err)
	}
	h := make(http.Header, 3)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(timestamp.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}

// malformed wraps a JSON decoding error in ErrMalformedPayload without
// quoting any of the input: encoding/json messages can include body bytes.
func malformed(what string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: %s: invalid JSON at offset %d", ErrMalformedPayload, what, syntax.Offset)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ")
		return fmt.Errorf("%w: %s: field %q cannot hold a JSON %s", ErrMalformedPayload, what, typ.Field, kind)
	default:
		return fmt.Errorf("%w: %s: invalid JSON", ErrMalformedPayload, what)
	}
}
