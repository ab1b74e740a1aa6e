package emulator

import (
	_ "embed"
	"encoding/json"
	"slices"
	"sync"
)

// webhookExamplesJSON maps every Clerk webhook event type to the example
// payload of Clerk's webhook spec (2025-04-15), plus subscriptionItem.created,
// which the spec lacks (built from subscriptionItem.active's example). It
// is generated from the webhooks package's spec copy; a test keeps it in
// sync (go test ./clerktest/emulator -run TestWebhookExamplesInSync -update).
//
//go:embed webhook_examples.json
var webhookExamplesJSON []byte

var webhookExamples = sync.OnceValue(func() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(webhookExamplesJSON, &m); err != nil {
		panic("emulator: embedded webhook examples: " + err.Error())
	}
	return m
})

// WebhookExample returns a copy of the example payload (the whole
// envelope: type, object, data, timestamp, …) of Clerk's webhook spec for
// eventType, e.g. "user.created", and whether there is one.
func WebhookExample(eventType string) ([]byte, bool) {
	b, ok := webhookExamples()[eventType]
	return slices.Clone([]byte(b)), ok
}

// WebhookExampleTypes returns the event types WebhookExample knows, sorted.
func WebhookExampleTypes() []string {
	m := webhookExamples()
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
