package jwttemplates_test

import (
	"context"
	"encoding/json"
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
	"github.com/clerkkit/clerkkit/jwttemplates"
)

const tmplID = "jtmp_2xhFjEI5X2qWRvtV13BzSj8H6Dk"

func tmpl(id string) map[string]any {
	return map[string]any{"object": "jwt_template", "id": id, "name": "hasura", "claims": map[string]any{"a": 1},
		"lifetime": 60, "allowed_clock_skew": 5, "custom_signing_key": false, "signing_algorithm": "RS256"}
}

func dur(d time.Duration) *time.Duration { return &d }

const testPEM = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----"

func TestRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("POST /v1/jwt_templates", tmpl(tmplID))
	srv.JSON("GET /v1/jwt_templates/{id}", tmpl(tmplID))
	srv.JSON("PATCH /v1/jwt_templates/{id}", tmpl(tmplID))
	srv.JSON("DELETE /v1/jwt_templates/{id}", map[string]any{"object": "jwt_template", "id": tmplID, "deleted": true})
	srv.JSON("GET /v1/jwt_templates", map[string]any{"data": []any{tmpl(tmplID)}, "total_count": 1})
	c := jwttemplates.New(srv.Backend(), jwttemplates.Options{})
	ctx := context.Background()

	got, err := c.Create(ctx, jwttemplates.Params{Name: "hasura", Claims: map[string]any{"https://hasura.io/jwt/claims": map[string]any{"x-hasura-user-id": "{{user.id}}"}},
		Lifetime: 2 * time.Minute, AllowedClockSkew: dur(0), SigningKey: &jwttemplates.SigningKey{Algorithm: "HS256", Key: "s3cret"}})
	if err != nil || got.ID != tmplID || string(got.Claims) != `{"a":1}` {
		t.Fatalf("create: %v %+v", err, got)
	}
	if b := srv.Last().Body; b != `{"name":"hasura","claims":{"https://hasura.io/jwt/claims":{"x-hasura-user-id":"{{user.id}}"}},"lifetime":120,"allowed_clock_skew":0,"custom_signing_key":true,"signing_key":"s3cret","signing_algorithm":"HS256"}` {
		t.Fatalf("create body %s", b)
	}
	if _, err := c.Create(ctx, jwttemplates.Params{Name: "min", Claims: json.RawMessage(`{}`)}); err != nil || srv.Last().Body != `{"name":"min","claims":{}}` {
		t.Fatalf("minimal create: %v %s", err, srv.Last().Body)
	}
	if _, err := c.Create(ctx, jwttemplates.Params{Name: "rs", Claims: map[string]int{}, SigningKey: &jwttemplates.SigningKey{Algorithm: "RS256", Key: testPEM}}); err != nil || !strings.Contains(srv.Last().Body, `"signing_algorithm":"RS256"`) {
		t.Fatalf("RS256 create: %v %s", err, srv.Last().Body)
	}
	if _, err := c.Get(ctx, tmplID); err != nil || srv.Last().Path != "/v1/jwt_templates/"+tmplID {
		t.Fatalf("get: %v %+v", err, srv.Last())
	}
	if _, err := c.Update(ctx, tmplID, jwttemplates.Params{Name: "renamed", Claims: struct {
		Role string `json:"role"`
	}{"admin"}, InstanceSigningKey: true}); err != nil || srv.Last().Method != "PATCH" || srv.Last().Body != `{"name":"renamed","claims":{"role":"admin"},"custom_signing_key":false}` {
		t.Fatalf("update: %v %+v", err, srv.Last())
	}
	if err := c.Delete(ctx, tmplID); err != nil || srv.Last().Method != "DELETE" || srv.Last().Path != "/v1/jwt_templates/"+tmplID {
		t.Fatalf("delete: %v %+v", err, srv.Last())
	}
	list, err := c.List(ctx, jwttemplates.ListParams{Limit: 3, Offset: 1})
	if err != nil || list.TotalCount != 1 || len(list.JWTTemplates) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	if q := srv.Last().Query; q.Get("paginated") != "true" || q.Get("limit") != "3" || q.Get("offset") != "1" {
		t.Fatalf("list query %v", q)
	}
}

func TestAllPages(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/jwt_templates", bapitest.Pages("data", 1001, func(i int) any { return tmpl(fmt.Sprintf("jtmp_%d", i)) }))
	c := jwttemplates.New(srv.Backend(), jwttemplates.Options{})
	n := 0
	for tp, err := range c.All(context.Background(), jwttemplates.ListParams{}) {
		if err != nil || tp.ID != fmt.Sprintf("jtmp_%d", n) {
			t.Fatalf("%d: %v %+v", n, err, tp)
		}
		n++
	}
	if n != 1001 || srv.Calls() != 3 {
		t.Fatalf("%d templates over %d calls, want 1001 over 3", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("paginated") != "true" || q.Get("limit") != "500" || q.Get("offset") != "1000" {
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
	c := jwttemplates.New(b, jwttemplates.Options{})
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "jtmp_", "hasura", "user_1", "jtmp_1/x", "jtmp_1?x=1", "jtmp_..", "jtmp_1 x", "../jtmp_1"} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Update(ctx, id, jwttemplates.Params{Name: "n", Claims: map[string]any{}})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
	}
	claims := map[string]any{"a": 1}
	hs := func(alg, key string) *jwttemplates.SigningKey {
		return &jwttemplates.SigningKey{Algorithm: alg, Key: key}
	}
	for name, p := range map[string]jwttemplates.Params{
		"no name":            {Claims: claims},
		"blank name":         {Name: "   ", Claims: claims},
		"padded name":        {Name: " hasura", Claims: claims},
		"name control":       {Name: "a\nb", Claims: claims},
		"long name":          {Name: strings.Repeat("é", 257), Claims: claims},
		"no claims":          {Name: "n"},
		"null claims":        {Name: "n", Claims: json.RawMessage(`null`)},
		"claims array":       {Name: "n", Claims: []string{"a"}},
		"claims string":      {Name: "n", Claims: "x"},
		"claims unencodable": {Name: "n", Claims: map[string]any{"f": func() {}}},
		"lifetime 29s":       {Name: "n", Claims: claims, Lifetime: 29 * time.Second},
		"lifetime negative":  {Name: "n", Claims: claims, Lifetime: -time.Minute},
		"lifetime fraction":  {Name: "n", Claims: claims, Lifetime: 30*time.Second + time.Millisecond},
		"lifetime too long":  {Name: "n", Claims: claims, Lifetime: jwttemplates.MaxLifetime + time.Second},
		"skew negative":      {Name: "n", Claims: claims, AllowedClockSkew: dur(-time.Second)},
		"skew 301s":          {Name: "n", Claims: claims, AllowedClockSkew: dur(301 * time.Second)},
		"skew fraction":      {Name: "n", Claims: claims, AllowedClockSkew: dur(1500 * time.Millisecond)},
		"alg empty":          {Name: "n", Claims: claims, SigningKey: hs("", "s")},
		"alg lowercase":      {Name: "n", Claims: claims, SigningKey: hs("hs256", "s")},
		"alg odd":            {Name: "n", Claims: claims, SigningKey: hs("HS256\n", "s")},
		"key empty":          {Name: "n", Claims: claims, SigningKey: hs("HS256", "")},
		"key blank":          {Name: "n", Claims: claims, SigningKey: hs("HS256", "  ")},
		"RS key not PEM":     {Name: "n", Claims: claims, SigningKey: hs("RS256", "not a pem")},
		"RS public key":      {Name: "n", Claims: claims, SigningKey: hs("RS256", "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----")},
		"both keys":          {Name: "n", Claims: claims, SigningKey: hs("HS256", "s"), InstanceSigningKey: true},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
		_, err = c.Update(ctx, tmplID, p)
		nope("Update "+name, err)
	}
	_, err = c.Create(ctx, jwttemplates.Params{Name: "n", Claims: claims, InstanceSigningKey: true})
	nope("Create InstanceSigningKey", err)
	for name, p := range map[string]jwttemplates.ListParams{
		"limit 501":       {Limit: 501},
		"negative limit":  {Limit: -1},
		"negative offset": {Offset: -1},
	} {
		_, err := c.List(ctx, p)
		nope("List "+name, err)
		for _, err := range c.All(ctx, p) {
			nope("All "+name, err)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

// A rejected signing key is never quoted in the error.
func TestSigningKeyNotInErrors(t *testing.T) {
	c := jwttemplates.New(bapitest.New(t).Backend(), jwttemplates.Options{})
	const secret = "super-secret-signing-material"
	_, err := c.Create(context.Background(), jwttemplates.Params{Name: "n", Claims: map[string]any{}, SigningKey: &jwttemplates.SigningKey{Algorithm: "RS256", Key: secret}})
	if !errors.Is(err, clerkerr.ErrInvalidInput) || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
}

func TestAPIErrors(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("POST /v1/jwt_templates", func(w http.ResponseWriter, r *http.Request) { bapitest.Error(w, 402, "feature_not_enabled") })
	c := jwttemplates.New(srv.Backend(), jwttemplates.Options{})
	_, err := c.Create(context.Background(), jwttemplates.Params{Name: "n", Claims: map[string]any{}})
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 402 || srv.Calls() != 1 {
		t.Fatalf("402: %v, %d calls", err, srv.Calls())
	}
}
