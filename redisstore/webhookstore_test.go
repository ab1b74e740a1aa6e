package redisstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/redisstore"
	"github.com/clerkkit/clerkkit/webhooks"
	"github.com/clerkkit/clerkkit/webhooks/webhookstest"
)

// newWebhookStore returns a WebhookStore on TEST_REDIS_URL's server under
// a prefix of its own, with completed ids remembered for a minute.
func newWebhookStore(t testing.TB, prefix string) *redisstore.WebhookStore {
	t.Helper()
	return redisstore.NewWebhookStore(newClient(t, true), redisstore.WebhookOptions{Prefix: prefix, TTL: time.Minute})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebhookStoreContract is webhooks.Store's contract, as webhooks'
// MemoryStore and SQLStore run it.
func TestWebhookStoreContract(t *testing.T) {
	webhookstest.RunStoreContract(t, newWebhookStore(t, testPrefix()))
}

// TestWebhookStoreConcurrentClaims: of 20 concurrent claims of one id
// through two stores (two replicas), one wins.
func TestWebhookStoreConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	p := testPrefix()
	stores := []*redisstore.WebhookStore{newWebhookStore(t, p), newWebhookStore(t, p)}
	var mu sync.Mutex
	counts := map[webhooks.ClaimState]int{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			got, err := stores[i%2].Claim(ctx, "same", fmt.Sprint("owner", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			counts[got]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[webhooks.Claimed] != 1 || counts[webhooks.InFlight] != 19 {
		t.Fatalf("claims: %v", counts)
	}
	must(t, stores[0].Complete(ctx, "same"))
	if st, err := stores[1].Claim(ctx, "same", "late", time.Minute); err != nil || st != webhooks.Completed {
		t.Fatalf("the other replica after completion: %v, %v", st, err)
	}
}

// TestWebhookStoreTTLAndPrefix: a completed id is forgotten after the TTL;
// the default prefix is DefaultPrefix; prefixes are namespaces; bad
// arguments are refused.
func TestWebhookStoreTTLAndPrefix(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, true)
	p := testPrefix()
	s := redisstore.NewWebhookStore(client, redisstore.WebhookOptions{Prefix: p, TTL: 200 * time.Millisecond})
	must(t, s.Complete(ctx, "msg_1"))
	if got := client.Get(ctx, p+"webhook:msg_1").Val(); got != "done" {
		t.Fatalf("key holds %q", got)
	}
	if st, _ := s.Claim(ctx, "msg_1", "o", time.Minute); st != webhooks.Completed {
		t.Fatalf("within the TTL: %v", st)
	}
	time.Sleep(400 * time.Millisecond)
	if st, err := s.Claim(ctx, "msg_1", "o", time.Minute); err != nil || st != webhooks.Claimed {
		t.Fatalf("after the TTL: %v, %v; want claimed", st, err)
	}
	if st, _ := newWebhookStore(t, testPrefix()).Claim(ctx, "msg_1", "o2", time.Minute); st != webhooks.Claimed {
		t.Fatalf("another prefix: %v, want claimed", st)
	}

	id := "msg_" + testPrefix()
	d := redisstore.NewWebhookStore(client, redisstore.WebhookOptions{})
	t.Cleanup(func() { client.Del(context.Background(), redisstore.DefaultPrefix+"webhook:"+id) })
	must(t, d.Complete(ctx, id))
	if ttl := client.PTTL(ctx, redisstore.DefaultPrefix+"webhook:"+id).Val(); ttl <= redisstore.DefaultWebhookTTL-time.Minute || ttl > redisstore.DefaultWebhookTTL {
		t.Fatalf("default prefix and TTL: PTTL %v", ttl)
	}

	if _, err := s.Claim(ctx, "x", "", time.Minute); !errors.Is(err, redisstore.ErrInvalidArgument) {
		t.Errorf("Claim without an owner: %v", err)
	}
	if _, err := s.Claim(ctx, "x", "o", 0); !errors.Is(err, redisstore.ErrInvalidArgument) {
		t.Errorf("Claim with lease 0: %v", err)
	}
}

// TestWebhookStoreUnreachable: every method fails with ErrRedis, within
// its context, when Redis is unreachable or hangs; a Claim then never
// reports a state.
func TestWebhookStoreUnreachable(t *testing.T) {
	for _, tc := range []struct{ name, addr string }{{"closed port", closedAddr(t)}, {"server never answers", blackhole(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			client := newRawClient(t, tc.addr)
			s := redisstore.NewWebhookStore(client, redisstore.WebhookOptions{})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			st, err := s.Claim(ctx, "msg_1", "o", time.Minute)
			if !errors.Is(err, redisstore.ErrRedis) || st != 0 {
				t.Errorf("Claim = %v, %v; want 0 and ErrRedis", st, err)
			}
			if err := s.Complete(ctx, "msg_1"); !errors.Is(err, redisstore.ErrRedis) {
				t.Errorf("Complete: %v", err)
			}
			if err := s.Release(ctx, "msg_1", "o"); !errors.Is(err, redisstore.ErrRedis) {
				t.Errorf("Release: %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v on a 100ms context", d)
			}
		})
	}
}

// Webhook signing for the handler tests.
var (
	testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerkkit-test-key-0123456789abcd"))
	testNow    = time.Unix(1716883200, 0)
)

func deliver(t testing.TB, h http.Handler, id string, body []byte) int {
	t.Helper()
	hdr, err := webhooks.Sign(testSecret, id, testNow, body)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestWebhookHandlerAcrossReplicas: two Handlers (two replicas), each with
// its own client of one Redis, receiving the same delivery 20 times
// concurrently run its function once; a failed run is retried by the next
// delivery; with Redis unreachable a delivery is refused with 503 and the
// function does not run.
func TestWebhookHandlerAcrossReplicas(t *testing.T) {
	p := testPrefix()
	var calls, failures atomic.Int32
	newHandler := func(store webhooks.Store) *webhooks.Handler {
		h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: testSecret, Now: func() time.Time { return testNow }, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		webhooks.On(h, webhooks.UserCreated, func(_ context.Context, u *clerk.User, _ *webhooks.Event) error {
			if u.ID == "user_flaky" && failures.Add(1) == 1 {
				return errors.New("first attempt fails")
			}
			calls.Add(1)
			return nil
		})
		return h
	}
	hs := []*webhooks.Handler{newHandler(newWebhookStore(t, p)), newHandler(newWebhookStore(t, p))}
	body := func(user string) []byte {
		return fmt.Appendf(nil, `{"type":"user.created","object":"event","timestamp":1716883200,"instance_id":"ins_1",`+
			`"data":{"object":"user","id":%q,"first_name":"Ada","updated_at":1716883200000,"created_at":1716883200000}}`, user)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 20 {
		wg.Go(func() {
			c := deliver(t, hs[i%2], "msg_replicas", body("user_1"))
			mu.Lock()
			codes[c]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for range 2 { // Svix's retries once the first has finished
		if c := deliver(t, hs[1], "msg_replicas", body("user_1")); c != http.StatusOK {
			t.Fatalf("redelivery: %d", c)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the function ran %d times over 22 deliveries to 2 replicas (answers %v), want once", n, codes)
	}
	if codes[http.StatusOK] < 1 || codes[http.StatusOK]+codes[http.StatusConflict] != 20 {
		t.Fatalf("answers: %v", codes)
	}

	if c := deliver(t, hs[0], "msg_flaky", body("user_flaky")); c != http.StatusInternalServerError {
		t.Fatalf("failing run: %d", c)
	}
	if c := deliver(t, hs[1], "msg_flaky", body("user_flaky")); c != http.StatusOK {
		t.Fatalf("retry on the other replica after a failure: %d", c)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}

	down := newHandler(redisstore.NewWebhookStore(newRawClient(t, closedAddr(t)), redisstore.WebhookOptions{}))
	if c := deliver(t, down, "msg_down", body("user_2")); c != http.StatusServiceUnavailable {
		t.Fatalf("with Redis unreachable: %d, want 503", c)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the function ran with Redis unreachable (calls = %d)", n)
	}
}
