// Package webhooks receives Clerk webhooks: it verifies Svix signatures,
// decodes the event envelope and its data into typed values, and runs
// application handlers at most once per delivery id.
//
// A typical receiver:
//
//	h, err := webhooks.NewHandler(webhooks.Config{
//		SigningSecret: os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET"),
//		Store:         store, // nil: an in-process MemoryStore
//	})
//	if err != nil {
//		return err
//	}
//	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
//		return db.InsertUser(ctx, u)
//	})
//	mux.Handle("POST /api/webhooks/clerk", h)
//
// Code that needs no Handler can call [Verify] (net/http) or
// [Verifier.Verify] (any framework: pass the headers and the raw body).
//
// # Event types
//
// Each event type is an [EventType] constant carrying the Go type of its
// data: [UserCreated] is an EventType[*clerk.User], [UserDeleted] an
// EventType[*DeletedObject]. [On] registers a function for one of them and
// hands it the decoded data. [Handler.On] registers a function for any type
// name, including ones this package does not know, and [Payload] decodes an
// Event's data when the type is only known at run time:
//
//	switch ev.Type {
//	case string(webhooks.UserCreated), string(webhooks.UserUpdated):
//		u, err := webhooks.Payload[*clerk.User](ev)
//		…
//	}
//
// # Delivery semantics
//
// Svix delivers at least once and retries every non-2xx answer for days.
// [Handler] answers 2xx only once the handler registered for the event type
// has returned nil (or when no handler is registered for that type), and
// records the delivery id (svix-id) in a [Store] so that a redelivery of a
// completed event does not run the handler again. See [Handler.ServeHTTP] for
// the full table of answers.
//
// # Ordering
//
// Svix does not guarantee order: an older user.updated can arrive after a
// newer one. Compare [Event.UpdatedAt] with the stored row and skip the write
// when the event is older; see the example of Event.UpdatedAt.
package webhooks

// Rewrite the fuzz seed corpus from the spec examples in testdata.
//go:generate go test -run TestFuzzCorpusMatchesSpec -update .
