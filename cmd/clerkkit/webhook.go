package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/webhooks"
)

func runWebhook(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "send" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, "Usage: clerkkit webhook send --url URL --secret whsec_… --type TYPE [--data FILE]")
			return errUsage{}
		}
		return errors.New("expected 'webhook send' (see clerkkit webhook --help)")
	}
	fs := newFlags("webhook send", "--url URL --secret whsec_… --type TYPE [--data FILE]", e)
	target := fs.String("url", "", "endpoint to POST to, e.g. http://localhost:8080/api/webhooks/clerk (required)")
	secret := fs.String("secret", "", "signing secret whsec_… (default $CLERK_WEBHOOK_SIGNING_SECRET)")
	typ := fs.String("type", "", "event type, e.g. user.created: sends the spec's example payload (required unless --data)")
	data := fs.String("data", "", "file with the whole event JSON to send instead of the example ('-' for stdin)")
	id := fs.String("id", "", "svix-id of the message (default: a random msg_…); reuse one to test idempotency")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *target == "" {
		return errors.New("--url is required")
	}
	if *secret == "" {
		*secret = e.getenv(webhooks.EnvSigningSecret)
	}
	body, err := eventBody(*typ, *data)
	if err != nil {
		return err
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
		return fmt.Errorf("endpoint answered %s: %s", resp.Status, strings.TrimSpace(firstLine(reply)))
	}
	return nil
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
		return nil, errors.New("--type or --data is required")
	}
	b, ok := clerktest.WebhookExample(typ)
	if !ok {
		return nil, fmt.Errorf("no example payload for %q; known types: %s", typ, strings.Join(clerktest.WebhookExampleTypes(), ", "))
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
