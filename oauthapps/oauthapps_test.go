package oauthapps_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/oauthapps"
)

func app(id string) map[string]any {
	return map[string]any{"object": "oauth_application", "id": id, "name": "App " + id, "client_id": "cid_" + id, "scopes": "profile email"}
}

func TestRequests(t *testing.T) {
	srv := bapitest.New(t)
	withSecret := func(w http.ResponseWriter, r *http.Request) {
		a := app("oa_1")
		a["client_secret"] = "secret-1"
		bapitest.JSON(w, 200, a)
	}
	srv.Handle("POST /v1/oauth_applications", withSecret)
	srv.JSON("GET /v1/oauth_applications/{id}", app("oa_1"))
	srv.JSON("PATCH /v1/oauth_applications/{id}", app("oa_1"))
	srv.JSON("DELETE /v1/oauth_applications/{id}", map[string]any{"object": "oauth_application", "id": "oa_1", "deleted": true})
	srv.Handle("POST /v1/oauth_applications/{id}/rotate_secret", withSecret)
	c := oauthapps.New(srv.Backend(), oauthapps.Options{})
	ctx := context.Background()

	a, err := c.Create(ctx, oauthapps.CreateParams{Name: "Docs"})
	if err != nil || a.ClientSecret == nil || *a.ClientSecret != "secret-1" {
		t.Fatalf("create: %v %+v", err, a)
	}
	// Unset fields are left to the API's defaults: no scopes "", no
	// consent_screen_enabled null, no public false.
	if got := srv.Last().Body; got != `{"name":"Docs"}` {
		t.Fatalf("minimal create body %s", got)
	}
	no, yes := false, true
	if _, err := c.Create(ctx, oauthapps.CreateParams{Name: "CLI", RedirectURIs: []string{"myapp://cb", "https://example.com/cb"}, Scopes: "profile email public_metadata", ConsentScreenEnabled: &no, PKCERequired: &yes, Public: true}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"name":"CLI","redirect_uris":["myapp://cb","https://example.com/cb"],"scopes":"profile email public_metadata","consent_screen_enabled":false,"pkce_required":true,"public":true}` {
		t.Fatalf("create body %s", got)
	}
	if _, err := c.Get(ctx, "oa_1"); err != nil || srv.Last().Path != "/v1/oauth_applications/oa_1" {
		t.Fatalf("get: %v %+v", err, srv.Last())
	}
	name := "Docs 2"
	if _, err := c.Update(ctx, "oa_1", oauthapps.UpdateParams{Name: &name, RedirectURIs: []string{}, Public: &no}); err != nil || srv.Last().Body != `{"name":"Docs 2","redirect_uris":[],"public":false}` {
		t.Fatalf("update: %v %s", err, srv.Last().Body)
	}
	if a, err := c.RotateSecret(ctx, "oa_1"); err != nil || *a.ClientSecret != "secret-1" || srv.Last().Path != "/v1/oauth_applications/oa_1/rotate_secret" {
		t.Fatalf("rotate: %v %+v", err, srv.Last())
	}
	if err := c.Delete(ctx, "oa_1"); err != nil || srv.Last().Method != http.MethodDelete {
		t.Fatalf("delete: %v %+v", err, srv.Last())
	}
}

func TestAll(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/oauth_applications", bapitest.Pages("data", 600, func(i int) any { return app(fmt.Sprintf("oa_%d", i)) }))
	c := oauthapps.New(srv.Backend(), oauthapps.Options{})
	n := 0
	for a, err := range c.All(context.Background(), oauthapps.ListParams{OrderBy: "-name", NameQuery: "docs"}) {
		if err != nil || a.ID != fmt.Sprintf("oa_%d", n) {
			t.Fatalf("%d: %v %v", n, a, err)
		}
		n++
	}
	if n != 600 || srv.Calls() != 2 {
		t.Fatalf("%d apps over %d calls", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("order_by") != "-name" || q.Get("name_query") != "docs" || q.Get("offset") != "500" {
		t.Fatalf("query %v", q)
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	b, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	c := oauthapps.New(b, oauthapps.Options{})
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "oa_1/rotate_secret", "../users", "oa_1?x", "oa_1#", "oa_%2F", "oa 1", "-oa_1", ".."} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Update(ctx, id, oauthapps.UpdateParams{})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
		_, err = c.RotateSecret(ctx, id)
		nope("RotateSecret "+id, err)
	}
	for name, p := range map[string]oauthapps.CreateParams{
		"no name":        {},
		"blank name":     {Name: " "},
		"long name":      {Name: strings.Repeat("x", 257)},
		"relative uri":   {Name: "x", RedirectURIs: []string{"/callback"}},
		"empty uri":      {Name: "x", RedirectURIs: []string{""}},
		"uri with space": {Name: "x", RedirectURIs: []string{"https://a.example/ b"}},
		"uri fragment":   {Name: "x", RedirectURIs: []string{"https://a.example/cb#x"}},
		"uri control":    {Name: "x", RedirectURIs: []string{"https://a.example/\n"}},
		"too many uris":  {Name: "x", RedirectURIs: make([]string, 101)},
		"long scopes":    {Name: "x", Scopes: strings.Repeat("x", 1025)},
		"scopes control": {Name: "x", Scopes: "profile\x00"},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
	}
	blank, bad := "", "a\x01"
	for name, p := range map[string]oauthapps.UpdateParams{
		"blank name": {Name: &blank},
		"bad uri":    {RedirectURIs: []string{"nope"}},
		"scopes":     {Scopes: &bad},
	} {
		_, err := c.Update(ctx, "oa_1", p)
		nope("Update "+name, err)
	}
	for name, p := range map[string]oauthapps.ListParams{
		"limit 501": {Limit: 501}, "offset": {Offset: -1}, "order": {OrderBy: "a\nb"}, "query": {NameQuery: "\x00"},
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
