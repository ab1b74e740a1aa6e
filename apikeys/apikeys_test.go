package apikeys_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
)

const (
	keyID = "ak_3beecc9c60adb5f9b850e91a8ee1e992"
	user  = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
)

func key(id string) map[string]any {
	return map[string]any{"object": "api_key", "id": id, "type": "api_key", "subject": user, "name": "CI", "scopes": []string{}, "claims": nil}
}

func TestRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("POST /v1/api_keys", func(w http.ResponseWriter, r *http.Request) {
		k := key(keyID)
		k["secret"] = "ak_secretsecretsecret"
		bapitest.JSON(w, 200, k)
	})
	srv.JSON("GET /v1/api_keys/{id}", key(keyID))
	srv.JSON("PATCH /v1/api_keys/{id}", key(keyID))
	srv.JSON("POST /v1/api_keys/{id}/revoke", key(keyID))
	srv.JSON("GET /v1/api_keys/{id}/secret", map[string]any{"secret": "ak_secretsecretsecret"})
	srv.JSON("DELETE /v1/api_keys/{id}", map[string]any{"object": "api_key", "id": keyID, "deleted": true})
	c := apikeys.New(srv.Backend(), apikeys.Options{})
	ctx := context.Background()

	k, err := c.Create(ctx, apikeys.CreateParams{
		Subject: "org_1", Name: "CI key", Description: "for CI", Scopes: []string{"read"},
		Claims: map[string]any{"env": "ci"}, CreatedBy: user, ExpiresIn: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if k.Secret != "ak_secretsecretsecret" || k.ID != keyID {
		t.Fatalf("created %+v", k)
	}
	if got, want := srv.Last().Body, `{"name":"CI key","description":"for CI","subject":"org_1","claims":{"env":"ci"},"scopes":["read"],"created_by":"`+user+`","seconds_until_expiration":3600}`; got != want {
		t.Fatalf("create body\n%s\nwant\n%s", got, want)
	}
	// The least a create sends.
	if _, err := c.Create(ctx, apikeys.CreateParams{Subject: user, Name: "abc"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"name":"abc","subject":"`+user+`"}` {
		t.Fatalf("minimal create body %s", got)
	}

	if _, err := c.Get(ctx, keyID); err != nil || srv.Last().Path != "/v1/api_keys/"+keyID {
		t.Fatalf("get: %v %s", err, srv.Last().Path)
	}
	if s, err := c.Secret(ctx, keyID); err != nil || s != "ak_secretsecretsecret" || srv.Last().Path != "/v1/api_keys/"+keyID+"/secret" {
		t.Fatalf("secret: %v %s", err, srv.Last().Path)
	}

	empty := ""
	if _, err := c.Update(ctx, keyID, apikeys.UpdateParams{Description: &empty, Scopes: []string{}, Claims: json.RawMessage(`{"a":1}`), Subject: "mch_1", ExpiresIn: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"description":"","scopes":[],"claims":{"a":1},"subject":"mch_1","seconds_until_expiration":2}` {
		t.Fatalf("update body %s", got)
	}
	if _, err := c.Update(ctx, keyID, apikeys.UpdateParams{}); err != nil || srv.Last().Body != `{}` {
		t.Fatalf("empty update: %v %s", err, srv.Last().Body)
	}

	if _, err := c.Revoke(ctx, keyID, "leaked"); err != nil || srv.Last().Body != `{"revocation_reason":"leaked"}` {
		t.Fatalf("revoke: %v %s", err, srv.Last().Body)
	}
	if _, err := c.Revoke(ctx, keyID, ""); err != nil || srv.Last().Body != `{"revocation_reason":null}` {
		t.Fatalf("revoke without reason: %v %s", err, srv.Last().Body)
	}
	if err := c.Delete(ctx, keyID); err != nil || srv.Last().Method != http.MethodDelete {
		t.Fatalf("delete: %v %+v", err, srv.Last())
	}
}

func TestListAndAll(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/api_keys", bapitest.Pages("data", 250, func(i int) any { return key(fmt.Sprintf("ak_%032x", i)) }))
	c := apikeys.New(srv.Backend(), apikeys.Options{})
	ctx := context.Background()

	page, err := c.List(ctx, user, apikeys.ListParams{Limit: 5, Offset: 3, Type: "api_key", IncludeInvalid: true, Query: "ci"})
	if err != nil || len(page.Keys) != 5 || page.TotalCount != 250 || page.Keys[0].ID != fmt.Sprintf("ak_%032x", 3) {
		t.Fatalf("list: %v %+v", err, page)
	}
	q := srv.Last().Query
	if q.Get("subject") != user || q.Get("limit") != "5" || q.Get("offset") != "3" || q.Get("type") != "api_key" || q.Get("include_invalid") != "true" || q.Get("query") != "ci" {
		t.Fatalf("list query %v", q)
	}

	n := 0
	for k, err := range c.All(ctx, "org_1", apikeys.ListParams{}) {
		if err != nil || k.ID != fmt.Sprintf("ak_%032x", n) {
			t.Fatalf("%d: %v %v", n, k, err)
		}
		n++
	}
	if n != 250 || srv.Calls() != 4 {
		t.Fatalf("%d keys over %d calls (1 List + 3 pages of 100)", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("subject") != "org_1" || q.Get("limit") != "100" || q.Get("offset") != "200" {
		t.Fatalf("last page query %v", q)
	}
}

// Every rejected input, checked against an emulator that counts every
// request it receives: none may arrive.
func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	b, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	c := apikeys.New(b, apikeys.Options{})
	ctx := context.Background()
	badIDs := []string{"", "ak_", "ak_1", "user_1", "ak_1/../../users", "ak_1/revoke", "ak_1?x=1", "ak_1#x", "ak_%2e%2e", "ak_1 x", "../ak_1", "-ak_1",
		keyID + "/revoke", keyID[:34], keyID + "0", "mt_" + keyID[3:],
		// A secret (base62) where the id belongs.
		"ak_Xk2pQ9vLm4Rt7Wz1Bc8Nd5Fg3Hj6Ks0Y"}
	badSubjects := []string{"", "user_", "sess_1", "user_1/x", "org_1?subject=user_2", "user_1&limit=1", "mch_1\n", "scim_1"}
	text := func(n int) string { return strings.Repeat("x", n) }
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range badIDs {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Secret(ctx, id)
		nope("Secret "+id, err)
		_, err = c.Update(ctx, id, apikeys.UpdateParams{})
		nope("Update "+id, err)
		_, err = c.Revoke(ctx, id, "")
		nope("Revoke "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
	}
	for _, s := range badSubjects {
		_, err := c.Create(ctx, apikeys.CreateParams{Subject: s, Name: "abc"})
		nope("Create subject "+s, err)
		_, err = c.List(ctx, s, apikeys.ListParams{})
		nope("List "+s, err)
		for _, err := range c.All(ctx, s, apikeys.ListParams{}) {
			nope("All "+s, err)
		}
		if s != "" {
			_, err = c.Update(ctx, keyID, apikeys.UpdateParams{Subject: s})
			nope("Update subject "+s, err)
		}
	}
	for name, p := range map[string]apikeys.CreateParams{
		"no name":            {Subject: user},
		"short name":         {Subject: user, Name: "ab"},
		"blank name":         {Subject: user, Name: "    "},
		"padded name":        {Subject: user, Name: " abc"},
		"name control":       {Subject: user, Name: "ab\x00c"},
		"long name":          {Subject: user, Name: text(257)},
		"long description":   {Subject: user, Name: "abc", Description: text(256)},
		"short type":         {Subject: user, Name: "abc", Type: "ab"},
		"long type":          {Subject: user, Name: "abc", Type: text(26)},
		"type slash":         {Subject: user, Name: "abc", Type: "api/key"},
		"empty scope":        {Subject: user, Name: "abc", Scopes: []string{"read", ""}},
		"scope control":      {Subject: user, Name: "abc", Scopes: []string{"re\nad"}},
		"too many scopes":    {Subject: user, Name: "abc", Scopes: make([]string, 1001)},
		"claims not object":  {Subject: user, Name: "abc", Claims: []int{1}},
		"claims unencodable": {Subject: user, Name: "abc", Claims: map[string]any{"f": func() {}}},
		"created by org":     {Subject: user, Name: "abc", CreatedBy: "org_1"},
		"negative expiry":    {Subject: user, Name: "abc", ExpiresIn: -time.Second},
		"fractional expiry":  {Subject: user, Name: "abc", ExpiresIn: 1500 * time.Millisecond},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
	}
	long := text(256)
	for name, p := range map[string]apikeys.UpdateParams{
		"long description": {Description: &long},
		"empty scope":      {Scopes: []string{""}},
		"claims string":    {Claims: "x"},
		"expiry":           {ExpiresIn: time.Millisecond},
	} {
		_, err := c.Update(ctx, keyID, p)
		nope("Update "+name, err)
	}
	_, err = c.Revoke(ctx, keyID, "bad\x00reason")
	nope("Revoke reason", err)
	for name, p := range map[string]apikeys.ListParams{
		"limit 101":       {Limit: 101},
		"limit 500":       {Limit: 500},
		"negative limit":  {Limit: -1},
		"negative offset": {Offset: -1},
		"type":            {Type: "a/b"},
		"query":           {Query: "a\x00"},
	} {
		_, err := c.List(ctx, user, p)
		nope("List "+name, err)
		for _, err := range c.All(ctx, user, p) {
			nope("All "+name, err)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

// Errors never carry the values they reject: a secret pasted where an id
// belongs stays out of logs.
func TestInputErrorsDoNotEchoValues(t *testing.T) {
	c := apikeys.New(bapitest.New(t).Backend(), apikeys.Options{})
	const secret = "ak_Xk2pQ9vLm4Rt7Wz1Bc8Nd5Fg3Hj6Ks0Y"
	_, err := c.Get(context.Background(), secret)
	if !errors.Is(err, clerkerr.ErrInvalidInput) || strings.Contains(err.Error(), secret[3:]) {
		t.Fatalf("error %v", err)
	}
}
