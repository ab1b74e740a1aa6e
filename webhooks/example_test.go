package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	hdr, err := webhooks.Sign(exampleSecret, id, time.Now(), []byte(body))
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/webhooks/clerk", strings.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func ExampleNewHandler() {
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: exampleSecret})
	if err != nil {
		panic(err)
	}
	h.OnUserCreated(func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
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

func ExampleVerify() {
	body := `{"type":"organization.created","object":"event","data":{"object":"organization","id":"org_1","slug":"acme"}}`
	hdr, _ := webhooks.Sign(exampleSecret, "msg_2", time.Now(), []byte(body))
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}

	ev, err := webhooks.Verify(r, exampleSecret)
	if err != nil {
		fmt.Println("reject:", err) // answer 400
		return
	}
	switch ev.Type {
	case webhooks.TypeOrganizationCreated:
		org, err := ev.Organization()
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.ID, org.ID, org.Slug)
	}
	// Output: msg_2 org_1 acme
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
	h.OnUserUpdated(func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
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
