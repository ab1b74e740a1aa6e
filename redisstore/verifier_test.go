package redisstore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/redisstore"
)

const (
	emuUser = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	// verifyRoute is the emulator's route of API key verification.
	verifyRoute = "POST /v1/api_keys/verify"
)

// newAPIKey returns the id and secret of a new API key of emuUser, seeded
// into srv.
func newAPIKey(t testing.TB, srv *emulator.Server) (id, secret string) {
	t.Helper()
	var b [16]byte
	rand.Read(b[:])
	id, secret = "ak_"+hex.EncodeToString(b[:]), "ak_test_"+rand.Text()+rand.Text()
	if err := srv.Seed(emulator.SeedData{APIKeys: []emulator.SeedAPIKey{{ID: id, Secret: secret, Name: "redisstore test", Subject: emuUser}}}); err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// newEmulator returns an emulator with emuUser, on the real clock (the
// verifier processes read the real time).
func newEmulator(t testing.TB) *emulator.Server {
	t.Helper()
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: emuUser, EmailAddresses: []string{"ada@example.com"}}}}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// revokeAPIKey revokes the API key id through the Backend API.
func revokeAPIKey(t testing.TB, srv *emulator.Server, id string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/api_keys/"+id+"/revoke", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %s", resp.Status)
	}
}

// Environment of a verifier process (envHelper set).
const (
	envHelperAPIURL   = "CLERKKIT_REDISSTORE_HELPER_API_URL"
	envHelperSecret   = "CLERKKIT_REDISSTORE_HELPER_SECRET_KEY"
	envHelperPK       = "CLERKKIT_REDISSTORE_HELPER_PUBLISHABLE_KEY"
	envHelperPrefix   = "CLERKKIT_REDISSTORE_HELPER_PREFIX" // empty: no shared cache
	envHelperTokens   = "CLERKKIT_REDISSTORE_HELPER_TOKENS" // comma-separated
	envHelperRequests = "CLERKKIT_REDISSTORE_HELPER_REQUESTS"
)

// helperResult is what a verifier process prints: per token, how many of
// its requests were accepted and the reasons of the others.
type helperResult struct {
	Accepted map[string]int            `json:"accepted"`
	Refused  map[string]map[string]int `json:"refused"`
}

// helperMain is a verifier process: its own auth.Verifier, sharing
// verifications through Redis under envHelperPrefix. It prints "ready",
// waits for a line on stdin, then verifies each token of envHelperTokens
// envHelperRequests times concurrently and prints a helperResult.
func helperMain() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "verifier process:", err)
		return 2
	}
	cfg := auth.Config{
		SecretKey:      os.Getenv(envHelperSecret),
		PublishableKey: os.Getenv(envHelperPK),
		APIURL:         os.Getenv(envHelperAPIURL),
		HTTPClient:     &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
	if p := os.Getenv(envHelperPrefix); p != "" {
		opt, err := redis.ParseURL(os.Getenv(envRedisURL))
		if err != nil {
			return fail(errors.New(envRedisURL + " is not a Redis URL"))
		}
		opt.ContextTimeoutEnabled = true
		client := redis.NewClient(opt)
		defer client.Close()
		cfg.MachineCache = redisstore.New(client, redisstore.Options{Prefix: p})
	}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		return fail(err)
	}
	n, err := strconv.Atoi(os.Getenv(envHelperRequests))
	if err != nil {
		return fail(err)
	}
	tokens := strings.Split(os.Getenv(envHelperTokens), ",")
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(err)
	}
	res := helperResult{Accepted: map[string]int{}, Refused: map[string]map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tok := range tokens {
		res.Refused[tok] = map[string]int{}
		for range n {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, err := v.VerifyToken(ctx, tok, auth.APIKey)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					res.Accepted[tok]++
				} else {
					res.Refused[tok][auth.Reason(err)]++
				}
			})
		}
	}
	wg.Wait()
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return fail(err)
	}
	return 0
}

// runVerifiers starts procs verifier processes against srv, lets them
// verify tokens (requests times each, concurrently) at the same moment and
// returns their results. prefix "" gives them no shared cache.
func runVerifiers(t *testing.T, srv *emulator.Server, prefix string, procs, requests int, tokens ...string) []helperResult {
	t.Helper()
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	env := append(os.Environ(),
		envHelper+"=1",
		envHelperAPIURL+"="+srv.URL(),
		envHelperSecret+"="+srv.SecretKey(),
		envHelperPK+"="+srv.PublishableKey(),
		envHelperPrefix+"="+prefix,
		envHelperTokens+"="+strings.Join(tokens, ","),
		envHelperRequests+"="+strconv.Itoa(requests),
	)
	var ps []proc
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		ps = append(ps, proc{cmd, stdin, bufio.NewReader(stdout)})
	}
	for i, p := range ps {
		if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("verifier process %d: %q, %v", i, line, err)
		}
	}
	for _, p := range ps {
		io.WriteString(p.stdin, "go\n")
	}
	var out []helperResult
	for i, p := range ps {
		var r helperResult
		if err := json.NewDecoder(p.out).Decode(&r); err != nil {
			t.Fatalf("verifier process %d: %v", i, err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("verifier process %d: %v", i, err)
		}
		out = append(out, r)
	}
	return out
}

// TestMachineCacheAcrossProcesses: two processes, each with its own
// Verifier, verifying the same new API key (and the same unknown one)
// concurrently through one Redis make one Backend API call per token
// between them, not one each, and agree on the answers; without the
// shared cache they make one each (the control).
func TestMachineCacheAcrossProcesses(t *testing.T) {
	redisURL(t)
	const procs, requests = 2, 25
	srv := newEmulator(t)
	_, key := newAPIKey(t, srv)
	unknown := "ak_unknown_" + rand.Text()

	results := runVerifiers(t, srv, testPrefix(), procs, requests, key, unknown)
	for i, r := range results {
		if r.Accepted[key] != requests || len(r.Refused[key]) != 0 {
			t.Errorf("process %d, the key: %d accepted, refused %v; want all %d accepted", i, r.Accepted[key], r.Refused[key], requests)
		}
		if r.Accepted[unknown] != 0 || r.Refused[unknown]["token-invalid"] != requests {
			t.Errorf("process %d, an unknown key: %d accepted, refused %v; want all refused as token-invalid", i, r.Accepted[unknown], r.Refused[unknown])
		}
	}
	// Each token needs at least one call; two calls for two tokens is one
	// each.
	if n := srv.Calls(verifyRoute); n != 2 {
		t.Fatalf("%d processes verifying 2 tokens through Redis made %d Backend API calls, want 2 (one per token)", procs, n)
	}

	// The control: the same without Redis costs a call per token per
	// process.
	srv.ResetCalls()
	_, key2 := newAPIKey(t, srv)
	runVerifiers(t, srv, "", procs, requests, key2)
	if n := srv.Calls(verifyRoute); n != procs {
		t.Fatalf("without a shared cache: %d Backend API calls, want %d", n, procs)
	}
}

// TestVerifierWithoutRedis: a Verifier whose Redis is unreachable (a
// closed port), hangs (a server that never answers) or is paused (CLIENT
// PAUSE) verifies directly with the Backend API within its store timeout:
// a valid key is accepted, a revoked and an unknown one refused (never
// accepted because the store failed), a revoked one even after a replica
// cached it as valid in Redis once its TTL passes.
func TestVerifierWithoutRedis(t *testing.T) {
	cases := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"closed port", func(t *testing.T) redis.UniversalClient { return newRawClient(t, closedAddr(t)) }},
		{"server never answers", func(t *testing.T) redis.UniversalClient { return newRawClient(t, blackhole(t)) }},
		{"server paused", func(t *testing.T) redis.UniversalClient {
			c := newClient(t, false)
			admin := newClient(t, true)
			if err := admin.Do(t.Context(), "CLIENT", "PAUSE", 2000, "ALL").Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { admin.Do(context.Background(), "CLIENT", "UNPAUSE") })
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "server paused" {
				redisURL(t)
			}
			srv := newEmulator(t)
			_, valid := newAPIKey(t, srv)
			revokedID, revoked := newAPIKey(t, srv)
			revokeAPIKey(t, srv, revokedID)
			client := tc.client(t)
			cfg := srv.AuthConfig()
			cfg.MachineCache = redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
			v, err := auth.NewVerifier(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, c := range []struct {
				name, token, reason string
			}{{"valid", valid, ""}, {"revoked", revoked, "token-invalid"}, {"unknown", "ak_unknown_" + rand.Text(), "token-invalid"}} {
				start := time.Now()
				_, err := v.VerifyToken(ctx, c.token, auth.APIKey)
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s key: verification took %v (store timeout %v)", c.name, d, auth.DefaultMachineCacheTimeout)
				}
				if c.reason == "" && err != nil {
					t.Errorf("%s key refused: %v", c.name, err)
				}
				if c.reason != "" && auth.Reason(err) != c.reason {
					t.Errorf("%s key: %v, want %s", c.name, err, c.reason)
				}
			}
			if n := srv.Calls(verifyRoute); n != 3 {
				t.Errorf("%d Backend API calls, want 3 (one per key, directly)", n)
			}
		})
	}
}

// TestVerifierRevocationThroughRedis: a key cached as valid in Redis by
// one replica is refused by another once the cache TTL has passed and the
// key was revoked; the Redis value never outlives the TTL.
func TestVerifierRevocationThroughRedis(t *testing.T) {
	client := newClient(t, true)
	srv := newEmulator(t)
	id, key := newAPIKey(t, srv)
	cache := redisstore.New(client, redisstore.Options{Prefix: testPrefix()})
	cfg := srv.AuthConfig()
	cfg.MachineCache = cache
	cfg.MachineCacheTTL = 300 * time.Millisecond
	a, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.VerifyToken(ctx, key, auth.APIKey); err != nil {
		t.Fatal(err)
	}
	revokeAPIKey(t, srv, id)
	b, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.VerifyToken(ctx, key, auth.APIKey); err != nil {
		t.Fatalf("a second replica within the TTL: %v (want the shared result)", err)
	}
	if n := srv.Calls(verifyRoute); n != 1 {
		t.Fatalf("%d Backend API calls, want 1", n)
	}
	time.Sleep(400 * time.Millisecond)
	c, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*auth.Verifier{"first": a, "second": b, "new": c} {
		if _, err := v.VerifyToken(ctx, key, auth.APIKey); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("%s replica after the TTL: %v, want ErrTokenInvalid", name, err)
		}
	}
}
