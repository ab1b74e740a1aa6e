package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
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
		if _, err := NewHandler(cfg); !errors.Is(err, clerkerr.ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "clerkkit: invalid config: ") {
			t.Errorf("NewHandler(%+v): %v, want clerkerr.ErrInvalidConfig", cfg, err)
		}
	}
	// Only SigningSecrets is enough.
	if _, err := NewHandler(Config{SigningSecrets: []string{testSecret}}); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvSigningSecret, "")
	t.Setenv(envSigningSecretLegacy, "whsec_old")
	if c := ConfigFromEnv(); c.SigningSecret != "whsec_old" || len(c.SigningSecrets) != 0 {
		t.Fatalf("legacy: %+v", c)
	}
	t.Setenv(EnvSigningSecret, " whsec_a, whsec_b  whsec_c\n")
	if c := ConfigFromEnv(); c.SigningSecret != "whsec_a" || !reflect.DeepEqual(c.SigningSecrets, []string{"whsec_b", "whsec_c"}) {
		t.Fatalf("rotation: %+v", c)
	}
	t.Setenv(EnvSigningSecret, "")
	t.Setenv(envSigningSecretLegacy, "")
	if _, err := NewHandler(ConfigFromEnv()); !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("empty env: %v", err)
	}
}

// countingHandler registers a user.created function counting its calls.
func countingHandler(t testing.TB, cfg Config) (*Handler, *atomic.Int32) {
	h := newTestHandler(t, cfg)
	var calls atomic.Int32
	On(h, UserCreated, func(context.Context, *clerk.User, *Event) error {
		calls.Add(1)
		return nil
	})
	return h, &calls
}

func TestHandlerRejections(t *testing.T) {
	body := userBody(string(UserCreated), "user_1", 1716883200000)
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
	body := userBody(string(UserCreated), "user_1", 1716883200000)
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
	body := userBody(string(UserCreated), "user_1", 1716883200000)
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
	body := userBody(string(UserCreated), "user_1", 1716883200000)
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
			On(h, UserCreated, func(context.Context, *clerk.User, *Event) error {
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
			On(h, UserCreated, func(_ context.Context, u *clerk.User, _ *Event) error {
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
	// The application decides what the data of a type unknown here is.
	if v, err := Payload[map[string]any](got); err != nil || v["id"] != "x" {
		t.Fatalf("Payload on unknown type: %v %v", v, err)
	}
	if calls.Load() != 0 {
		t.Fatal("user handler ran")
	}
}

func TestHandlerRegistrationPanics(t *testing.T) {
	h := newTestHandler(t, Config{})
	On(h, UserCreated, func(context.Context, *clerk.User, *Event) error { return nil })
	h.On("x.raw", func(context.Context, *Event) error { return nil })
	for name, f := range map[string]func(){
		"duplicate typed": func() { On(h, UserCreated, func(context.Context, *clerk.User, *Event) error { return nil }) },
		"duplicate raw":   func() { h.On(string(UserCreated), func(context.Context, *Event) error { return nil }) },
		"typed after raw": func() {
			On(h, EventType[*clerk.User]("x.raw"), func(context.Context, *clerk.User, *Event) error { return nil })
		},
		"nil typed":  func() { On(h, UserUpdated, nil) },
		"nil raw":    func() { h.On("x.y", nil) },
		"empty type": func() { h.On("", func(context.Context, *Event) error { return nil }) },
		"empty typed": func() {
			On(h, EventType[*clerk.User](""), func(context.Context, *clerk.User, *Event) error { return nil })
		},
		"known name, wrong T": func() {
			On(h, EventType[*Session](UserUpdated), func(context.Context, *Session, *Event) error { return nil })
		},
		"known name, value T": func() {
			On(h, EventType[clerk.User](UserUpdated), func(context.Context, clerk.User, *Event) error { return nil })
		},
		"untyped name, wrong T": func() { On(h, "session.created", func(context.Context, *clerk.User, *Event) error { return nil }) },
	} {
		func() {
			defer func() {
				p := recover()
				if p == nil {
					t.Errorf("%s: no panic", name)
				} else if msg, _ := p.(string); !strings.HasPrefix(msg, "clerkkit/webhooks: ") {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			f()
		}()
	}
	// None of the refused registrations took effect.
	if len(h.routes) != 2 {
		t.Fatalf("routes: %v", h.routes)
	}
}

// renamedSubscription is an application's type for an event type this
// package does not know.
type renamedSubscription struct {
	ID      string `json:"id"`
	NewName string `json:"new_name"`
}

func TestOnEventTypeUnknownToThePackage(t *testing.T) {
	const subscriptionRenamed EventType[*renamedSubscription] = "subscription.renamed"
	h := newTestHandler(t, Config{})
	var got *renamedSubscription
	On(h, subscriptionRenamed, func(_ context.Context, s *renamedSubscription, ev *Event) error {
		got = s
		return nil
	})
	body := []byte(`{"type":"subscription.renamed","object":"event","data":{"id":"sub_1","new_name":"Pro"}}`)
	if w := serve(h, signedRequest(t, testSecret, "msg_r1", testNow, body)); w.Code != 200 || got == nil || *got != (renamedSubscription{"sub_1", "Pro"}) {
		t.Fatalf("%d %+v", w.Code, got)
	}
	// Data that does not fit the application's type is answered 400 and
	// names neither the value nor the body.
	got = nil
	bad := []byte(`{"type":"subscription.renamed","object":"event","data":{"id":"sub_1","new_name":12345}}`)
	w := serve(h, signedRequest(t, testSecret, "msg_r2", testNow, bad))
	if w.Code != 400 || got != nil || !strings.Contains(w.Body.String(), ErrMalformedPayload.Error()) || strings.Contains(w.Body.String(), "12345") {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
}

func TestPayload(t *testing.T) {
	ev := &Event{Type: string(SessionCreated), Data: json.RawMessage(`{"id":"sess_1","user":{"id":"user_1"}}`)}
	if s, err := Payload[*Session](ev); err != nil || s.ID != "sess_1" || s.User.ID != "user_1" {
		t.Fatalf("%+v %v", s, err)
	}
	for name, get := range map[string]func(*Event) (any, error){
		"other pointer":   payloadOf[*clerk.User],
		"value, not *T":   payloadOf[Session],
		"raw message":     payloadOf[json.RawMessage],
		"deleted object":  payloadOf[*DeletedObject],
		"map of anything": payloadOf[map[string]any],
	} {
		v, err := get(ev)
		if !errors.Is(err, ErrWrongType) || !strings.Contains(err.Error(), `"session.created" carries *webhooks.Session`) {
			t.Errorf("%s: %v, %v", name, v, err)
		}
	}
	// Unknown types decode into any T, afresh on each call.
	ev = &Event{Type: "user.merged", Data: json.RawMessage(`{"id":"user_1","into":"user_2"}`)}
	m, err := Payload[map[string]any](ev)
	if err != nil || m["into"] != "user_2" {
		t.Fatalf("%v %v", m, err)
	}
	u, err := Payload[*clerk.User](ev)
	if err != nil || u.ID != "user_1" {
		t.Fatalf("%v %v", u, err)
	}
	if u2, _ := Payload[*clerk.User](ev); u2 == u {
		t.Error("unknown type's payload shared between calls")
	}
	if _, err := Payload[*clerk.User](&Event{Type: "user.merged", Data: json.RawMessage(`{"id":7}`)}); !errors.Is(err, ErrMalformedPayload) || strings.Contains(err.Error(), "7") {
		t.Fatalf("%v", err)
	}
}

// TestPayloadTablesAgree checks newPayload against nilPayload: Payload's
// type assertion relies on it.
func TestPayloadTablesAgree(t *testing.T) {
	if newPayload(kindUnknown) != nil || nilPayload(kindUnknown) != nil {
		t.Fatal("kindUnknown has a payload type")
	}
	for k := range accessors {
		if a, b := reflect.TypeOf(newPayload(k)), reflect.TypeOf(nilPayload(k)); a == nil || a != b {
			t.Errorf("%s: newPayload %v, nilPayload %v", k, a, b)
		}
	}
}

// TestWrongPayloadTypeDoesNotCompile builds the package with one more file
// registering a function of the wrong payload type: the compiler must
// refuse it, and accept the same file with the right type.
func TestWrongPayloadTypeDoesNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	build := func(payload string) (string, error) {
		src := filepath.Join(t.TempDir(), "extra.go")
		code := "package webhooks\n\nimport (\n\t\"context\"\n\n\t\"github.com/clerk/clerk-sdk-go/v2\"\n)\n\n" +
			"var _ = clerk.User{}\n\n" +
			"func registerForTest(h *Handler) {\n\tOn(h, UserCreated, func(context.Context, " + payload + ", *Event) error { return nil })\n}\n"
		must(t, os.WriteFile(src, []byte(code), 0o644))
		overlay := filepath.Join(t.TempDir(), "overlay.json")
		spec, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(wd, "zz_compile_check.go"): src}})
		must(t, os.WriteFile(overlay, spec, 0o644))
		cmd := exec.Command(goCmd, "build", "-overlay", overlay, ".")
		cmd.Dir = wd
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := build("*clerk.User"); err != nil {
		t.Fatalf("right payload type refused: %v\n%s", err, out)
	}
	for _, wrong := range []string{"*Session", "clerk.User", "*DeletedObject", "any"} {
		out, err := build(wrong)
		if err == nil || !strings.Contains(out, "does not match inferred type") {
			t.Errorf("payload type %s: err %v, output:\n%s", wrong, err, out)
		}
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
	body := userBody(string(UserCreated), "user_1", 1716883200000)
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
	On(h, UserCreated, func(ctx context.Context, u *clerk.User, _ *Event) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("handler context has no lease deadline")
		}
		return errors.New("insert failed")
	})
	w := serve(h, signedRequest(t, testSecret, "msg_log", testNow, userBody(string(UserCreated), "user_1", 1716883200000)))
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

// recordOn registers for et a function recording the payload it receives.
func recordOn[T any](h *Handler, et EventType[T], got map[string]any) {
	On(h, et, func(_ context.Context, v T, ev *Event) error {
		got[ev.Type] = v
		return nil
	})
}

// TestTypedRegistrationCoversEveryType registers every EventType constant
// declared in eventtypes.go with On and delivers every spec example: each
// example's type has a constant named after it, whose function receives
// the example decoded into the constant's payload type.
func TestTypedRegistrationCoversEveryType(t *testing.T) {
	h := newTestHandler(t, Config{})
	got := map[string]any{} // event type -> payload received
	for _, register := range []func(){
		func() { recordOn(h, EmailCreated, got) },
		func() { recordOn(h, OrganizationCreated, got) },
		func() { recordOn(h, OrganizationUpdated, got) },
		func() { recordOn(h, OrganizationDeleted, got) },
		func() { recordOn(h, OrganizationDomainCreated, got) },
		func() { recordOn(h, OrganizationDomainUpdated, got) },
		func() { recordOn(h, OrganizationDomainDeleted, got) },
		func() { recordOn(h, OrganizationInvitationCreated, got) },
		func() { recordOn(h, OrganizationInvitationAccepted, got) },
		func() { recordOn(h, OrganizationInvitationRevoked, got) },
		func() { recordOn(h, OrganizationMembershipCreated, got) },
		func() { recordOn(h, OrganizationMembershipUpdated, got) },
		func() { recordOn(h, OrganizationMembershipDeleted, got) },
		func() { recordOn(h, PaymentAttemptCreated, got) },
		func() { recordOn(h, PaymentAttemptUpdated, got) },
		func() { recordOn(h, PermissionCreated, got) },
		func() { recordOn(h, PermissionUpdated, got) },
		func() { recordOn(h, PermissionDeleted, got) },
		func() { recordOn(h, RoleCreated, got) },
		func() { recordOn(h, RoleUpdated, got) },
		func() { recordOn(h, RoleDeleted, got) },
		func() { recordOn(h, SessionCreated, got) },
		func() { recordOn(h, SessionPending, got) },
		func() { recordOn(h, SessionEnded, got) },
		func() { recordOn(h, SessionRemoved, got) },
		func() { recordOn(h, SessionRevoked, got) },
		func() { recordOn(h, SMSCreated, got) },
		func() { recordOn(h, SubscriptionCreated, got) },
		func() { recordOn(h, SubscriptionUpdated, got) },
		func() { recordOn(h, SubscriptionActive, got) },
		func() { recordOn(h, SubscriptionPastDue, got) },
		func() { recordOn(h, SubscriptionItemCreated, got) },
		func() { recordOn(h, SubscriptionItemUpdated, got) },
		func() { recordOn(h, SubscriptionItemActive, got) },
		func() { recordOn(h, SubscriptionItemCanceled, got) },
		func() { recordOn(h, SubscriptionItemEnded, got) },
		func() { recordOn(h, SubscriptionItemAbandoned, got) },
		func() { recordOn(h, SubscriptionItemIncomplete, got) },
		func() { recordOn(h, SubscriptionItemPastDue, got) },
		func() { recordOn(h, SubscriptionItemUpcoming, got) },
		func() { recordOn(h, SubscriptionItemFreeTrialEnding, got) },
		func() { recordOn(h, UserCreated, got) },
		func() { recordOn(h, UserUpdated, got) },
		func() { recordOn(h, UserDeleted, got) },
		func() { recordOn(h, WaitlistEntryCreated, got) },
		func() { recordOn(h, WaitlistEntryUpdated, got) },
	} {
		register()
	}
	declared := declaredEventTypes(t)
	if len(declared) != specEventCount+1 || len(h.routes) != len(declared) {
		t.Fatalf("%d constants declared, %d registered, want %d", len(declared), len(h.routes), specEventCount+1)
	}
	for _, ex := range loadSpecExamples(t) {
		c, ok := declared[ex.Type]
		if !ok {
			t.Errorf("%s: no EventType constant", ex.Type)
			continue
		}
		delete(declared, ex.Type)
		if !strings.EqualFold(c.name, strings.ReplaceAll(ex.Type, ".", "")) {
			t.Errorf("%s: constant %s, want it named after the type", ex.Type, c.name)
		}
		if _, ok := h.routes[ex.Type]; !ok {
			t.Errorf("%s: constant %s not registered by this test", ex.Type, c.name)
		}
		if w := serve(h, signedRequest(t, testSecret, "msg_"+ex.Type, testNow, ex.Body)); w.Code != 200 {
			t.Fatalf("%s: %d %s", ex.Type, w.Code, w.Body)
		}
		v := reflect.ValueOf(got[ex.Type])
		if !v.IsValid() || v.IsNil() {
			t.Errorf("%s: function received %v", ex.Type, got[ex.Type])
			continue
		}
		if typ := strings.Replace(v.Type().String(), "webhooks.", "", 1); typ != c.payload {
			t.Errorf("%s: received %s, constant declares %s", ex.Type, v.Type(), c.payload)
		}
		if v.Type() != reflect.TypeOf(nilPayload(kindOf(ex.Type))) {
			t.Errorf("%s: received %s, kind decodes %T", ex.Type, v.Type(), nilPayload(kindOf(ex.Type)))
		}
	}
	for typ, c := range declared {
		t.Errorf("constant %s (%s) has no spec example", c.name, typ)
	}
}

type declaredConst struct{ name, payload string }

// declaredEventTypes parses eventtypes.go and returns its EventType
// constants by value.
func declaredEventTypes(t *testing.T) map[string]declaredConst {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "eventtypes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]declaredConst{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			ix, ok := vs.Type.(*ast.IndexExpr)
			if !ok || ix.X.(*ast.Ident).Name != "EventType" {
				continue
			}
			value, err := strconv.Unquote(vs.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := out[value]; dup {
				t.Errorf("two constants for %s", value)
			}
			out[value] = declaredConst{name: vs.Names[0].Name, payload: types.ExprString(ix.Index)}
		}
	}
	return out
}

func TestVerifyFunction(t *testing.T) {
	body := userBody(string(UserCreated), "user_1", time.Now().UnixMilli())
	ev, err := Verify(signedRequest(t, testSecret, "msg_v", time.Now(), body), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Payload[*clerk.User](ev)
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
