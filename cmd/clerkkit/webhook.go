package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/webhooks"
)

const webhookSynopsis = "--url URL [--secret whsec_…] --type TYPE | --data FILE"

const webhookAbout = `Signs the event as Svix does for Clerk and POSTs it once; prints the
svix-id, the event type and the endpoint's answer. A non-2xx answer is a
failure (exit status 1).

Reads:
  CLERK_WEBHOOK_SIGNING_SECRET  the signing secret when --secret is not given
                                (the first one when it lists several)`

func runWebhook(ctx context.Context, args []string, e env) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		args = []string{"send", "--help"}
	}
	if len(args) == 0 || args[0] != "send" {
		return usagef("expected 'webhook send'")
	}
	fs := newFlags("webhook send", webhookSynopsis, webhookAbout, e)
	target := fs.String("url", "", "endpoint to POST to, e.g. http://localhost:8080/api/webhooks/clerk (required)")
	secret := fs.String("secret", "", "signing secret whsec_… (default $"+webhooks.EnvSigningSecret+")")
	typ := fs.String("type", "", "event type, e.g. user.created: sends the spec's example payload (required unless --data)")
	data := fs.String("data", "", "file with the whole event JSON to send instead of the example ('-' for stdin)")
	id := fs.String("id", "", "svix-id of the message (default: a random msg_…); reuse one to test idempotency")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *target == "" {
		return usagef("--url is required")
	}
	if err := checkHTTPURL("--url", *target); err != nil {
		return err
	}
	if *typ != "" && *data != "" {
		return usagef("give --type or --data, not both")
	}
	body, err := eventBody(*typ, *data)
	if err != nil {
		return err
	}
	from := "--secret"
	if *secret == "" {
		from = "$" + webhooks.EnvSigningSecret
		if env := secretList(e.getenv(webhooks.EnvSigningSecret)); len(env) > 0 {
			*secret = env[0]
		}
	}
	if *secret == "" {
		return usagef("no signing secret: give --secret whsec_… or set %s", webhooks.EnvSigningSecret)
	}
	if _, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: *secret}); err != nil {
		if from == "--secret" {
			return usagef("--secret: %s", secretError(err))
		}
		return fmt.Errorf("%s: %s", from, secretError(err))
	}
	if *id == "" {
		*id = "msg_" + strings.ToLower(rand.Text())
	}
	hdr, err := webhooks.Sign(*secret, *id, time.Now(), body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "clerkkit-webhook-send")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	fmt.Fprintf(e.stdout, "%s %s -> %s\n", *id, eventType(body), resp.Status)
	if resp.StatusCode/100 != 2 {
		if line := strings.TrimSpace(firstLine(reply)); line != "" {
			return fmt.Errorf("the endpoint answered %s: %s", resp.Status, line)
		}
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}

// checkHTTPURL is a usageError unless v, the value of flag, is an
// absolute http or https URL.
func checkHTTPURL(flag, v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%s %q is not an absolute http or https URL", flag, v)
	}
	return nil
}

// secretList splits a CLERK_WEBHOOK_SIGNING_SECRET value, which may list
// several secrets (during a rotation), on commas and white space.
func secretList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// eventBody returns the file's contents, or the spec example for typ.
func eventBody(typ, file string) ([]byte, error) {
	switch {
	case file == "-":
		return io.ReadAll(io.LimitReader(os.Stdin, webhooks.DefaultMaxBodyBytes+1))
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("%s is not JSON", file)
		}
		return b, nil
	case typ == "":
		return nil, usagef("--type or --data is required")
	}
	b, ok := emulator.WebhookExample(typ)
	if !ok {
		return nil, usagef("--type %q has no example payload; known types: %s", typ, strings.Join(emulator.WebhookExampleTypes(), ", "))
	}
	return b, nil
}

func eventType(body []byte) string {
	var env struct {
		Type string `json:"type"`
	}
	json.Unmarshal(body, &env)
	return env.Type
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
