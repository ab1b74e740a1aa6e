package bapi

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

const testKey = "sk_test_abcdefghijklmnopqrstuvwxyz0123456789"

// recorder is a fake clock and sleep: sleeping advances the clock and
// records the delay.
type recorder struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newRecorder() *recorder {
	return &recorder{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sleeps = append(r.sleeps, d)
	r.now = r.now.Add(d)
	return nil
}

func (r *recorder) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *recorder) delays() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// maxJitter makes backoff deterministic: always the upper bound.
func maxJitter(n int64) int64 { return n - 1 }

func newTestBackend(t *testing.T, url string, rec *recorder, mod func(*Config)) *Backend {
	t.Helper()
	cfg := Config{SecretKey: testKey, APIURL: url, Sleep: rec.sleep, Now: rec.clock, Jitter: maxJitter}
	if mod != nil {
		mod(&cfg)
	}
	b, err := NewBackend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// script serves the given handlers in order, the last one repeatedly,
// and counts requests and bodies.
type script struct {
	steps  []http.HandlerFunc
	n      atomic.Int64
	mu     sync.Mutex
	bodies []string
	reqs   []*http.Request
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.reqs = append(s.reqs, r.Clone(context.Background()))
	s.mu.Unlock()
	s.steps[min(i, len(s.steps)-1)](w, r)
}

func serve(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *script) {
	t.Helper()
	s := &script{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code >= 400 {
			io.WriteString(w, `{"errors":[{"code":"err_`+http.StatusText(code)[:3]+`","message":"m","long_message":"lm"}],"clerk_trace_id":"trace-1"}`)
		}
	}
}

func okUser(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"object":"user","id":"user_1"}`)
}

func getUser(b *Backend) (*clerk.User, error) {
	return (&user.Client{Backend: b}).Get(context.Background(), "user_1")
}

func banUser(b *Backend) (*clerk.User, error) {
	return (&user.Client{Backend: b}).Ban(context.Background(), "user_1")
}

func createUser(b *Backend) (*clerk.User, error) {
	return (&user.Client{Backend: b}).Create(context.Background(), &user.CreateParams{FirstName: clerk.String("Ann")})
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetry429HonoursRetryAfterSeconds(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			srv, s := serve(t, status(429, "Retry-After", "3"), okUser)
			rec := newRecorder()
			b := newTestBackend(t, srv.URL, rec, nil)
			var u *clerk.User
			var err error
			if method == "GET" {
				u, err = getUser(b)
			} else {
				u, err = createUser(b)
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != "user_1" || s.n.Load() != 2 {
				t.Fatalf("user %q after %d requests", u.ID, s.n.Load())
			}
			if got := rec.delays(); !equalDurations(got, []time.Duration{3 * time.Second}) {
				t.Fatalf("slept %v, want [3s]", got)
			}
		})
	}
}

func TestRetry429HonoursRetryAfterDate(t *testing.T) {
	rec := newRecorder()
	date := rec.clock().Add(7 * time.Second).Format(http.TimeFormat)
	srv, s := serve(t, status(429, "Retry-After", date), okUser)
	b := newTestBackend(t, srv.URL, rec, nil)
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	if got := rec.delays(); !equalDurations(got, []time.Duration{7 * time.Second}) || s.n.Load() != 2 {
		t.Fatalf("slept %v over %d requests, want [7s] over 2", got, s.n.Load())
	}
}

func TestRetry429PastDateRetriesAtOnce(t *testing.T) {
	rec := newRecorder()
	date := rec.clock().Add(-time.Hour).Format(http.TimeFormat)
	srv, _ := serve(t, status(429, "Retry-After", date), okUser)
	b := newTestBackend(t, srv.URL, rec, nil)
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	if got := rec.delays(); !equalDurations(got, []time.Duration{0}) {
		t.Fatalf("slept %v, want [0]", got)
	}
}

func TestRetry429WithoutRetryAfterBacksOff(t *testing.T) {
	srv, s := serve(t, status(429), status(429), okUser)
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, nil)
	if _, err := createUser(b); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{DefaultBaseDelay, 2 * DefaultBaseDelay}
	if got := rec.delays(); !equalDurations(got, want) || s.n.Load() != 3 {
		t.Fatalf("slept %v over %d requests, want %v over 3", got, s.n.Load(), want)
	}
}

func TestRetryAfterBeyondBudgetGivesUpAtOnce(t *testing.T) {
	srv, s := serve(t, status(429, "Retry-After", "60"), okUser)
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, nil)
	_, err := getUser(b)
	var ae *clerkerr.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *clerkerr.APIError", err)
	}
	if ae.Status != 429 || ae.RetryAfter != time.Minute || !errors.Is(err, clerkerr.ErrRateLimited) {
		t.Fatalf("got status %d, RetryAfter %v", ae.Status, ae.RetryAfter)
	}
	if s.n.Load() != 1 || len(rec.delays()) != 0 {
		t.Fatalf("%d requests, slept %v; want 1 request and no sleep", s.n.Load(), rec.delays())
	}
	if !strings.Contains(err.Error(), "retry after 1m0s") {
		t.Errorf("Error() = %q, want the Retry-After", err)
	}
}

func TestRetryAfterCountsAgainstBudget(t *testing.T) {
	// 20s + 20s > 30s: the second Retry-After ends the call.
	srv, s := serve(t, status(429, "Retry-After", "20"))
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, nil)
	_, err := getUser(b)
	if !errors.Is(err, clerkerr.ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if s.n.Load() != 2 || !equalDurations(rec.delays(), []time.Duration{20 * time.Second}) {
		t.Fatalf("%d requests, slept %v", s.n.Load(), rec.delays())
	}
}

func TestPostNotRetriedOn503(t *testing.T) {
	for _, code := range []int{502, 503, 504} {
		srv, s := serve(t, status(code), okUser)
		rec := newRecorder()
		b := newTestBackend(t, srv.URL, rec, nil)
		_, err := createUser(b)
		var ae *clerkerr.APIError
		if !errors.As(err, &ae) || ae.Status != code {
			t.Fatalf("%d: err = %v", code, err)
		}
		if s.n.Load() != 1 || len(rec.delays()) != 0 {
			t.Fatalf("%d: %d requests, want 1", code, s.n.Load())
		}
		// POST /users/{id}/ban is not idempotent either.
		s.n.Store(0)
		if _, err := banUser(b); err == nil || s.n.Load() != 1 {
			t.Fatalf("%d: ban: err %v after %d requests", code, err, s.n.Load())
		}
	}
}

func TestPatchNotRetriedOn503(t *testing.T) {
	srv, s := serve(t, status(503), okUser)
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := (&user.Client{Backend: b}).Update(context.Background(), "user_1", &user.UpdateParams{FirstName: clerk.String("x")})
	if err == nil || s.n.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, s.n.Load())
	}
}

func TestGetRetriedOn503ThenSucceeds(t *testing.T) {
	srv, s := serve(t, status(503), status(502), status(504), okUser)
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, nil)
	u, err := getUser(b)
	if err != nil || u.ID != "user_1" {
		t.Fatalf("u %v err %v", u, err)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if s.n.Load() != 4 || !equalDurations(rec.delays(), want) {
		t.Fatalf("%d requests, slept %v; want 4, %v", s.n.Load(), rec.delays(), want)
	}
}

func TestDeleteRetriedOn503(t *testing.T) {
	srv, s := serve(t, status(503), func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"object":"user","id":"user_1","deleted":true}`)
	})
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	if _, err := (&user.Client{Backend: b}).Delete(context.Background(), "user_1"); err != nil || s.n.Load() != 2 {
		t.Fatalf("err %v after %d requests", err, s.n.Load())
	}
}

func Test503RetryAfterHonoured(t *testing.T) {
	srv, _ := serve(t, status(503, "Retry-After", "2"), okUser)
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, nil)
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	if !equalDurations(rec.delays(), []time.Duration{2 * time.Second}) {
		t.Fatalf("slept %v", rec.delays())
	}
}

func TestOtherStatusesNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 422, 423, 500} {
		srv, s := serve(t, status(code), okUser)
		b := newTestBackend(t, srv.URL, newRecorder(), nil)
		_, err := getUser(b)
		var ae *clerkerr.APIError
		if !errors.As(err, &ae) || ae.Status != code || s.n.Load() != 1 {
			t.Fatalf("%d: err %v after %d requests", code, err, s.n.Load())
		}
	}
}

func TestAttemptsBounded(t *testing.T) {
	for _, tc := range []struct {
		policy RetryPolicy
		want   int64
	}{
		{RetryPolicy{}, 4},
		{RetryPolicy{MaxAttempts: 2}, 2},
		{RetryPolicy{MaxAttempts: 7}, 7},
		{RetryPolicy{MaxAttempts: 1}, 1},
		{RetryPolicy{Disabled: true, MaxAttempts: 9}, 1},
	} {
		srv, s := serve(t, status(503))
		rec := newRecorder()
		b := newTestBackend(t, srv.URL, rec, func(c *Config) { c.Retry = tc.policy })
		_, err := getUser(b)
		var ae *clerkerr.APIError
		if !errors.As(err, &ae) || ae.Status != 503 {
			t.Fatalf("%+v: err = %v", tc.policy, err)
		}
		if s.n.Load() != tc.want || int64(len(rec.delays())) != tc.want-1 {
			t.Fatalf("%+v: %d requests, %d sleeps; want %d", tc.policy, s.n.Load(), len(rec.delays()), tc.want)
		}
	}
}

func TestTotalWaitBounded(t *testing.T) {
	srv, s := serve(t, status(503))
	rec := newRecorder()
	b := newTestBackend(t, srv.URL, rec, func(c *Config) {
		c.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Second, MaxDelay: 4 * time.Second, MaxWait: 10 * time.Second}
	})
	if _, err := getUser(b); err == nil {
		t.Fatal("want an error")
	}
	// 1 + 2 + 4 = 7, then 3 left of the budget, then nothing.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 3 * time.Second}
	if !equalDurations(rec.delays(), want) || s.n.Load() != 5 {
		t.Fatalf("slept %v over %d requests, want %v over 5", rec.delays(), s.n.Load(), want)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	srv, _ := serve(t, status(503), status(503), okUser)
	rec := newRecorder()
	var bounds []int64
	b := newTestBackend(t, srv.URL, rec, func(c *Config) {
		c.Jitter = func(n int64) int64 { bounds = append(bounds, n); return 0 }
	})
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	if len(bounds) != 2 || bounds[0] != int64(250*time.Millisecond)+1 || bounds[1] != int64(500*time.Millisecond)+1 {
		t.Fatalf("jitter bounds %v", bounds)
	}
	if !equalDurations(rec.delays(), []time.Duration{0, 0}) {
		t.Fatalf("slept %v", rec.delays())
	}
}

func TestContextCancelStopsRetryingAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		status(429, "Retry-After", "20")(w, r)
	})
	b := newTestBackend(t, srv.URL, newRecorder(), func(c *Config) { c.Sleep = sleepCtx })
	start := time.Now()
	_, err := (&user.Client{Backend: b}).Get(ctx, "user_1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second || s.n.Load() != 1 {
		t.Fatalf("took %v over %d requests", time.Since(start), s.n.Load())
	}
}

func TestContextCancelDuringRealSleep(t *testing.T) {
	srv, s := serve(t, status(503))
	b := newTestBackend(t, srv.URL, newRecorder(), func(c *Config) {
		c.Sleep = sleepCtx
		c.Retry = RetryPolicy{BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Second}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := (&user.Client{Backend: b}).Get(ctx, "user_1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second || s.n.Load() != 1 {
		t.Fatalf("took %v over %d requests", d, s.n.Load())
	}
}

func TestNonJSONErrorKeepsStatus(t *testing.T) {
	html := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Clerk-Trace-Id", "edge-7")
			w.WriteHeader(code)
			io.WriteString(w, "<html><body>Bad gateway</body></html>")
		}
	}
	for _, tc := range []struct {
		code     int
		post     bool
		attempts int64
	}{{502, false, 4}, {502, true, 1}, {500, false, 1}, {404, false, 1}, {429, true, 4}} {
		srv, s := serve(t, html(tc.code))
		b := newTestBackend(t, srv.URL, newRecorder(), nil)
		var err error
		if tc.post {
			_, err = createUser(b)
		} else {
			_, err = getUser(b)
		}
		var ae *clerkerr.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%d: err = %#v, want *clerkerr.APIError", tc.code, err)
		}
		if ae.Status != tc.code || ae.Body != "<html><body>Bad gateway</body></html>" || ae.TraceID != "edge-7" || len(ae.Errors) != 0 {
			t.Fatalf("%d: %+v", tc.code, ae)
		}
		if s.n.Load() != tc.attempts {
			t.Fatalf("%d: %d requests, want %d", tc.code, s.n.Load(), tc.attempts)
		}
		if !strings.Contains(err.Error(), http.StatusText(tc.code)) || !strings.Contains(err.Error(), "Bad gateway") {
			t.Errorf("Error() = %q", err)
		}
	}
}

func TestEmptyErrorBodyKeepsStatus(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) })
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := getUser(b)
	var ae *clerkerr.APIError
	if !errors.As(err, &ae) || ae.Status != 418 {
		t.Fatalf("err = %v", err)
	}
}

func TestHugeErrorBodyBounded(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, strings.Repeat("x", 1<<20))
	})
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := getUser(b)
	var ae *clerkerr.APIError
	if !errors.As(err, &ae) || ae.Status != 500 || len(ae.Body) > maxBodyExcerpt+len("…") {
		t.Fatalf("err = %.200v", err)
	}
	if len(err.Error()) > 400 {
		t.Errorf("Error() is %d bytes", len(err.Error()))
	}
}

func TestClerkErrorBodyDecoded(t *testing.T) {
	body := `{"errors":[{"code":"form_identifier_exists","message":"taken","long_message":"That email address is taken.","meta":{"param_name":"email_address"}},{"code":"form_password_pwned","message":"pwned","long_message":"Pwned."}],"meta":{"x":1},"clerk_trace_id":"abc123"}`
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(422)
		io.WriteString(w, body)
	})
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := createUser(b)
	var ae *clerkerr.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	if ae.Status != 422 || len(ae.Errors) != 2 || ae.TraceID != "abc123" || ae.Method != "POST" || ae.Path != "/users" {
		t.Fatalf("%+v", ae)
	}
	e0 := ae.Errors[0]
	if e0.Code != "form_identifier_exists" || e0.Message != "taken" || e0.LongMessage != "That email address is taken." || string(e0.Meta) != `{"param_name":"email_address"}` {
		t.Fatalf("%+v", e0)
	}
	if string(ae.Meta) != `{"x":1}` || ae.Code() != "form_identifier_exists" || !ae.HasCode("form_password_pwned") || ae.HasCode("nope") {
		t.Fatalf("meta %s code %s", ae.Meta, ae.Code())
	}
	if !errors.Is(err, clerkerr.ErrValidation) || errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatal("sentinels")
	}
	var sdk *clerk.APIErrorResponse
	if !errors.As(err, &sdk) || sdk.HTTPStatusCode != 422 {
		t.Fatalf("clerk-sdk-go's error is not reachable: %v", sdk)
	}
	want := "clerkkit: POST /users: 422 Unprocessable Entity: form_identifier_exists: That email address is taken. (and 1 more) [trace abc123]"
	if err.Error() != want {
		t.Fatalf("Error() = %q\nwant      %q", err, want)
	}
}

func TestSentinels(t *testing.T) {
	for code, want := range map[int]error{404: clerkerr.ErrNotFound, 401: clerkerr.ErrUnauthorized, 429: clerkerr.ErrRateLimited, 409: clerkerr.ErrConflict, 400: clerkerr.ErrValidation, 422: clerkerr.ErrValidation} {
		e := &clerkerr.APIError{Status: code}
		if !errors.Is(e, want) {
			t.Errorf("%d is not %v", code, want)
		}
		for _, other := range []error{clerkerr.ErrNotFound, clerkerr.ErrUnauthorized, clerkerr.ErrRateLimited, clerkerr.ErrConflict, clerkerr.ErrValidation, clerkerr.ErrInvalidInput} {
			if other != want && errors.Is(e, other) {
				t.Errorf("%d is %v", code, other)
			}
		}
	}
	if !(&clerkerr.APIError{Status: 503}).Temporary() || !(&clerkerr.APIError{Status: 429}).Temporary() || (&clerkerr.APIError{Status: 404}).Temporary() {
		t.Error("Temporary")
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

func TestConnectionErrorsRetriedForIdempotentOnly(t *testing.T) {
	srv, s := serve(t, hangUp, okUser)
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	if _, err := getUser(b); err != nil || s.n.Load() != 2 {
		t.Fatalf("GET: err %v after %d requests", err, s.n.Load())
	}
	srv2, s2 := serve(t, hangUp, okUser)
	b2 := newTestBackend(t, srv2.URL, newRecorder(), nil)
	_, err := createUser(b2)
	if err == nil || s2.n.Load() != 1 {
		t.Fatalf("POST: err %v after %d requests", err, s2.n.Load())
	}
	var ae *clerkerr.APIError
	if errors.As(err, &ae) {
		t.Fatalf("a transport failure is not an clerkerr.APIError: %v", err)
	}
	if !strings.Contains(err.Error(), "POST /users") {
		t.Errorf("Error() = %q, want the call", err)
	}
}

func TestConnectionRefusedRetriedThenFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	rec := newRecorder()
	b := newTestBackend(t, "http://"+addr, rec, nil)
	if _, err := getUser(b); err == nil {
		t.Fatal("want an error")
	}
	if len(rec.delays()) != 3 {
		t.Fatalf("slept %v, want 3 waits (4 attempts)", rec.delays())
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		okUser(w, r)
	}))
	defer srv.Close()
	b := newTestBackend(t, srv.URL, newRecorder(), func(c *Config) { c.RequestTimeout = 100 * time.Millisecond })
	if _, err := getUser(b); err != nil || n.Load() != 2 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}

func TestBodyRewoundForRetries(t *testing.T) {
	srv, s := serve(t, status(429, "Retry-After", "0"), status(429, "Retry-After", "0"), okUser)
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	if _, err := createUser(b); err != nil {
		t.Fatal(err)
	}
	if len(s.bodies) != 3 {
		t.Fatalf("%d bodies", len(s.bodies))
	}
	for i, body := range s.bodies {
		if body != `{"first_name":"Ann"}` {
			t.Fatalf("attempt %d sent %q", i+1, body)
		}
	}
}

func TestHeaders(t *testing.T) {
	srv, s := serve(t, okUser)
	b := newTestBackend(t, srv.URL+"/", newRecorder(), func(c *Config) {
		c.APIVersion = "2024-10-01"
		c.UserAgent = "myapp/1.2"
	})
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	r := s.reqs[0]
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Values("Clerk-API-Version"); len(got) != 1 || got[0] != "2024-10-01" {
		t.Errorf("Clerk-API-Version = %q", got)
	}
	if got := r.Header.Values("User-Agent"); len(got) != 1 || got[0] != "myapp/1.2 clerkkit clerk-sdk-go/v2.4.2" {
		t.Errorf("User-Agent = %q", got)
	}
	if r.URL.Path != "/v1/users/user_1" {
		t.Errorf("path = %q", r.URL.Path)
	}
}

func TestDefaultHeadersAndV1Suffix(t *testing.T) {
	srv, s := serve(t, okUser)
	b := newTestBackend(t, srv.URL+"/v1/", newRecorder(), nil)
	if _, err := getUser(b); err != nil {
		t.Fatal(err)
	}
	r := s.reqs[0]
	if r.URL.Path != "/v1/users/user_1" || r.Header.Get("Clerk-API-Version") != DefaultAPIVersion {
		t.Fatalf("path %q version %q", r.URL.Path, r.Header.Get("Clerk-API-Version"))
	}
}

func TestCustomHTTPClientTransportUsed(t *testing.T) {
	srv, _ := serve(t, okUser)
	var n atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	b := newTestBackend(t, srv.URL, newRecorder(), func(c *Config) { c.HTTPClient = hc })
	if _, err := getUser(b); err != nil || n.Load() != 1 {
		t.Fatalf("err %v, custom transport used %d times", err, n.Load())
	}
	if _, ok := hc.Transport.(roundTripFunc); !ok {
		t.Fatal("the caller's client was modified")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTwoBackendsShareNothing(t *testing.T) {
	srv, s := serve(t, okUser)
	k2 := "sk_live_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
	b1 := newTestBackend(t, srv.URL, newRecorder(), nil)
	b2 := newTestBackend(t, srv.URL, newRecorder(), func(c *Config) { c.SecretKey = k2 })
	getUser(b1)
	getUser(b2)
	getUser(b1)
	want := []string{"Bearer " + testKey, "Bearer " + k2, "Bearer " + testKey}
	for i, r := range s.reqs {
		if got := r.Header.Get("Authorization"); got != want[i] {
			t.Fatalf("request %d: %q", i, got)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{}, "SecretKey is required"},
		{"publishable key", Config{SecretKey: "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"}, "must start with sk_test_ or sk_live_"},
		{"short key", Config{SecretKey: "sk_test_x"}, "too short"},
		{"key with space", Config{SecretKey: "sk_test_abcdefgh ijkl"}, "spaces"},
		{"key with newline", Config{SecretKey: "sk_test_abcdefghijkl\n"}, "spaces"},
		{"relative url", Config{SecretKey: testKey, APIURL: "api.clerk.com"}, "APIURL"},
		{"ftp url", Config{SecretKey: testKey, APIURL: "ftp://api.clerk.com"}, "APIURL"},
		{"http remote", Config{SecretKey: testKey, APIURL: "http://api.clerk.com"}, "https"},
		{"creds in url", Config{SecretKey: testKey, APIURL: "https://u:p@api.clerk.com"}, "credentials"},
		{"query in url", Config{SecretKey: testKey, APIURL: "https://api.clerk.com?x=1"}, "query"},
		{"bad version", Config{SecretKey: testKey, APIVersion: "2025 04"}, "APIVersion"},
		{"bad agent", Config{SecretKey: testKey, UserAgent: "a\r\nX: y"}, "UserAgent"},
		{"negative attempts", Config{SecretKey: testKey, Retry: RetryPolicy{MaxAttempts: -1}}, "negative"},
		{"negative timeout", Config{SecretKey: testKey, RequestTimeout: -1}, "negative"},
	} {
		_, err := NewBackend(tc.cfg)
		if !errors.Is(err, clerkerr.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if tc.cfg.SecretKey != "" && strings.Contains(err.Error(), tc.cfg.SecretKey) {
			t.Errorf("%s: error leaks the key", tc.name)
		}
	}
	for _, ok := range []string{"", "https://api.clerk.com", "https://api.clerk.com/", "https://api.clerk.com/v1", "http://localhost:8080", "http://127.0.0.1:1", "http://[::1]:2"} {
		if _, err := NewBackend(Config{SecretKey: testKey, APIURL: ok}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestNoSecretInErrors(t *testing.T) {
	srv, _ := serve(t, status(401))
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	_, err := getUser(b)
	if !errors.Is(err, clerkerr.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	j, _ := json.Marshal(err)
	if strings.Contains(err.Error(), testKey) || strings.Contains(string(j), testKey) || strings.Contains(err.Error(), "Bearer") {
		t.Fatalf("secret key in %q", err)
	}
}

func TestForeignBackendErrorsConverted(t *testing.T) {
	srv, _ := serve(t, status(404, "Retry-After", "4"))
	u := srv.URL + "/v1"
	key := testKey
	fb := Wrap(clerk.NewBackend(&clerk.BackendConfig{URL: &u, Key: &key, HTTPClient: srv.Client()}))
	_, err := (&user.Client{Backend: fb}).Get(context.Background(), "user_1")
	var ae *clerkerr.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.TraceID != "trace-1" || ae.RetryAfter != 4*time.Second || ae.Path != "/users/user_1" {
		t.Fatalf("err = %v (%+v)", err, ae)
	}
	if !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatal("not clerkerr.ErrNotFound")
	}
	if Wrap(fb) != fb {
		t.Fatal("Wrap wrapped twice")
	}
	b := newTestBackend(t, srv.URL, newRecorder(), nil)
	if Wrap(b) != clerk.Backend(b) {
		t.Fatal("Wrap wrapped a *Backend")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 5 ", 5 * time.Second, true},
		{"120", 2 * time.Minute, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Thursday, 01-Jan-26 00:00:10 GMT", 10 * time.Second, true},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
