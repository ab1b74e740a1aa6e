package redisstore_test

import (
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/middleware"
	"github.com/clerkkit/clerkkit/redisstore"
	"github.com/clerkkit/clerkkit/webhooks"
)

// Every replica of a service shares opaque machine-token verifications
// and webhook idempotency through one Redis: a new API key costs one
// Backend API call per cache TTL across all replicas, and each webhook
// delivery's handler succeeds once.
func Example() {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL")) // e.g. rediss://user:password@redis.internal:6380/0
	if err != nil {
		log.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true // a slow Redis frees its connections when the verifier gives up
	client := redis.NewClient(opt)
	defer client.Close()

	cfg := auth.ConfigFromEnv()
	cfg.MachineCache = redisstore.New(client, redisstore.Options{})
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		log.Fatal(err)
	}

	wcfg := webhooks.ConfigFromEnv()
	wcfg.Store = redisstore.NewWebhookStore(client, redisstore.WebhookOptions{})
	hooks, err := webhooks.NewHandler(wcfg)
	if err != nil {
		log.Fatal(err)
	}

	m := middleware.New(v)
	mux := http.NewServeMux()
	mux.Handle("GET /api/reports", m.RequireToken(auth.APIKey)(http.HandlerFunc(reports)))
	mux.Handle("POST /api/webhooks/clerk", hooks)
	log.Fatal(http.ListenAndServe(":8080", mux))
}

func reports(w http.ResponseWriter, r *http.Request) {}
