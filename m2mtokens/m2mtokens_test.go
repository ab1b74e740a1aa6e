package m2mtokens_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/m2mtokens"
)

const (
	machineKey = "ak_0123456789abcdef0123456789abcdef"
	tokenID    = "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e"
)

func tok(id string) map[string]any {
	return map[string]any{"object": "machine_to_machine_token", "id": id, "subject": "mch_1", "scopes": []string{"mch_2"}, "claims": nil}
}

// machineFake is a fake Backend API that wants the machine's key.
func machineFake(t *testing.T) (*httpFake, *m2mtokens.Client) {
	t.Helper()
	f := &httpFake{mux: http.NewServeMux()}
	f.start(t)
	b, err := bapi.NewBackend(bapi.Config{SecretKey: machineKey, APIURL: f.url, MachineKey: true,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return f, m2mtokens.New(b, m2mtokens.Options{})
}

func TestCreateRequests(t *testing.T) {
	f, c := machineFake(t)
	f.mux.HandleFunc("POST /v1/m2m_tokens", func(w http.ResponseWriter, r *http.Request) {
		m := tok(tokenID)
		m["token"] = "mt_tokentokentoken"
		bapitest.JSON(w, 201, m)
	})
	ctx := context.Background()
	got, err := c.Create(ctx, m2mtokens.CreateParams{})
	if err != nil || got.Token != "mt_tokentokentoken" || got.ID != tokenID {
		t.Fatalf("create: %v %+v", err, got)
	}
	if r := f.last(); r.body != `{}` || r.auth != "Bearer "+machineKey {
		t.Fatalf("request %+v", r)
	}
	if _, err := c.Create(ctx, m2mtokens.CreateParams{ExpiresIn: time.Hour, Claims: map[string]any{"job": "sync"}, Format: m2mtokens.FormatOpaque, ReuseIfValidFor: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if got := f.last().body; got != `{"token_format":"opaque","seconds_until_expiration":3600,"claims":{"job":"sync"},"min_remaining_ttl_seconds":300}` {
		t.Fatalf("create body %s", got)
	}
	if _, err := c.Create(ctx, m2mtokens.CreateParams{Format: m2mtokens.FormatJWT}); err != nil || f.last().body != `{"token_format":"jwt"}` {
		t.Fatalf("jwt: %v %s", err, f.last().body)
	}
}

func TestListRevokeAndAll(t *testing.T) {
	f, c := machineFake(t)
	f.mux.HandleFunc("GET /v1/m2m_tokens", bapitest.Pages("m2m_tokens", 230, func(i int) any { return tok(fmt.Sprintf("mt_%032x", i)) }))
	f.mux.HandleFunc("POST /v1/m2m_tokens/{id}/revoke", func(w http.ResponseWriter, r *http.Request) {
		m := tok(r.PathValue("id"))
		m["revoked"] = true
		bapitest.JSON(w, 200, m)
	})
	ctx := context.Background()
	page, err := c.List(ctx, "mch_1", m2mtokens.ListParams{Limit: 3, Offset: 2, IncludeRevoked: true, IncludeExpired: true})
	if err != nil || len(page.M2MTokens) != 3 || page.TotalCount != 230 {
		t.Fatalf("list: %v %+v", err, page)
	}
	if q := f.last().query; q != "expired=true&limit=3&offset=2&revoked=true&subject=mch_1" {
		t.Fatalf("list query %s", q)
	}
	n := 0
	for tk, err := range c.All(ctx, "mch_1", m2mtokens.ListParams{}) {
		if err != nil || tk.ID != fmt.Sprintf("mt_%032x", n) {
			t.Fatalf("%d: %v %v", n, tk, err)
		}
		n++
	}
	if n != 230 || f.count() != 4 {
		t.Fatalf("%d tokens over %d calls (1 List + 3 pages)", n, f.count())
	}
	r, err := c.Revoke(ctx, tokenID, "rotated")
	if err != nil || !r.Revoked || f.last().body != `{"revocation_reason":"rotated"}` || f.last().path != "/v1/m2m_tokens/"+tokenID+"/revoke" {
		t.Fatalf("revoke: %v %+v", err, f.last())
	}
	if _, err := c.Revoke(ctx, tokenID, ""); err != nil || f.last().body != `{"revocation_reason":null}` {
		t.Fatalf("revoke without reason: %v %s", err, f.last().body)
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	mb, err := bapi.NewBackend(bapi.Config{SecretKey: machineKey, APIURL: srv.URL(), HTTPClient: srv.HTTPClient(), MachineKey: true})
	if err != nil {
		t.Fatal(err)
	}
	ib, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	mc, ic := m2mtokens.New(mb, m2mtokens.Options{}), m2mtokens.New(ib, m2mtokens.Options{})
	ctx := context.Background()
	nope := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	_, err = ic.Create(ctx, m2mtokens.CreateParams{})
	nope("Create with the instance key", err, clerkerr.ErrInvalidConfig)
	for name, p := range map[string]m2mtokens.CreateParams{
		"format":            {Format: "JWT"},
		"negative ttl":      {ExpiresIn: -time.Second},
		"fractional ttl":    {ExpiresIn: 1500 * time.Millisecond},
		"reuse fractional":  {ReuseIfValidFor: time.Millisecond},
		"reuse negative":    {ReuseIfValidFor: -time.Second},
		"reuse jwt":         {Format: m2mtokens.FormatJWT, ReuseIfValidFor: time.Second},
		"reuse >= lifetime": {ExpiresIn: time.Minute, ReuseIfValidFor: time.Minute},
		"claims array":      {Claims: []string{"x"}},
		"claims string":     {Claims: "x"},
	} {
		_, err := mc.Create(ctx, p)
		nope("Create "+name, err, clerkerr.ErrInvalidInput)
	}
	for _, c := range []*m2mtokens.Client{mc, ic} {
		for _, id := range []string{"", "mch_", "user_1", "mch_1/x", "mch_1&subject=mch_2", "mch_1?", "mch_1\x00"} {
			_, err := c.List(ctx, id, m2mtokens.ListParams{})
			nope("List "+id, err, clerkerr.ErrInvalidInput)
			for _, err := range c.All(ctx, id, m2mtokens.ListParams{}) {
				nope("All "+id, err, clerkerr.ErrInvalidInput)
			}
		}
		for name, p := range map[string]m2mtokens.ListParams{"limit 101": {Limit: 101}, "limit -1": {Limit: -1}, "offset -1": {Offset: -1}} {
			_, err := c.List(ctx, "mch_1", p)
			nope("List "+name, err, clerkerr.ErrInvalidInput)
		}
		for _, id := range []string{"", "mt_", "mt_1", tokenID + "/x", "mt_../../machines", tokenID[:34], "ak_" + tokenID[3:],
			// An opaque token (base62) where its id belongs.
			"mt_Xk2pQ9vLm4Rt7Wz1Bc8Nd5Fg3Hj6Ks0Y"} {
			_, err := c.Revoke(ctx, id, "")
			nope("Revoke "+id, err, clerkerr.ErrInvalidInput)
			if err != nil && len(id) > 8 && strings.Contains(err.Error(), id) {
				t.Errorf("Revoke echoed %q", id)
			}
		}
		_, err := c.Revoke(ctx, tokenID, "a\x00")
		nope("Revoke reason", err, clerkerr.ErrInvalidInput)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}
