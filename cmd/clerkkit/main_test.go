package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/testutil"
	"github.com/clerkkit/clerkkit/webhooks"
)

// cli runs the command line in-process with exactly env's CLERK_*
// variables set.
func cli(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_JWT_KEY", "CLERK_API_URL", "CLERK_JWKS_URL", "CLERK_ISSUER"} {
		t.Setenv(k, env[k])
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, os.Getenv)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := cli(t, nil, "--help")
	assert.Equal(t, 0, code)
	for _, c := range commands() {
		assert.Contains(t, out, c.name)
		code, out, _ := cli(t, nil, c.name, "--help")
		assert.Equal(t, 0, code, c.name)
		assert.Contains(t, out, "Usage: clerkkit "+c.name, c.name)
	}
	code, _, errOut := cli(t, nil, "nope")
	assert.Equal(t, 2, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one clear line")
	code, _, _ = cli(t, nil)
	assert.Equal(t, 2, code)
}

func TestVerify(t *testing.T) {
	iss := clerktest.NewIssuer(t)
	env := map[string]string{"CLERK_SECRET_KEY": iss.SecretKey(), "CLERK_PUBLISHABLE_KEY": iss.PublishableKey(), "CLERK_API_URL": iss.URL()}
	tok := iss.Token(clerktest.Claims{UserID: "user_1", Org: &clerktest.Org{ID: "org_1", Role: "admin", Permissions: []string{"org:a:b"}}})

	code, out, errOut := cli(t, env, "verify", tok)
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	assert.Equal(t, "user_1", s["user_id"])
	assert.Equal(t, "org:admin", s["org_role"])
	assert.Equal(t, []any{"org:a:b"}, s["org_permissions"])

	bad := tok[:len(tok)-6] + "AAAAAA"
	code, out, errOut = cli(t, env, "verify", bad)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.True(t, strings.HasPrefix(errOut, "clerkkit verify: token-invalid"), errOut)
	assert.Equal(t, 1, strings.Count(errOut, "\n"))
	assert.NotContains(t, errOut, bad)

	code, _, errOut = cli(t, env, "verify")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "exactly one TOKEN")
	code, _, errOut = cli(t, map[string]string{}, "verify", tok)
	assert.Equal(t, 1, code)
	assert.Equal(t, "clerkkit verify: no way to obtain keys: set CLERK_JWT_KEY, CLERK_JWKS_URL, CLERK_SECRET_KEY or CLERK_PUBLISHABLE_KEY\n", errOut)
}

func TestTokenNeedsUserAndKey(t *testing.T) {
	code, _, errOut := cli(t, nil, "token")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--user is required")
	code, _, errOut = cli(t, nil, "token", "--user", "user_1")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "CLERK_SECRET_KEY is not set")
	code, _, errOut = cli(t, nil, "token", "--user", "user_1", "--ttl", "5s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "at least 30s")
	code, _, errOut = cli(t, nil, "token", "--bogus")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "flag provided but not defined")
	// Configuration errors name the variables, not Go fields.
	code, _, errOut = cli(t, map[string]string{"CLERK_SECRET_KEY": "sk_test_123"}, "token", "--user", "user_1")
	assert.Equal(t, 1, code)
	assert.Equal(t, "clerkkit token: CLERK_SECRET_KEY is too short\n", errOut)
	code, _, errOut = cli(t, map[string]string{"CLERK_SECRET_KEY": "sk_test_0123456789abcdefghij", "CLERK_API_URL": "ftp://example.com"}, "token", "--user", "user_1")
	assert.Equal(t, 1, code)
	assert.Equal(t, "clerkkit token: CLERK_API_URL must be an http(s) URL\n", errOut)
}

func TestWebhookSend(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: secret})
	require.NoError(t, err)
	var got []*clerk.User
	var mu sync.Mutex
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, u)
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	code, out, errOut := cli(t, nil, "webhook", "send", "--url", srv.URL, "--secret", secret, "--type", "user.created", "--id", "msg_1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "msg_1 user.created -> 200 OK")
	require.Len(t, got, 1)
	assert.NotEmpty(t, got[0].ID)

	// The same id again: answered 200, handled once.
	code, _, _ = cli(t, nil, "webhook", "send", "--url", srv.URL, "--secret", secret, "--type", "user.created", "--id", "msg_1")
	assert.Equal(t, 0, code)
	assert.Len(t, got, 1)

	// A file, and the secret from the environment.
	f := filepath.Join(t.TempDir(), "ev.json")
	body, _ := emulator.WebhookExample("user.created")
	require.NoError(t, os.WriteFile(f, body, 0o600))
	code, _, errOut = cli(t, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": secret}, "webhook", "send", "--url", srv.URL, "--data", f)
	require.Equal(t, 0, code, errOut)
	assert.Len(t, got, 2)

	// A wrong secret: the endpoint refuses it, and the command says so.
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	code, _, errOut = cli(t, nil, "webhook", "send", "--url", srv.URL, "--secret", other, "--type", "user.created")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "400")
	assert.NotContains(t, errOut, other)

	for _, args := range [][]string{
		{"webhook"},
		{"webhook", "send", "--secret", secret, "--type", "user.created"},
		{"webhook", "send", "--url", srv.URL, "--secret", secret},
		{"webhook", "send", "--url", srv.URL, "--secret", secret, "--type", "no.such"},
		{"webhook", "send", "--url", srv.URL, "--secret", "nope", "--type", "user.created"},
		{"webhook", "send", "--url", "localhost:8080/hooks", "--secret", secret, "--type", "user.created"},
		{"webhook", "send", "--url", srv.URL, "--secret", secret, "--type", "user.created", "--data", f},
	} {
		code, _, errOut := cli(t, nil, args...)
		assert.Equal(t, 2, code, args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		assert.NotContains(t, errOut, "nope")
	}
	// No secret at all: the message says how to give one.
	code, _, errOut = cli(t, nil, "webhook", "send", "--url", srv.URL, "--type", "user.created")
	assert.Equal(t, 2, code)
	assert.Equal(t, "clerkkit webhook: no signing secret: give --secret whsec_… or set CLERK_WEBHOOK_SIGNING_SECRET (see 'clerkkit webhook --help')\n", errOut)
	// A bad secret in the environment is a runtime failure, not shown.
	code, _, errOut = cli(t, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": "whsec_bad!"}, "webhook", "send", "--url", srv.URL, "--type", "user.created")
	assert.Equal(t, 1, code)
	assert.Equal(t, "clerkkit webhook: $CLERK_WEBHOOK_SIGNING_SECRET: invalid signing secret: not base64 after the prefix\n", errOut)
}

func TestDevTokenVerify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"dev", "--addr", "127.0.0.1:0"}, out, out, os.Getenv) }()
	var env map[string]string
	require.Eventually(t, func() bool {
		env = map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
				env[k] = v
			}
		}
		return env["CLERK_SIGN_IN_URL"] != "" // the last line
	}, 10*time.Second, 10*time.Millisecond, out.String())

	// auth.ConfigFromEnv with what dev printed verifies what token mints.
	code, tok, errOut := cli(t, env, "token", "--user", "user_demo_member", "--org", "org_demo_acme", "--ttl", "2m")
	require.Equal(t, 0, code, errOut)
	code, sess, errOut := cli(t, env, "verify", strings.TrimSpace(tok))
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(sess), &s))
	assert.Equal(t, "user_demo_member", s["user_id"])
	assert.Equal(t, "org_demo_acme", s["org_id"])
	assert.Equal(t, "org:member", s["org_role"])

	// Only CLERK_PUBLISHABLE_KEY and CLERK_JWKS_URL: networkless of the secret key.
	code, _, errOut = cli(t, map[string]string{"CLERK_PUBLISHABLE_KEY": env["CLERK_PUBLISHABLE_KEY"], "CLERK_JWKS_URL": env["CLERK_JWKS_URL"]}, "verify", strings.TrimSpace(tok))
	require.Equal(t, 0, code, errOut)

	// Without --org, no active organization, though the user has two.
	code, tok, errOut = cli(t, env, "token", "--user", "user_demo_member")
	require.Equal(t, 0, code, errOut)
	code, sess, errOut = cli(t, env, "verify", strings.TrimSpace(tok))
	require.Equal(t, 0, code, errOut)
	s = nil
	require.NoError(t, json.Unmarshal([]byte(sess), &s))
	assert.Equal(t, "user_demo_member", s["user_id"])
	assert.Equal(t, "", s["org_id"])
	assert.Equal(t, "", s["org_role"])

	// One prefix, then the clean cause.
	code, _, errOut = cli(t, env, "token", "--user", "user_nobody")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^clerkkit token: POST /sessions: 404 Not Found: resource_not_found: No user was found with id user_nobody \[trace \w+\]\n$`, errOut)
	assert.Equal(t, 1, strings.Count(errOut, "clerkkit"), errOut)
	code, _, errOut = cli(t, env, "token", "--user", "user_demo_admin", "--org", "org_demo_globex")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not_a_member_in_organization")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("dev did not stop")
	}
}

func TestDevSeedFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "seed.json")
	require.NoError(t, os.WriteFile(f, []byte(`{"users":[{"id":"user_x"},{"id":"user_x"}]}`), 0o600))
	code, _, errOut := cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", f)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "seed")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.NoError(t, os.WriteFile(f, []byte("{\n  \"users\": [\n   not json"), 0o600))
	code, _, errOut = cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", f)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "seed.json:3: ")
	// An unknown key is an error naming the key, where it is and the file.
	require.NoError(t, os.WriteFile(f, []byte(`{"users":[{"id":"user_x"},{"id":"user_y","emails":["y@example.com"]}]}`), 0o600))
	code, _, errOut = cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", f)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "clerkkit dev: "+f+`: unknown key "emails" in users[1] (known keys: id, email_addresses, `), errOut)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	code, _, errOut = cli(t, nil, "dev", "--addr", "127.0.0.1:0", "--seed", filepath.Join(t.TempDir(), "missing.json"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "missing.json: no such file")
}

// devRun runs dev with args and the environment env until the test ends,
// and returns its stdout and stderr.
func devRun(t *testing.T, env map[string]string, args ...string) (stdout, stderr *testutil.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"dev", "--addr", "127.0.0.1:0"}, args...), stdout, stderr, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, stderr.String())
		case <-time.After(10 * time.Second):
			t.Error("dev did not stop")
		}
	})
	return stdout, stderr
}

var deliveryLine = regexp.MustCompile(`^webhook msg_[0-9A-Za-z]{27} (user|organization|organizationMembership)\.created -> 200$`)

func TestDevWebhooks(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerkkit dev webhook test secret"))
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: secret})
	require.NoError(t, err)
	var mu sync.Mutex
	got := map[string][]string{}
	record := func(typ, what string) error {
		mu.Lock()
		defer mu.Unlock()
		got[typ] = append(got[typ], what)
		return nil
	}
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		return record(ev.Type, u.ID+" "+u.EmailAddresses[0].EmailAddress)
	})
	webhooks.On(h, webhooks.OrganizationCreated, func(ctx context.Context, o *clerk.Organization, ev *webhooks.Event) error {
		return record(ev.Type, o.ID+" "+o.Slug)
	})
	webhooks.On(h, webhooks.OrganizationMembershipCreated, func(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
		return record(ev.Type, m.Organization.ID+" "+m.PublicUserData.UserID+" "+m.Role)
	})
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	// The secret from the environment.
	stdout, stderr := devRun(t, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": secret}, "--webhook-url", receiver.URL+"/hooks")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["user.created"]) == 2 && len(got["organization.created"]) == 2 && len(got["organizationMembership.created"]) == 3 &&
			strings.Count(stderr.String(), "\n") == 7
	}, 10*time.Second, 10*time.Millisecond, stderr.String())
	mu.Lock()
	assert.Equal(t, []string{"user_demo_admin ada@example.com", "user_demo_member max@example.com"}, got["user.created"])
	assert.Equal(t, []string{"org_demo_acme acme", "org_demo_globex globex"}, got["organization.created"])
	assert.ElementsMatch(t, []string{"org_demo_acme user_demo_admin org:admin", "org_demo_globex user_demo_member org:admin",
		"org_demo_acme user_demo_member org:member"}, got["organizationMembership.created"])
	mu.Unlock()
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		assert.Regexp(t, deliveryLine, line)
	}
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "clerkkit token") }, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, stdout.String(), "# Webhooks for the emulator's changes go to "+receiver.URL+"/hooks")
	assert.NotContains(t, stdout.String(), "CLERK_WEBHOOK_SIGNING_SECRET", "the secret came from the environment")
}

func TestDevWebhookGeneratedSecret(t *testing.T) {
	// A receiver that records what arrives, answering 503 to the very
	// first request and 200 to the others.
	type req struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var reqs []req
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		reqs = append(reqs, req{r.Header.Clone(), body})
		if len(reqs) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	stdout, stderr := devRun(t, nil, "--webhook-url", receiver.URL)
	var secret string
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(stdout.String(), "\n") {
			if s, ok := strings.CutPrefix(line, "export CLERK_WEBHOOK_SIGNING_SECRET="); ok {
				secret = s
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return secret != "" && len(reqs) >= 7 && strings.Count(stderr.String(), "\n") >= 7
	}, 10*time.Second, 10*time.Millisecond, stdout.String()+stderr.String())
	v, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: secret})
	require.NoError(t, err, "the printed secret is a valid whsec_ secret")
	mu.Lock()
	for _, r := range reqs {
		_, err := v.Verify(r.header, r.body)
		assert.NoError(t, err, "signed with the printed secret")
	}
	mu.Unlock()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	assert.Regexp(t, `^webhook msg_\w+ user\.created -> 503 \(attempt 1; retrying in 1s\)$`, lines[0])
	for _, line := range lines[1:] {
		assert.Regexp(t, deliveryLine, line)
	}
}

func TestDevWebhookFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--webhook-secret", "whsec_x"}, "--webhook-secret needs --webhook-url"},
		{[]string{"--webhook-url", "ftp://example.com/hooks"}, "not an absolute http or https URL"},
		{[]string{"--webhook-url", "http://127.0.0.1:1/hooks", "--webhook-secret", "not-a-secret"}, "--webhook-secret"},
		{[]string{"--webhook-url", "http://127.0.0.1:1/hooks", "--webhook-secret", "whsec_c2hvcnQ="}, "--webhook-secret"},
	} {
		code, _, errOut := cli(t, nil, append([]string{"dev", "--addr", "127.0.0.1:0"}, tc.args...)...)
		assert.Equal(t, 2, code, tc.args)
		assert.Contains(t, errOut, tc.want, tc.args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		assert.NotContains(t, errOut, "not-a-secret")
	}
	// An invalid secret in the environment is refused too, without showing it.
	code, _, errOut := cli(t, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": "whsec_bad!"}, "dev", "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:1/")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "$CLERK_WEBHOOK_SIGNING_SECRET")
	assert.NotContains(t, errOut, "whsec_bad!")
}

func TestHelpPrintedOnce(t *testing.T) {
	for _, c := range []string{"dev", "token", "verify"} {
		code, out, errOut := cli(t, nil, c, "--help")
		assert.Equal(t, 0, code)
		assert.Equal(t, 1, strings.Count(out, "Usage:"), c)
		assert.Empty(t, errOut)
		code, out, errOut = cli(t, nil, c, "--bogus")
		assert.Equal(t, 2, code)
		assert.Empty(t, out, "no usage text on a bad flag")
		assert.Equal(t, 1, strings.Count(errOut, "\n"))
	}
}
