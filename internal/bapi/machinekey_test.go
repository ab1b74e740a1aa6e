package bapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerkerr"
)

func TestPrefixed(t *testing.T) {
	for _, ok := range []string{"mch_1", "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "api_key_ab"} {
		if err := Prefixed("op", "id", ok, "mch_", "api_key_"); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "mch_", "user_1", "MCH_1", "xmch_1", "mch_/x", "mch_1/../users", "mch_1?x=1", "mch_%2F", "-mch_1"} {
		err := Prefixed("machines.Get", "machineID", bad, "mch_")
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%q accepted", bad)
			continue
		}
		if !strings.HasPrefix(err.Error(), "clerkkit: invalid input: machines.Get: machineID ") {
			t.Errorf("message %q", err)
		}
	}
	if err := Prefixed("op", "id", "org_1", "user_", "mch_"); err == nil || !strings.Contains(err.Error(), "user_ or mch_") {
		t.Errorf("message %v", err)
	}
}

func TestPageMax(t *testing.T) {
	for _, ok := range [][2]int{{0, 0}, {1, 0}, {100, 5}} {
		if err := PageMax("op", ok[0], ok[1], 100); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {101, 0}, {500, 0}, {10, -1}} {
		if err := PageMax("op", bad[0], bad[1], 100); !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := PageMax("op", 101, 0, 100); !strings.Contains(err.Error(), "between 1 and 100") {
		t.Errorf("message %q", err)
	}
}

func TestMachineKeyBackend(t *testing.T) {
	const machineKey = "ak_0123456789abcdef0123456789abcdef"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	b, err := NewBackend(Config{SecretKey: machineKey, APIURL: srv.URL, MachineKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Call(context.Background(), clerk.NewAPIRequest(http.MethodGet, "/m2m_tokens"), &clerk.M2MTokenList{}); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer "+machineKey {
		t.Fatalf("Authorization %q", got)
	}
	// Without MachineKey, a machine key is refused, and with it, the
	// instance's keys are.
	if _, err := NewBackend(Config{SecretKey: machineKey, APIURL: srv.URL}); !errors.Is(err, clerkerr.ErrInvalidConfig) {
		t.Errorf("machine key as instance key: %v", err)
	}
	for _, bad := range []string{"", "sk_test_0123456789abcdef", "sk_live_0123456789abcdef", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "ak_short", "ak_0123456789 abcdef", "ak_0123456789abcdef\n"} {
		_, err := NewBackend(Config{SecretKey: bad, APIURL: srv.URL, MachineKey: true})
		if !errors.Is(err, clerkerr.ErrInvalidConfig) {
			t.Errorf("%q accepted", bad)
		} else if len(bad) > 8 && strings.Contains(err.Error(), bad) {
			t.Errorf("key echoed: %v", err)
		}
	}
}

func TestHexID(t *testing.T) {
	for _, ok := range []string{"ak_3beecc9c60adb5f9b850e91a8ee1e992", "api_key_3BEECC9C60ADB5F9B850E91A8EE1E992"} {
		if err := HexID("op", "id", ok, "ak_", "api_key_"); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "ak_", "ak_1", "ak_3beecc9c60adb5f9b850e91a8ee1e99", "ak_3beecc9c60adb5f9b850e91a8ee1e9921",
		"ak_3beecc9c60adb5f9b850e91a8ee1e99g", "mt_3beecc9c60adb5f9b850e91a8ee1e992", "ak_XYZsecretsecretsecretsecretsecre",
		"ak_3beecc9c60adb5f9b850e91a8ee1e992/x", "ak_3beecc9c60adb5f9b850e91a8ee1e992?",
	} {
		err := HexID("apikeys.Get", "keyID", bad, "ak_", "api_key_")
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%q accepted", bad)
		} else if len(bad) > 4 && strings.Contains(err.Error(), bad) {
			t.Errorf("%q echoed: %v", bad, err)
		}
	}
}
