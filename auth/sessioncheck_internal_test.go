package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSessions is a Backend API answering GET /v1/sessions/{id} with
// body(id), and a clock.
type fakeSessions struct {
	mu   sync.Mutex
	now  time.Time
	body func(id string) (int, string)
}

func (f *fakeSessions) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func newFakeChecker(t *testing.T, o SessionCheckOptions, pending bool, body func(id string) (int, string)) (*SessionChecker, *fakeSessions) {
	t.Helper()
	f := &fakeSessions{now: time.Unix(1_800_000_000, 0), body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/v1/sessions/")
		if !ok || r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer sk_test_x" {
			http.Error(w, "bad request", http.StatusTeapot)
			return
		}
		status, b := f.body(id)
		w.WriteHeader(status)
		fmt.Fprint(w, b)
	}))
	t.Cleanup(srv.Close)
	v, err := NewVerifier(Config{SecretKey: "sk_test_x", Issuer: "https://clerk.example.com", APIURL: srv.URL, Now: f.clock, AllowPendingSessions: pending})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewSessionChecker(v, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func sessionBody(id, status string) string {
	return fmt.Sprintf(`{"object":"session","id":%q,"status":%q,"user_id":"user_1"}`, id, status)
}

// Every status of the spec's Session.status enum, and what is not a
// session.
func TestSessionCheckStatuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pending bool
		code    int
		body    string // %s: the id
		want    error
		final   bool
	}{
		{"active", false, 200, sessionBody("%s", "active"), nil, false},
		{"pending allowed", true, 200, sessionBody("%s", "pending"), nil, false},
		{"pending", false, 200, sessionBody("%s", "pending"), ErrSessionRevoked, false},
		{"unknown status", false, 200, sessionBody("%s", "suspended"), ErrSessionRevoked, false},
		{"revoked", false, 200, sessionBody("%s", "revoked"), ErrSessionRevoked, true},
		{"ended", false, 200, sessionBody("%s", "ended"), ErrSessionRevoked, true},
		{"removed", false, 200, sessionBody("%s", "removed"), ErrSessionRevoked, true},
		{"expired", false, 200, sessionBody("%s", "expired"), ErrSessionRevoked, true},
		{"abandoned", false, 200, sessionBody("%s", "abandoned"), ErrSessionRevoked, true},
		{"replaced", false, 200, sessionBody("%s", "replaced"), ErrSessionRevoked, true},
		{"404", false, 404, `{"errors":[{"code":"resource_not_found"}]}`, ErrSessionRevoked, true},
		{"another session", false, 200, sessionBody("sess_other", "active"), ErrSessionCheckUnavailable, false},
		{"not a session", false, 200, `{"object":"user","id":"%s","status":"active"}`, ErrSessionCheckUnavailable, false},
		{"no status", false, 200, `{"object":"session","id":"%s"}`, ErrSessionCheckUnavailable, false},
		{"status not a string", false, 200, `{"object":"session","id":"%s","status":1}`, ErrSessionCheckUnavailable, false},
		{"case-folded duplicate", false, 200, `{"object":"session","id":"%s","status":"revoked","Status":"active"}`, ErrSessionCheckUnavailable, false},
		{"not JSON", false, 200, `<html>`, ErrSessionCheckUnavailable, false},
		{"too large", false, 200, `{"object":"session","id":"%s","status":"active","x":"` + strings.Repeat("a", maxVerifyBody) + `"}`, ErrSessionCheckUnavailable, false},
		{"400", false, 400, `{}`, ErrSessionCheckUnavailable, false},
		{"502", false, 502, `{}`, ErrSessionCheckUnavailable, false},
		{"401", false, 401, `{}`, ErrSecretKeyInvalid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := newFakeChecker(t, SessionCheckOptions{}, tc.pending, func(id string) (int, string) {
				return tc.code, strings.ReplaceAll(tc.body, "%s", id)
			})
			err := c.Check(context.Background(), "sess_1")
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			// Past the TTL, only final refusals are still remembered.
			f.mu.Lock()
			f.now = f.now.Add(DefaultSessionCheckTTL)
			f.mu.Unlock()
			c.Check(context.Background(), "sess_1")
			want := int64(2)
			if tc.final {
				want = 1
			}
			if got := c.Lookups(); got != want {
				t.Fatalf("%d lookups, want %d", got, want)
			}
		})
	}
}

// The caches never hold more than CacheSize active and CacheSize refused
// sessions, and expired entries go first.
func TestSessionCheckBounded(t *testing.T) {
	c, f := newFakeChecker(t, SessionCheckOptions{CacheSize: 10}, false, func(id string) (int, string) {
		if strings.HasPrefix(id, "sess_r") {
			return 200, sessionBody(id, "revoked")
		}
		return 200, sessionBody(id, "active")
	})
	ctx := context.Background()
	for i := range 100 {
		c.Check(ctx, fmt.Sprintf("sess_a%d", i))
		c.Check(ctx, fmt.Sprintf("sess_r%d", i))
	}
	if len(c.active) > 10 || len(c.refused) > 10 {
		t.Fatalf("%d active, %d refused", len(c.active), len(c.refused))
	}
	// Refused sessions do not evict active ones.
	c.mu.Lock()
	clear(c.active)
	c.mu.Unlock()
	for i := range 10 {
		c.Check(ctx, fmt.Sprintf("sess_keep%d", i))
	}
	for i := range 100 {
		c.Check(ctx, fmt.Sprintf("sess_rr%d", i))
	}
	n := c.Lookups()
	for i := range 10 {
		if err := c.Check(ctx, fmt.Sprintf("sess_keep%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if c.Lookups() != n {
		t.Fatal("refused sessions evicted active ones")
	}
	// Expired entries are evicted before live ones.
	f.mu.Lock()
	f.now = f.now.Add(time.Hour)
	f.mu.Unlock()
	c.Check(ctx, "sess_new")
	if len(c.active) > 10 {
		t.Fatal(len(c.active))
	}
}

// A lookup in flight when Forget is called answers its callers but is
// not cached.
func TestSessionCheckForgetDuringLookup(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	c, _ := newFakeChecker(t, SessionCheckOptions{}, false, func(id string) (int, string) {
		once.Do(func() { <-release })
		return 200, sessionBody(id, "active")
	})
	done := make(chan error)
	go func() { done <- c.Check(context.Background(), "sess_1") }()
	for {
		c.mu.RLock()
		_, inFlight := c.flights["sess_1"]
		c.mu.RUnlock()
		if inFlight {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c.Forget("sess_1")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(c.active) != 0 {
		t.Fatal("a lookup that began before Forget was cached")
	}
	c.Check(context.Background(), "sess_1")
	if c.Lookups() != 2 {
		t.Fatal(c.Lookups())
	}
}
