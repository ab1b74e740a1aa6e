package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

func newTestHandler(t testing.TB, cfg Config) *Handler {
	t.Helper()
	if cfg.SigningSecret == "" && cfg.SigningSecrets == nil {
		cfg.SigningSecret = testSecret
	}
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewHandlerValidatesConfig(t *testing.T) {
	short := "whsec_" + "c2hvcnQ=" // "short"
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no secret", Config{}},
		{"no prefix", Config{SigningSecret: strings.TrimPrefix(testSecret, "whsec_")}},
		{"not base64", Config{SigningSecret: "whsec_***"}},
		{"too short", Config{SigningSecret: short}},
		{"bad rotated secret", Config{SigningSecret: testSecret, SigningSecrets: []string{"whsec_"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHandler(tc.cfg)
			if !errors.Is(err, ErrInvalidSecret) {
				t.Fatalf("err = %v, want ErrInvalidSecret", err)
			}
			for _, s := range append([]string{tc.cfg.SigningSecret}, tc.cfg.SigningSecrets...) {
				if len(s) > len("whsec_") && strings.Contains(err.Error(), s[len("whsec_"):]) {
					t.Fatalf("error %q contains the secret", err)
				}
			}
		})
	}
	for _, cfg := range []Config{
		{SigningSecret: testSecret, Tolerance: -1},
		{SigningSecret: testSecret, MaxBodyBytes: -1},
		{SigningSecret: testSecret, Lease: -1},
	} {
		if _, err := NewHandler(cfg); err == nil {
			t.Errorf("NewHandler(%+v) accepted a negative limit", cfg)
		}
	}
	// Only SigningSecrets is enough.
	if _, err := NewHandler(Config{SigningSecrets: []string{testSecret}}); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvSigningSecret, "")
	t.Setenv(EnvSigningSecretLegacy, "whsec_old")
	if c := ConfigFromEnv(); c.SigningSecret != "whsec_old" || len(c.SigningSecrets) != 0 {
		t.Fatalf("legacy: %+v", c)
	}
	t.Setenv(EnvSigningSecret, " whsec_a, whsec_b  whsec_c\n")
	if c := ConfigFromEnv(); c.SigningSecret != "whsec_a" || !reflect.DeepEqual(c.SigningSecrets, []string{"whsec_b", "whsec_c"}) {
		t.Fatalf("rotation: %+v", c)
	}
	t.Setenv(EnvSigningSecret, "")
	t.Setenv(EnvSigningSecretLegacy, "")
	if _, err := NewHandler(ConfigFromEnv()); !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("empty env: %v", err)
	}
}

// countingHandler registers a user.created function counting its calls.
func countingHandler(t testing.TB, cfg Config) (*Handler, *atomic.Int32) {
	h := newTestHandler(t, cfg)
	var calls atomic.Int32
	h.OnUserCreated(func(context.Context, *clerk.User, *Event) error {
		calls.Add(1)
		return nil
	})
	return h, &calls
}

func TestHandlerRejections(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	valid := func() *http.Request { return signedRequest(t, testSecret, "msg_1", testNow, body) }
	withBody := func(b []byte) func() *http.Request {
		return func() *http.Request { return signedRequest(t, testSecret, "msg_1", testNow, b) }
	}
	without := func(name string) func() *http.Request {
		return func() *http.Request {
			r := valid()
			r.Header.Del(name)
			return r
		}
	}
	withHeader := func(name, value string) func() *http.Request {
		return func() *http.Request {
			r := valid()
			r.Header.Set(name, value)
			return r
		}
	}
	big := append(bytes.Repeat([]byte(" "), int(DefaultMaxBodyBytes)), body...)
	for _, tc := range []struct {
		name    string
		req     func() *http.Request
		status  int
		wantErr error
	}{
		{"missing svix-id", without(HeaderID), 400, ErrMissingHeaders},
		{"missing svix-timestamp", without(HeaderTimestamp), 400, ErrMissingHeaders},
		{"missing svix-signature", without(HeaderSignature), 400, ErrMissingHeaders},
		{"svix-signature missing, webhook-* headers valid", func() *http.Request {
			r := valid()
			for _, n := range []string{"id", "timestamp", "signature"} {
				r.Header.Set("webhook-"+n, r.Header.Get("svix-"+n))
			}
			r.Header.Del(HeaderSignature)
			return r
		}, 400, ErrMissingHeaders},
		{"timestamp not a number", withHeader(HeaderTimestamp, "1716883200.5"), 400, ErrInvalidHeaders},
		{"svix-id with a space", withHeader(HeaderID, "msg 1"), 400, ErrInvalidHeaders},
		{"svix-id too long", withHeader(HeaderID, strings.Repeat("m", 256)), 400, ErrInvalidHeaders},
		{"signed with another secret", func() *http.Request {
			return signedRequest(t, otherSecret, "msg_1", testNow, body)
		}, 400, ErrBadSignature},
		{"signature for another id", withHeader(HeaderID, "msg_2"), 400, ErrBadSignature},
		{"signature not v1", func() *http.Request {
			r := valid()
			r.Header.Set(HeaderSignature, strings.Replace(r.Header.Get(HeaderSignature), "v1,", "v2,", 1))
			return r
		}, 400, ErrBadSignature},
		{"garbage signature", withHeader(HeaderSignature, "v1,AAAA v1 ,,"), 400, ErrBadSignature},
		{"tampered body", func() *http.Request {
			r := valid()
			tampered := bytes.Replace(body, []byte("Ada"), []byte("Eve"), 1)
			r.Body, r.ContentLength = ioNopCloser(tampered), int64(len(tampered))
			return r
		}, 400, ErrBadSignature},
		{"re-encoded body", func() *http.Request {
			r := valid()
			spaced := bytes.Replace(body, []byte(`":`), []byte(`": `), -1)
			r.Body, r.ContentLength = ioNopCloser(spaced), int64(len(spaced))
			return r
		}, 400, ErrBadSignature},
		{"timestamp 6 minutes old", func() *http.Request {
			return signedRequest(t, testSecret, "msg_1", testNow.Add(-6*time.Minute), body)
		}, 400, ErrTooOld},
		{"timestamp 6 minutes ahead", func() *http.Request {
			return signedRequest(t, testSecret, "msg_1", testNow.Add(6*time.Minute), body)
		}, 400, ErrTooNew},
		{"oversized, Content-Length known", withBody(big), 413, ErrTooLarge},
		{"oversized, length unknown", func() *http.Request {
			r := withBody(big)()
			r.ContentLength = -1
			return r
		}, 413, ErrTooLarge},
		{"valid signature, not JSON", withBody([]byte("hello, not json")), 400, ErrMalformedPayload},
		{"valid signature, JSON array", withBody([]byte(`[1,2]`)), 400, ErrMalformedPayload},
		{"valid signature, no type", withBody([]byte(`{"data":{"id":"user_1"}}`)), 400, ErrMalformedPayload},
		{"valid signature, null data", withBody([]byte(`{"type":"user.created","data":null}`)), 400, ErrMalformedPayload},
		// Verify accepts this envelope; the Handler's typed decode rejects it.
		{"valid signature, data of the wrong shape", withBody([]byte(`{"type":"user.created","data":{"id":5}}`)), 400, ErrMalformedPayload},
		{"valid signature, empty body", withBody(nil), 400, ErrMalformedPayload},
		{"valid signature, duplicate id in data", withBody([]byte(`{"type":"user.created","data":{"id":"user_1","id":"user_2"}}`)), 400, ErrMalformedPayload},
		{"valid signature, case-folded duplicate id in data", withBody([]byte(`{"type":"user.created","data":{"id":"user_1","ID":"user_2"}}`)), 400, ErrMalformedPayload},
		{"valid signature, case-folded duplicate type", withBody([]byte(`{"type":"user.created","TYPE":"user.deleted","data":{"id":"user_1"}}`)), 400, ErrMalformedPayload},
		{"valid signature, duplicate deep in metadata", withBody([]byte(`{"type":"user.created","data":{"id":"user_1","public_metadata":{"role":"member","Role":"admin"}}}`)), 400, ErrMalformedPayload},
		{"valid signature, trailing garbage", withBody(append(append([]byte(nil), body...), "x"...)), 400, ErrMalformedPayload},
		{"GET", func() *http.Request { r := valid(); r.Method = http.MethodGet; return r }, 405, nil},
		{"PUT", func() *http.Request { r := valid(); r.Method = http.MethodPut; return r }, 405, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewMemoryStore(MemoryStoreOptions{})
			var logs bytes.Buffer
			h, calls := countingHandler(t, Config{Store: store, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			w := serve(h, tc.req())
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if calls.Load() != 0 || store.Len() != 0 {
				t.Fatalf("handler ran (%d) or store changed (%d)", calls.Load(), store.Len())
			}
			if tc.status == 405 && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			if tc.wantErr != nil && !strings.Contains(w.Body.String(), tc.wantErr.Error()) {
				t.Errorf("body %q does not name %v", w.Body, tc.wantErr)
			}
			if tc.wantErr != nil && !strings.Contains(logs.String(), tc.wantErr.Error()) {
				t.Errorf("logs %q do not name %v", logs.String(), tc.wantErr)
			}
			assertNoLeak(t, logs.String()+w.Body.String())

			// The same check through Verifier.Verify reports the sentinel.
			if tc.wantErr != nil && !strings.Contains(tc.name, "wrong shape") {
				v, _ := NewVerifier(Config{SigningSecret: testSecret, Now: fixedNow})
				if _, err := v.VerifyRequest(tc.req()); !errors.Is(err, tc.wantErr) {
					t.Errorf("VerifyRequest: %v, want %v", err, tc.wantErr)
				}
			}
		})
	}
}

func ioNopCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (*nopCloser) Close() error { return nil }

// assertNoLeak fails when s holds a secret or a body marker.
func assertNoLeak(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, otherSecret} {
		if strings.Contains(s, secret[len("whsec_"):]) {
			t.Fatalf("output contains a secret: %q", s)
		}
	}
	for _, marker := range []string{"Ada", "Eve", "hello, not json"} {
		if strings.Contains(s, marker) {
			t.Fatalf("output contains body content %q: %q", marker, s)
		}
	}
}

func TestHandlerTimestampTolerance(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	for i, d := range []time.Duration{-5 * time.Minute, -4*time.Minute - 59*time.Second, 0, 4*time.Minute + 59*time.Second, 5 * time.Minute} {
		h, calls := countingHandler(t, Config{})
		if w := serve(h, signedRequest(t, testSecret, fmt.Sprint("msg_", i), testNow.Add(d), body)); w.Code != 200 || calls.Load() != 1 {
			t.Errorf("offset %v: status %d, calls %d", d, w.Code, calls.Load())
		}
	}
	// A custom tolerance applies both ways.
	h, _ := countingHandler(t, Config{Tolerance: time.Minute})
	for _, d := range []time.Duration{-61 * time.Second, 61 * time.Second} {
		if w := serve(h, signedRequest(t, testSecret, "msg_x", testNow.Add(d), body)); w.Code != 400 {
			t.Errorf("tolerance 1m, offset %v: status %d", d, w.Code)
		}
	}
}

func TestHandlerSecretRotation(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	// During rotation both secrets are accepted.
	h, calls := countingHandler(t, Config{SigningSecret: otherSecret, SigningSecrets: []string{testSecret}})
	for i, secret := range []string{testSecret, otherSecret} {
		if w := serve(h, signedRequest(t, secret, fmt.Sprint("msg_", i), testNow, body)); w.Code != 200 {
			t.Fatalf("secret %d during rotation: %d", i, w.Code)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("calls = %d", calls.Load())
	}
	// Several signatures in one header: any match suffices.
	r := signedRequest(t, otherSecret, "msg_multi", testNow, body)
	old := signedHeader(t, testSecret, "msg_multi", testNow, body).Get(HeaderSignature)
	r.Header.Set(HeaderSignature, "v1,Zm9v "+old)
	h2, calls2 := countingHandler(t, Config{SigningSecret: testSecret})
	if w := serve(h2, r); w.Code != 200 || calls2.Load() != 1 {
		t.Fatalf("multi-signature header: %d", w.Code)
	}
	// After rotation the old secret is rejected.
	h3, calls3 := countingHandler(t, Config{SigningSecret: otherSecret})
	if w := serve(h3, signedRequest(t, testSecret, "msg_old", testNow, body)); w.Code != 400 || calls3.Load() != 0 {
		t.Fatalf("old secret after rotation: %d", w.Code)
	}
}

func TestHandlerIdempotency(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	for _, st := range stores {
		t.Run(st.name+"/sequential duplicates", func(t *testing.T) {
			h, calls := countingHandler(t, Config{Store: st.open(t)})
			for range 3 {
				if w := serve(h, signedRequest(t, testSecret, "msg_dup", testNow, body)); w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
			}
			if calls.Load() != 1 {
				t.Fatalf("handler ran %d times", calls.Load())
			}
		})
		t.Run(st.name+"/50 concurrent copies", func(t *testing.T) {
			h := newTestHandler(t, Config{Store: st.open(t)})
			var calls atomic.Int32
			started, release := make(chan struct{}), make(chan struct{})
			h.OnUserCreated(func(context.Context, *clerk.User, *Event) error {
				if calls.Add(1) == 1 {
					close(started)
				}
				<-release
				return nil
			})
			const copies = 50
			codes := make(chan int, copies)
			var wg sync.WaitGroup
			for range copies {
				wg.Go(func() { codes <- serve(h, signedRequest(t, testSecret, "msg_conc", testNow, body)).Code })
			}
			<-started
			// While the first copy runs, every other copy is refused with a
			// retryable status, never 2xx.
			for range copies - 1 {
				if c := <-codes; c != http.StatusConflict {
					t.Errorf("concurrent copy answered %d, want 409", c)
				}
			}
			close(release)
			wg.Wait()
			if c := <-codes; c != 200 {
				t.Fatalf("first copy answered %d", c)
			}
			if calls.Load() != 1 {
				t.Fatalf("handler ran %d times", calls.Load())
			}
			// The retries that follow are acknowledged without running it.
			if w := serve(h, signedRequest(t, testSecret, "msg_conc", testNow, body)); w.Code != 200 || calls.Load() != 1 {
				t.Fatalf("retry after completion: %d, calls %d", w.Code, calls.Load())
			}
		})
		t.Run(st.name+"/failure then redelivery", func(t *testing.T) {
			h := newTestHandler(t, Config{Store: st.open(t)})
			var calls atomic.Int32
			h.OnUserCreated(func(_ context.Context, u *clerk.User, _ *Event) error {
				switch calls.Add(1) {
				case 1:
					return errors.New("database down")
				case 2:
					panic("boom")
				}
				return nil
			})
			for i, want := range []int{500, 500, 200, 200} {
				if w := serve(h, signedRequest(t, testSecret, "msg_fail", testNow, body)); w.Code != want {
					t.Fatalf("delivery %d: %d, want %d", i+1, w.Code, want)
				}
			}
			if calls.Load() != 3 {
				t.Fatalf("handler ran %d times, want 3", calls.Load())
			}
		})
		t.Run(st.name+"/crashed claim expires", func(t *testing.T) {
			s := st.open(t)
			h, calls := countingHandler(t, Config{Store: s})
			if _, err := s.Claim(context.Background(), "msg_crash", "crashed-process", 20*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if w := serve(h, signedRequest(t, testSecret, "msg_crash", testNow, body)); w.Code != 409 || w.Header().Get("Retry-After") == "" {
				t.Fatalf("during the lease: %d", w.Code)
			}
			time.Sleep(40 * time.Millisecond)
			if w := serve(h, signedRequest(t, testSecret, "msg_crash", testNow, body)); w.Code != 200 || calls.Load() != 1 {
				t.Fatalf("after the lease: %d, calls %d", w.Code, calls.Load())
			}
		})
	}
}

func TestHandlerSQLStoreSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/events.db"
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	_, s1 := openSQLite(t, path)
	h1, calls1 := countingHandler(t, Config{Store: s1})
	if w := serve(h1, signedRequest(t, testSecret, "msg_restart", testNow, body)); w.Code != 200 || calls1.Load() != 1 {
		t.Fatalf("first: %d", w.Code)
	}
	// A new process: new *sql.DB and new Handler on the same file.
	_, s2 := openSQLite(t, path)
	h2, calls2 := countingHandler(t, Config{Store: s2})
	if w := serve(h2, signedRequest(t, testSecret, "msg_restart", testNow, body)); w.Code != 200 || calls2.Load() != 0 {
		t.Fatalf("after restart: %d, handler ran %d times", w.Code, calls2.Load())
	}
}

func TestHandlerUnknownAndUnregisteredTypes(t *testing.T) {
	h, calls := countingHandler(t, Config{})
	var logs bytes.Buffer
	h.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	unknown := []byte(`{"type":"subscription.renamed","object":"event","data":{"id":"x","future":[1,2]}}`)
	if w := serve(h, signedRequest(t, testSecret, "msg_u1", testNow, unknown)); w.Code != 200 {
		t.Fatalf("unknown type without handler: %d", w.Code)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "subscription.renamed") {
		t.Errorf("ignored event not logged at debug: %s", logs.String())
	}
	var got *Event
	h.On("subscription.renamed", func(_ context.Context, ev *Event) error {
		got = ev
		return nil
	})
	if w := serve(h, signedRequest(t, testSecret, "msg_u2", testNow, unknown)); w.Code != 200 || got == nil {
		t.Fatalf("unknown type with On: %d", w.Code)
	}
	if string(got.Data) != `{"id":"x","future":[1,2]}` || got.ID != "msg_u2" || !got.DeliveredAt.Equal(testNow) {
		t.Fatalf("raw event: %+v", got)
	}
	if _, err := got.User(); !errors.Is(err, ErrWrongType) {
		t.Fatalf("User() on unknown type: %v", err)
	}
	if calls.Load() != 0 {
		t.Fatal("user handler ran")
	}
}

func TestHandlerRegistrationPanics(t *testing.T) {
	h := newTestHandler(t, Config{})
	h.OnUserCreated(func(context.Context, *clerk.User, *Event) error { return nil })
	for name, f := range map[string]func(){
		"duplicate typed": func() { h.OnUserCreated(func(context.Context, *clerk.User, *Event) error { return nil }) },
		"duplicate raw":   func() { h.On(TypeUserCreated, func(context.Context, *Event) error { return nil }) },
		"nil typed":       func() { h.OnUserUpdated(nil) },
		"nil raw":         func() { h.On("x.y", nil) },
		"empty type":      func() { h.On("", func(context.Context, *Event) error { return nil }) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// failingStore fails the operations named in fail.
type failingStore struct {
	Store
	claim, complete bool
}

func (s failingStore) Claim(ctx context.Context, id, owner string, lease time.Duration) (ClaimState, error) {
	if s.claim {
		return 0, errors.New("store unreachable")
	}
	return s.Store.Claim(ctx, id, owner, lease)
}

func (s failingStore) Complete(ctx context.Context, id string) error {
	if s.complete {
		return errors.New("store unreachable")
	}
	return s.Store.Complete(ctx, id)
}

func TestHandlerStoreFailures(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", 1716883200000)
	h, calls := countingHandler(t, Config{Store: failingStore{Store: NewMemoryStore(MemoryStoreOptions{}), claim: true}})
	w := serve(h, signedRequest(t, testSecret, "msg_s1", testNow, body))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || calls.Load() != 0 {
		t.Fatalf("claim failure: %d, calls %d", w.Code, calls.Load())
	}
	if strings.Contains(w.Body.String(), "unreachable") {
		t.Errorf("5xx body exposes the internal error: %q", w.Body)
	}
	// The handler succeeded but the store could not record it: acknowledge.
	h, calls = countingHandler(t, Config{Store: failingStore{Store: NewMemoryStore(MemoryStoreOptions{}), complete: true}})
	if w := serve(h, signedRequest(t, testSecret, "msg_s2", testNow, body)); w.Code != 200 || calls.Load() != 1 {
		t.Fatalf("complete failure: %d, calls %d", w.Code, calls.Load())
	}
}

func TestHandlerLogsErrorsWithoutBodyOrSecret(t *testing.T) {
	var logs bytes.Buffer
	h := newTestHandler(t, Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h.OnUserCreated(func(ctx context.Context, u *clerk.User, _ *Event) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("handler context has no lease deadline")
		}
		return errors.New("insert failed")
	})
	w := serve(h, signedRequest(t, testSecret, "msg_log", testNow, userBody(TypeUserCreated, "user_1", 1716883200000)))
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	out := logs.String()
	for _, want := range []string{`"level":"ERROR"`, "insert failed", `"svix_id":"msg_log"`, `"type":"user.created"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
	assertNoLeak(t, out+w.Body.String())
}

// TestTypedRegistrationCoversEveryType registers every On<Type> method of
// Handler and delivers every spec example: each method must receive its
// event, decoded.
func TestTypedRegistrationCoversEveryType(t *testing.T) {
	examples := loadSpecExamples(t)
	h := newTestHandler(t, Config{})
	got := map[string]string{} // event type -> method that received it
	hv := reflect.ValueOf(h)
	methods := 0
	for i := 0; i < hv.NumMethod(); i++ {
		name := hv.Type().Method(i).Name
		if !strings.HasPrefix(name, "On") || name == "On" {
			continue
		}
		methods++
		m := hv.Method(i)
		fnType := m.Type().In(0)
		m.Call([]reflect.Value{reflect.MakeFunc(fnType, func(args []reflect.Value) []reflect.Value {
			ev := args[2].Interface().(*Event)
			if args[1].IsNil() {
				t.Errorf("%s: nil payload", name)
			}
			got[ev.Type] = name
			return []reflect.Value{reflect.Zero(fnType.Out(0))}
		})})
	}
	if methods != specEventCount+1 {
		t.Fatalf("%d On<Type> methods, want %d", methods, specEventCount+1)
	}
	for _, ex := range examples {
		if w := serve(h, signedRequest(t, testSecret, "msg_"+ex.Type, testNow, ex.Body)); w.Code != 200 {
			t.Fatalf("%s: %d %s", ex.Type, w.Code, w.Body)
		}
		want := "On" + strings.ReplaceAll(ex.Type, ".", "")
		if !strings.EqualFold(got[ex.Type], want) {
			t.Errorf("%s delivered to %q, want %s", ex.Type, got[ex.Type], want)
		}
	}
}

func TestVerifyFunction(t *testing.T) {
	body := userBody(TypeUserCreated, "user_1", time.Now().UnixMilli())
	ev, err := Verify(signedRequest(t, testSecret, "msg_v", time.Now(), body), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ev.User()
	if err != nil || u.ID != "user_1" {
		t.Fatalf("%v %v", u, err)
	}
	if _, err := Verify(signedRequest(t, testSecret, "msg_v", time.Now(), body), "nope"); !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("bad secret: %v", err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if _, err := Verify(r, testSecret); !errors.Is(err, ErrMissingHeaders) {
		t.Fatalf("no headers: %v", err)
	}
}

func TestSignValidates(t *testing.T) {
	if _, err := Sign("whsec_short", "msg", testNow, nil); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := Sign(testSecret, "", testNow, nil); !errors.Is(err, ErrInvalidHeaders) {
		t.Errorf("empty id: %v", err)
	}
}
