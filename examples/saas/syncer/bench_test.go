package syncer_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/examples/saas/syncer"
	"github.com/clerkkit/clerkkit/webhooks"
)

// BenchmarkWebhookSync measures the webhook sync path on each database:
// "webhook" is a signed user.created delivery through syncer.NewHandler —
// signature verification, then one transaction: recording the svix-id,
// the store's upsert (object lock, tombstone check, newest-wins upsert)
// and the commit; "raw-upsert" is the limit: one autocommitted single-row
// INSERT … ON CONFLICT DO UPDATE into the same users table, nothing else.
// Each reports events/s.
//
//	go test -run='^$' -bench=BenchmarkWebhookSync -benchmem -count=5 ./examples/saas/syncer/
func BenchmarkWebhookSync(b *testing.B) {
	storetest.RunB(b, func(b *testing.B, be storetest.Backend) {
		ctx := context.Background()
		st, err := store.Open(ctx, be.URL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		tmpl := exampleUser(b)

		b.Run("webhook", func(b *testing.B) {
			const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
			h, err := syncer.NewHandler(ctx, webhooks.Config{SigningSecret: secret}, st, nil)
			if err != nil {
				b.Fatal(err)
			}
			// The deliveries are signed before the clock starts, not with
			// StopTimer and StartTimer around each one, whose cost (a
			// stop-the-world memory statistics read each) would land in the
			// timed loop and not in the raw upsert's.
			now := time.Now()
			run := strings.ToLower(rand.Text()[:8]) // ids unique across runs
			reqs := make([]*http.Request, b.N)
			recs := make([]*httptest.ResponseRecorder, b.N)
			for i := range reqs {
				body := tmpl(fmt.Sprintf("user_hook_%s_%d", run, i), now.UnixMilli()+int64(i))
				hdr, err := webhooks.Sign(secret, fmt.Sprintf("msg_bench_%s_%d", run, i), now, body)
				if err != nil {
					b.Fatal(err)
				}
				reqs[i] = httptest.NewRequest(http.MethodPost, "/api/webhooks/clerk", strings.NewReader(string(body)))
				for k, v := range hdr {
					reqs[i].Header[k] = v
				}
				recs[i] = httptest.NewRecorder()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i, r := range reqs {
				h.ServeHTTP(recs[i], r)
				if recs[i].Code != http.StatusOK {
					b.Fatalf("status %d: %s", recs[i].Code, recs[i].Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})

		b.Run("raw-upsert", func(b *testing.B) {
			q := `INSERT INTO users (id, email, first_name, last_name, image_url, public_metadata, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET email = excluded.email, first_name = excluded.first_name, last_name = excluded.last_name,
	image_url = excluded.image_url, public_metadata = excluded.public_metadata, updated_at = excluded.updated_at`
			if be.Name == "postgres" {
				for n := 1; strings.Contains(q, "?"); n++ {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", n), 1)
				}
			}
			now := time.Now().UnixMilli()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := st.DB().ExecContext(ctx, q, fmt.Sprintf("user_raw_%d", i), "ada@example.com", "Ada", "Lovelace",
					"https://img.clerk.com/x", `{"role":"member"}`, now, now+int64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	})
}

// exampleUser returns a function making the spec's example user.created
// event for a user id and updated_at.
func exampleUser(b *testing.B) func(id string, updatedAt int64) []byte {
	raw, ok := emulator.WebhookExample("user.created")
	if !ok {
		b.Fatal("no user.created example")
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Fatal(err)
	}
	return func(id string, updatedAt int64) []byte {
		data := ev["data"].(map[string]any)
		data["id"], data["updated_at"] = id, updatedAt
		out, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
}

// BenchmarkWebhookVerify is the part of BenchmarkWebhookSync's "webhook"
// that is not the database's: the same signed user.created deliveries
// through a webhooks.Handler whose user.created function stores nothing
// (signature, strict JSON check, envelope and clerk.User decoding). It
// shows how much of the gap to the raw upsert no store can close.
func BenchmarkWebhookVerify(b *testing.B) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: secret, Store: nopStore{}})
	if err != nil {
		b.Fatal(err)
	}
	var seen int
	webhooks.On(h, webhooks.UserCreated, func(_ context.Context, u *clerk.User, _ *webhooks.Event) error {
		if u.ID != "" {
			seen++
		}
		return nil
	})
	tmpl, now := exampleUser(b), time.Now()
	reqs := make([]*http.Request, b.N)
	recs := make([]*httptest.ResponseRecorder, b.N)
	for i := range reqs {
		body := tmpl(fmt.Sprintf("user_verify_%d", i), now.UnixMilli())
		hdr, err := webhooks.Sign(secret, fmt.Sprintf("msg_verify_%d", i), now, body)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = httptest.NewRequest(http.MethodPost, "/api/webhooks/clerk", strings.NewReader(string(body)))
		for k, v := range hdr {
			reqs[i].Header[k] = v
		}
		recs[i] = httptest.NewRecorder()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i, r := range reqs {
		h.ServeHTTP(recs[i], r)
		if recs[i].Code != http.StatusOK {
			b.Fatalf("status %d: %s", recs[i].Code, recs[i].Body)
		}
	}
	b.StopTimer()
	if seen != b.N {
		b.Fatalf("%d of %d deliveries reached the function", seen, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// nopStore claims every delivery: BenchmarkWebhookVerify measures no
// idempotency store.
type nopStore struct{}

func (nopStore) Claim(context.Context, string, string, time.Duration) (webhooks.ClaimState, error) {
	return webhooks.Claimed, nil
}
func (nopStore) Complete(context.Context, string) error        { return nil }
func (nopStore) Release(context.Context, string, string) error { return nil }
