package syncer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/syncer"
	"github.com/clerkkit/clerkkit/webhooks"
)

func ExampleNewHandler() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "syncer-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "saas.db")) // or os.Getenv("DATABASE_URL")
	if err != nil {
		panic(err)
	}
	defer st.Close()

	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // webhooks.ConfigFromEnv() in production
	h, err := syncer.NewHandler(ctx, webhooks.Config{SigningSecret: secret}, st, nil)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/webhooks/clerk", h)

	// What Svix sends when a user signs up.
	body := `{"type":"user.created","object":"event","data":{"object":"user","id":"user_1",` +
		`"first_name":"Ada","primary_email_address_id":"idn_1",` +
		`"email_addresses":[{"id":"idn_1","email_address":"ada@example.com"}],` +
		`"created_at":1716883200000,"updated_at":1716883200000}}`
	hdr, _ := webhooks.Sign(secret, "msg_1", time.Now(), []byte(body))
	r := httptest.NewRequest(http.MethodPost, "/api/webhooks/clerk", strings.NewReader(body))
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)

	u, err := st.GetUser(ctx, "user_1")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.FirstName, u.Email)
	// Output:
	// 200
	// Ada ada@example.com
}
