package sqlstore_test

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

	"github.com/clerkkit/clerkkit/webhooks"
)

// testSecret is a signing secret made for these tests only.
var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerkkit-test-key-0123456789abcd"))

// testNow is the time of every delivery, the spec examples' timestamp.
var testNow = time.Unix(1716883200, 0)

// newHandler returns a Handler with testSecret, the clock at testNow,
// and store.
func newHandler(t testing.TB, store webhooks.Store) *webhooks.Handler {
	t.Helper()
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: testSecret, Now: func() time.Time { return testNow }, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// countingHandler is newHandler with a user.created function that only
// counts its runs.
func countingHandler(t testing.TB, store webhooks.Store) (*webhooks.Handler, *atomic.Int32) {
	t.Helper()
	h := newHandler(t, store)
	var calls atomic.Int32
	webhooks.On(h, webhooks.UserCreated, func(context.Context, *clerk.User, *webhooks.Event) error {
		calls.Add(1)
		return nil
	})
	return h, &calls
}

// deliver posts body as the delivery id, signed with testSecret at
// testNow, to h and returns the response.
func deliver(t testing.TB, h http.Handler, id string, body []byte) *httptest.ResponseRecorder {
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
	return w
}

// userBody is a minimal delivery body of a user event.
func userBody(eventType, userID string, updatedAt int64) []byte {
	return fmt.Appendf(nil, `{"type":%q,"object":"event","timestamp":1716883200,"instance_id":"ins_1",`+
		`"data":{"object":"user","id":%q,"first_name":"Ada","updated_at":%d,"created_at":1716883200000}}`,
		eventType, userID, updatedAt)
}

// TestHandlerIdempotency runs a Handler on a SQLStore: a delivery's
// function runs once however often, and however concurrently, Svix sends
// it, again after a failure, and after a crashed holder's lease ends.
func TestHandlerIdempotency(t *testing.T) {
	body := userBody(string(webhooks.UserCreated), "user_1", 1716883200000)
	eachDatabase(t, func(t *testing.T, d database) {
		t.Run("sequential duplicates", func(t *testing.T) {
			h, calls := countingHandler(t, d.store(t))
			for range 3 {
				if w := deliver(t, h, "msg_dup", body); w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
			}
			if calls.Load() != 1 {
				t.Fatalf("handler ran %d times", calls.Load())
			}
		})
		t.Run("50 concurrent copies", func(t *testing.T) {
			h := newHandler(t, d.store(t))
			var calls atomic.Int32
			started, release := make(chan struct{}), make(chan struct{})
			webhooks.On(h, webhooks.UserCreated, func(context.Context, *clerk.User, *webhooks.Event) error {
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
				wg.Go(func() { codes <- deliver(t, h, "msg_conc", body).Code })
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
			if w := deliver(t, h, "msg_conc", body); w.Code != 200 || calls.Load() != 1 {
				t.Fatalf("retry after completion: %d, calls %d", w.Code, calls.Load())
			}
		})
		t.Run("failure then redelivery", func(t *testing.T) {
			h := newHandler(t, d.store(t))
			var calls atomic.Int32
			webhooks.On(h, webhooks.UserCreated, func(context.Context, *clerk.User, *webhooks.Event) error {
				switch calls.Add(1) {
				case 1:
					return errors.New("database down")
				case 2:
					panic("boom")
				}
				return nil
			})
			for i, want := range []int{500, 500, 200, 200} {
				if w := deliver(t, h, "msg_fail", body); w.Code != want {
					t.Fatalf("delivery %d: %d, want %d", i+1, w.Code, want)
				}
			}
			if calls.Load() != 3 {
				t.Fatalf("handler ran %d times, want 3", calls.Load())
			}
		})
		t.Run("crashed claim expires", func(t *testing.T) {
			s := d.store(t)
			h, calls := countingHandler(t, s)
			if _, err := s.Claim(context.Background(), "msg_crash", "crashed-process", 20*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if w := deliver(t, h, "msg_crash", body); w.Code != 409 || w.Header().Get("Retry-After") == "" {
				t.Fatalf("during the lease: %d", w.Code)
			}
			time.Sleep(40 * time.Millisecond)
			if w := deliver(t, h, "msg_crash", body); w.Code != 200 || calls.Load() != 1 {
				t.Fatalf("after the lease: %d, calls %d", w.Code, calls.Load())
			}
		})
	})
}

// TestHandlerSQLStoreSurvivesRestart: a delivery handled before a restart
// (a new *sql.DB and a new Handler on the same database) is acknowledged
// after it without running again.
func TestHandlerSQLStoreSurvivesRestart(t *testing.T) {
	body := userBody(string(webhooks.UserCreated), "user_1", 1716883200000)
	eachDatabase(t, func(t *testing.T, d database) {
		db1, s1 := d.open(t)
		h1, calls1 := countingHandler(t, s1)
		if w := deliver(t, h1, "msg_restart", body); w.Code != 200 || calls1.Load() != 1 {
			t.Fatalf("first: %d", w.Code)
		}
		must(t, db1.Close())
		h2, calls2 := countingHandler(t, d.store(t))
		if w := deliver(t, h2, "msg_restart", body); w.Code != 200 || calls2.Load() != 0 {
			t.Fatalf("after restart: %d, handler ran %d times", w.Code, calls2.Load())
		}
	})
}
