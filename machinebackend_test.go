package clerkkit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/m2mtokens"
)

func TestNewMachineBackend(t *testing.T) {
	if _, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: "ak_0123456789abcdef0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "sk_test_0123456789abcdef0123", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "ak_short"} {
		if _, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: bad}); !errors.Is(err, clerkerr.ErrInvalidConfig) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: "ak_0123456789abcdef0123456789abcdef", APIURL: "http://example.com"}); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Errorf("plain http to a remote host: %v", err)
	}
	// The instance's Backend cannot create M2M tokens: refused before any
	// request (the API URL is unreachable).
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: "sk_test_0123456789abcdef0123", APIURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2mtokens.New(b, m2mtokens.Options{}).Create(context.Background(), m2mtokens.CreateParams{})
	if !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Fatalf("Create over the instance key: %v", err)
	}
}
