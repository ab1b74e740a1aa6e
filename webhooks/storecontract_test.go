package webhooks_test

import (
	"testing"

	"github.com/clerkkit/clerkkit/webhooks"
	"github.com/clerkkit/clerkkit/webhooks/webhookstest"
)

func TestMemoryStoreContract(t *testing.T) {
	webhookstest.RunStoreContract(t, webhooks.NewMemoryStore(webhooks.MemoryStoreOptions{}))
}
