package webhooks_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/webhooks"
)

// exampleSecret is a made-up secret for the examples.
const exampleSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// deliver signs body as Svix would and posts it to h.
func deliver(h http.Handler, id string, body string) int {
	r := signed(id, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// signed returns a delivery of body signed as Svix would.
func signed(id, body string) *http.Request {
	hdr, err := webhooks.Sign(exampleSecret, id, time.Now(), []byte(body))
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/webhooks/clerk", strings.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}
	return r
}

func ExampleNewHandler() {
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	if err != nil {
		panic(err)
	}
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		fmt.Println("insert", u.ID, *u.FirstName)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /api/webhooks/clerk", h)

	body := `{"type":"user.created","object":"event","data":{"object":"user","id":"user_1","first_name":"Ada"}}`
	fmt.Println(deliver(mux, "msg_1", body))
	fmt.Println(deliver(mux, "msg_1", body)) // Svix retry of the same message: not run again
	// Output:
	// insert user_1 Ada
	// 200
	// 200
}

// Each EventType constant carries the Go type of its data: the function
// registered for UserDeleted receives a *DeletedObject, and one for
// another type would not compile. An event type without a registered
// function is acknowledged and ignored.
func ExampleOn() {
	h, _ := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	upsert := func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		fmt.Println(ev.Type, u.ID)
		return nil
	}
	webhooks.On(h, webhooks.UserCreated, upsert)
	webhooks.On(h, webhooks.UserUpdated, upsert)
	webhooks.On(h, webhooks.UserDeleted, func(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error {
		fmt.Println(ev.Type, d.ID, d.Deleted)
		return nil
	})

	deliver(h, "msg_1", `{"type":"user.created","data":{"id":"user_1"}}`)
	deliver(h, "msg_2", `{"type":"user.updated","data":{"id":"user_1"}}`)
	deliver(h, "msg_3", `{"type":"user.deleted","data":{"object":"user","id":"user_1","deleted":true}}`)
	fmt.Println(deliver(h, "msg_4", `{"type":"session.created","data":{"id":"sess_1"}}`))
	// Output:
	// user.created user_1
	// user.updated user_1
	// user.deleted user_1 true
	// 200
}

// subscriptionRenamed stands for an event type newer than this package.
type subscriptionRenamed struct {
	ID      string `json:"id"`
	NewName string `json:"new_name"`
}

// An application can declare an event type this package does not know yet,
// with a payload type of its own, and register it with On.
func ExampleEventType() {
	const SubscriptionRenamed webhooks.EventType[*subscriptionRenamed] = "subscription.renamed"

	h, _ := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	webhooks.On(h, SubscriptionRenamed, func(ctx context.Context, s *subscriptionRenamed, ev *webhooks.Event) error {
		fmt.Println(s.ID, "is now", s.NewName)
		return nil
	})
	deliver(h, "msg_1", `{"type":"subscription.renamed","data":{"id":"sub_1","new_name":"Pro"}}`)
	// Output: sub_1 is now Pro
}

// Handler.On registers a function for any type name and hands it the raw
// Event; Payload decodes its data when needed.
func ExampleHandler_On() {
	h, _ := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	h.On("organization.renamed", func(ctx context.Context, ev *webhooks.Event) error {
		fmt.Println(ev.ID, string(ev.Data))
		return nil
	})
	deliver(h, "msg_1", `{"type":"organization.renamed","data":{"id":"org_1"}}`)
	// Output: msg_1 {"id":"org_1"}
}

// Payload gives typed access when the event type is only known at run
// time, e.g. after Verify. Its type parameter is the payload type of the
// event type's constant; another type reports ErrWrongType.
func ExamplePayload() {
	r := signed("msg_2", `{"type":"organization.created","object":"event","data":{"object":"organization","id":"org_1","slug":"acme"}}`)
	ev, err := webhooks.Verify(r, exampleSecret)
	if err != nil {
		fmt.Println("reject:", err) // answer 400
		return
	}
	switch ev.Type {
	case string(webhooks.OrganizationCreated), string(webhooks.OrganizationUpdated):
		org, err := webhooks.Payload[*clerk.Organization](ev)
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.ID, org.ID, org.Slug)
	}
	_, err = webhooks.Payload[*clerk.User](ev)
	fmt.Println(err)
	// Output:
	// msg_2 org_1 acme
	// clerkkit/webhooks: wrong payload type for event type: "organization.created" carries *clerk.Organization, not *clerk.User
}

func ExampleVerify() {
	body := `{"type":"user.created","object":"event","data":{"id":"user_1"}}`
	r := signed("msg_1", body)
	ev, err := webhooks.Verify(r, exampleSecret)
	fmt.Println(ev.Type, err)

	tampered := signed("msg_1", body)
	tampered.Body = http.NoBody
	_, err = webhooks.Verify(tampered, exampleSecret)
	fmt.Println(err)
	// Output:
	// user.created <nil>
	// clerkkit/webhooks: signature mismatch
}

// Verifier.Verify takes the headers and the raw body, for frameworks other
// than net/http. Build the Verifier once.
func ExampleVerifier_Verify() {
	v, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: exampleSecret})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"type":"user.updated","data":{"id":"user_1","updated_at":1716883500000}}`)
	header, _ := webhooks.Sign(exampleSecret, "msg_1", time.Now(), body)

	ev, err := v.Verify(header, body)
	if err != nil {
		panic(err)
	}
	u, err := webhooks.Payload[*clerk.User](ev)
	fmt.Println(ev.ID, u.ID, err)
	// Output: msg_1 user_1 <nil>
}

// The signature matches an independent HMAC-SHA256 computation of
// "msg_3.1716883200.<body>" with the base64-decoded key.
func ExampleSign() {
	hdr, err := webhooks.Sign(exampleSecret, "msg_3", time.Unix(1716883200, 0), []byte(`{"type":"user.created"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(hdr.Get("svix-id"))
	fmt.Println(hdr.Get("svix-timestamp"))
	fmt.Println(hdr.Get("svix-signature"))
	// Output:
	// msg_3
	// 1716883200
	// v1,Ha34GzDdQszkaOKjyAvbFCYL4aTocRANd7NfPi4G034=
}

// ConfigFromEnv reads CLERK_WEBHOOK_SIGNING_SECRET; NewHandler refuses to
// start without a valid secret.
func ExampleConfigFromEnv() {
	h, err := webhooks.NewHandler(webhooks.ConfigFromEnv())
	if err != nil {
		fmt.Println("webhooks disabled:", err)
		return
	}
	http.Handle("POST /api/webhooks/clerk", h)
}

// A SQLStore shares the record of handled deliveries between replicas and
// restarts: every replica opens the same database. This one is PostgreSQL
// through pgx's database/sql driver, registered as "pgx" by importing
// github.com/jackc/pgx/v5/stdlib; for SQLite, open a SQLite driver (the
// pure-Go one registers "sqlite") and pass webhooks.SQLite. (The
// conformance module runs SQLStore on both.)
func ExampleNewSQLStore() {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	store, err := webhooks.NewSQLStore(db, webhooks.Postgres)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := store.Migrate(ctx); err != nil { // or run webhooks.SQLSchema in your migrations
		log.Fatal(err)
	}
	cfg := webhooks.ConfigFromEnv()
	cfg.Store = store
	h, err := webhooks.NewHandler(cfg)
	if err != nil {
		log.Fatal(err)
	}
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		return nil // insert u; a redelivery of ev.ID does not run this again
	})
	http.Handle("POST /api/webhooks/clerk", h)
	// Forget ids once Svix no longer retries them (run this daily).
	if _, err := store.Prune(ctx, time.Now().Add(-7*24*time.Hour)); err != nil {
		log.Print(err)
	}
}

// userRow is a stored copy of a Clerk user.
type userRow struct {
	name      string
	updatedAt time.Time
}

// Svix may deliver an older user.updated after a newer one. Write an event
// only when its updated_at is not older than the stored row's; in SQL, put
// the condition in the statement so that it is atomic:
//
//	UPDATE users SET name = $2, clerk_updated_at = $3
//	WHERE id = $1 AND clerk_updated_at <= $3
func ExampleEvent_UpdatedAt() {
	var mu sync.Mutex
	rows := map[string]userRow{}
	h, _ := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	webhooks.On(h, webhooks.UserUpdated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		at, ok := ev.UpdatedAt()
		if !ok {
			return fmt.Errorf("user.updated %s without updated_at", ev.ID)
		}
		mu.Lock()
		defer mu.Unlock()
		if old, found := rows[u.ID]; found && at.Before(old.updatedAt) {
			fmt.Println("skip stale update to", *u.FirstName)
			return nil // acknowledged: the stored row is newer
		}
		rows[u.ID] = userRow{name: *u.FirstName, updatedAt: at}
		return nil
	})

	newer := `{"type":"user.updated","data":{"id":"user_1","first_name":"Grace","updated_at":1716883500000}}`
	older := `{"type":"user.updated","data":{"id":"user_1","first_name":"Ada","updated_at":1716883200000}}`
	deliver(h, "msg_newer", newer)
	deliver(h, "msg_older", older) // arrives late
	fmt.Println(rows["user_1"].name)
	// Output:
	// skip stale update to Ada
	// Grace
}
