package machines_test

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
	"github.com/clerkkit/clerkkit/machines"
)

func mach(id string) map[string]any {
	return map[string]any{"object": "machine", "id": id, "name": "M " + id, "default_token_ttl": 3600, "scoped_machines": []any{}}
}

func TestRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("POST /v1/machines", func(w http.ResponseWriter, r *http.Request) {
		m := mach("mch_1")
		m["secret_key"] = "ak_machinesecret"
		bapitest.JSON(w, 200, m)
	})
	srv.JSON("PATCH /v1/machines/{id}", mach("mch_1"))
	srv.JSON("GET /v1/machines/{id}/secret_key", map[string]any{"object": "machine_secret_key", "secret": "ak_machinesecret"})
	srv.JSON("POST /v1/machines/{id}/secret_key/rotate", map[string]any{"object": "machine_secret_key", "secret": "ak_rotated"})
	srv.JSON("POST /v1/machines/{id}/scopes", map[string]any{"object": "machine_scope", "from_machine_id": "mch_1", "to_machine_id": "mch_2"})
	srv.JSON("DELETE /v1/machines/{id}/scopes/{other}", map[string]any{"object": "machine_scope", "from_machine_id": "mch_1", "to_machine_id": "mch_2", "deleted": true})
	c := machines.New(srv.Backend(), machines.Options{})
	ctx := context.Background()

	m, err := c.Create(ctx, machines.CreateParams{Name: "billing", ScopedMachines: []string{"mch_2"}, DefaultTokenTTL: 10 * time.Minute})
	if err != nil || m.SecretKey != "ak_machinesecret" || m.ID != "mch_1" {
		t.Fatalf("create: %v %+v", err, m)
	}
	if got := srv.Last().Body; got != `{"name":"billing","scoped_machines":["mch_2"],"default_token_ttl":600}` {
		t.Fatalf("create body %s", got)
	}
	if _, err := c.Create(ctx, machines.CreateParams{Name: "x"}); err != nil || srv.Last().Body != `{"name":"x"}` {
		t.Fatalf("minimal create: %v %s", err, srv.Last().Body)
	}
	name := "renamed"
	if _, err := c.Update(ctx, "mch_1", machines.UpdateParams{Name: &name, DefaultTokenTTL: time.Second}); err != nil || srv.Last().Body != `{"name":"renamed","default_token_ttl":1}` {
		t.Fatalf("update: %v %s", err, srv.Last().Body)
	}
	if k, err := c.SecretKey(ctx, "mch_1"); err != nil || k != "ak_machinesecret" {
		t.Fatalf("secret key: %v %q", err, k)
	}
	if k, err := c.RotateSecretKey(ctx, "mch_1", 0); err != nil || k != "ak_rotated" || srv.Last().Body != `{"previous_token_ttl":0}` {
		t.Fatalf("rotate: %v %q %s", err, k, srv.Last().Body)
	}
	if _, err := c.RotateSecretKey(ctx, "mch_1", 8*time.Hour); err != nil || srv.Last().Body != `{"previous_token_ttl":28800}` {
		t.Fatalf("rotate 8h: %v %s", err, srv.Last().Body)
	}
	if s, err := c.AddScope(ctx, "mch_1", "mch_2"); err != nil || s.ToMachineID != "mch_2" || srv.Last().Body != `{"to_machine_id":"mch_2"}` || srv.Last().Path != "/v1/machines/mch_1/scopes" {
		t.Fatalf("add scope: %v %+v", err, srv.Last())
	}
	if err := c.RemoveScope(ctx, "mch_1", "mch_2"); err != nil || srv.Last().Path != "/v1/machines/mch_1/scopes/mch_2" || srv.Last().Method != http.MethodDelete {
		t.Fatalf("remove scope: %v %+v", err, srv.Last())
	}
}

func TestAllUsesTotalCount(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/machines", bapitest.Pages("data", 1000, func(i int) any { return mach(fmt.Sprintf("mch_%d", i)) }))
	c := machines.New(srv.Backend(), machines.Options{})
	n := 0
	for m, err := range c.All(context.Background(), machines.ListParams{Query: "bill", OrderBy: "+name"}) {
		if err != nil || m.ID != fmt.Sprintf("mch_%d", n) {
			t.Fatalf("%d: %v %v", n, m, err)
		}
		n++
	}
	if n != 1000 || srv.Calls() != 2 {
		t.Fatalf("%d machines over %d calls", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("query") != "bill" || q.Get("order_by") != "+name" || q.Get("offset") != "500" || q.Get("limit") != "500" {
		t.Fatalf("query %v", q)
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	b, err := bapi.NewBackend(bapi.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: srv.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	c := machines.New(b, machines.Options{})
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "mch_", "user_1", "mch_1/secret_key", "mch_1/../../users", "mch_1?x", "mch_1#", "mch_%2F", "mch_1 ", "-mch_1", "mch_.."} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Update(ctx, id, machines.UpdateParams{})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id))
		_, err = c.SecretKey(ctx, id)
		nope("SecretKey "+id, err)
		_, err = c.RotateSecretKey(ctx, id, 0)
		nope("RotateSecretKey "+id, err)
		_, err = c.AddScope(ctx, id, "mch_2")
		nope("AddScope from "+id, err)
		_, err = c.AddScope(ctx, "mch_1", id)
		nope("AddScope to "+id, err)
		nope("RemoveScope from "+id, c.RemoveScope(ctx, id, "mch_2"))
		nope("RemoveScope to "+id, c.RemoveScope(ctx, "mch_1", id))
		_, err = c.Create(ctx, machines.CreateParams{Name: "x", ScopedMachines: []string{"mch_2", id}})
		nope("Create scoped "+id, err)
	}
	many := make([]string, 151)
	for i := range many {
		many[i] = fmt.Sprintf("mch_%d", i)
	}
	for name, p := range map[string]machines.CreateParams{
		"no name":        {},
		"blank name":     {Name: "  "},
		"long name":      {Name: strings.Repeat("x", 256)},
		"control name":   {Name: "a\x00"},
		"151 scopes":     {Name: "x", ScopedMachines: many},
		"ttl negative":   {Name: "x", DefaultTokenTTL: -time.Second},
		"ttl fractional": {Name: "x", DefaultTokenTTL: 1500 * time.Millisecond},
		"ttl too short":  {Name: "x", DefaultTokenTTL: time.Millisecond},
		"ttl too long":   {Name: "x", DefaultTokenTTL: machines.MaxDefaultTokenTTL + time.Second},
	} {
		_, err := c.Create(ctx, p)
		nope("Create "+name, err)
	}
	blank := ""
	for name, p := range map[string]machines.UpdateParams{
		"blank name": {Name: &blank},
		"ttl":        {DefaultTokenTTL: -time.Hour},
	} {
		_, err := c.Update(ctx, "mch_1", p)
		nope("Update "+name, err)
	}
	for _, d := range []time.Duration{-time.Second, 8*time.Hour + time.Second, 1500 * time.Millisecond} {
		_, err := c.RotateSecretKey(ctx, "mch_1", d)
		nope("RotateSecretKey "+d.String(), err)
	}
	for name, p := range map[string]machines.ListParams{
		"limit 501":       {Limit: 501},
		"negative limit":  {Limit: -1},
		"negative offset": {Offset: -1},
		"query":           {Query: "a\nb"},
		"order":           {OrderBy: strings.Repeat("x", 65)},
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
