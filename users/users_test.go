package users_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/users"
)

func userJSON(id string, public string) map[string]any {
	return map[string]any{"object": "user", "id": id, "public_metadata": json.RawMessage(public)}
}

// fakeUsers serves n users on GET /v1/users (a bare array, as Clerk does).
func fakeUsers(t *testing.T, n int) *bapitest.Server {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/users", func(w http.ResponseWriter, r *http.Request) {
		limit, offset := 10, 0
		if v := r.URL.Query().Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		if v := r.URL.Query().Get("offset"); v != "" {
			offset, _ = strconv.Atoi(v)
		}
		if v := r.URL.Query().Get("starting_after"); v != "" {
			i, _ := strconv.Atoi(v[len("user_"):])
			offset += i + 1
		}
		out := []any{}
		for i := offset; i < min(n, offset+limit); i++ {
			out = append(out, userJSON(fmt.Sprintf("user_%04d", i), `{}`))
		}
		bapitest.JSON(w, 200, out)
	})
	return srv
}

func TestAllIteratesEveryPage(t *testing.T) {
	srv := fakeUsers(t, 1234)
	c := users.New(srv.Backend(), users.Options{})
	n := 0
	for u, err := range c.All(context.Background(), users.ListParams{Query: "ann"}) {
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != fmt.Sprintf("user_%04d", n) {
			t.Fatalf("item %d is %s", n, u.ID)
		}
		n++
	}
	reqs := srv.Requests()
	if n != 1234 || len(reqs) != 3 {
		t.Fatalf("%d users over %d requests", n, len(reqs))
	}
	// The first page by offset (none), the next ones by cursor.
	for i, r := range reqs {
		after := map[int]string{1: "user_0499", 2: "user_0999"}[i]
		if r.Query.Get("limit") != "500" || r.Query.Has("offset") || r.Query.Get("starting_after") != after || r.Query.Get("query") != "ann" {
			t.Fatalf("request %d: %v", i, r.Query)
		}
	}
}

func TestAllByOffsetForOtherOrders(t *testing.T) {
	srv := fakeUsers(t, 1234)
	c := users.New(srv.Backend(), users.Options{})
	n := 0
	for _, err := range c.All(context.Background(), users.ListParams{OrderBy: "+email_address", Offset: 34}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	reqs := srv.Requests()
	if n != 1200 || len(reqs) != 3 {
		t.Fatalf("%d users over %d requests", n, len(reqs))
	}
	for i, r := range reqs {
		if r.Query.Get("offset") != strconv.Itoa(34+500*i) || r.Query.Has("starting_after") {
			t.Fatalf("request %d: %v", i, r.Query)
		}
	}
	// A starting offset with the default order: offset first, then cursor.
	srv2 := fakeUsers(t, 1000)
	n = 0
	for range users.New(srv2.Backend(), users.Options{}).All(context.Background(), users.ListParams{Offset: 100, Limit: 450}) {
		n++
	}
	reqs = srv2.Requests()
	if n != 900 || len(reqs) != 3 || reqs[0].Query.Get("offset") != "100" || reqs[1].Query.Has("offset") || reqs[1].Query.Get("starting_after") != "user_0549" {
		t.Fatalf("%d users, requests %+v", n, reqs)
	}
}

func TestAllBreakStopsFetching(t *testing.T) {
	srv := fakeUsers(t, 1234)
	c := users.New(srv.Backend(), users.Options{})
	for u := range c.All(context.Background(), users.ListParams{Limit: 100, Offset: 50}) {
		if u.ID == "user_0060" {
			break
		}
	}
	if srv.Calls() != 1 {
		t.Fatalf("%d calls", srv.Calls())
	}
	if q := srv.Last().Query; q.Get("limit") != "100" || q.Get("offset") != "50" {
		t.Fatalf("query %v", q)
	}
}

func TestAllYieldsErrorOnce(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/users", func(w http.ResponseWriter, r *http.Request) { bapitest.Error(w, 422, "form_param_invalid") })
	c := users.New(srv.Backend(), users.Options{})
	var errs []error
	for u, err := range c.All(context.Background(), users.ListParams{}) {
		if u != nil {
			t.Fatal("user with error")
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], clerkerr.ErrValidation) {
		t.Fatalf("errs %v", errs)
	}
}

func TestListOnePageNoCount(t *testing.T) {
	srv := fakeUsers(t, 30)
	c := users.New(srv.Backend(), users.Options{})
	list, err := c.List(context.Background(), users.ListParams{Limit: 5, Offset: 10, OrderBy: "+created_at",
		EmailAddresses: []string{"a@x.io"}, Banned: clerk.Bool(false), CreatedAfter: time.UnixMilli(1700000000123)})
	if err != nil || len(list) != 5 || list[0].ID != "user_0010" {
		t.Fatalf("%v %v", list, err)
	}
	q := srv.Last().Query
	if srv.Calls() != 1 || q.Get("order_by") != "+created_at" || q.Get("email_address") != "a@x.io" ||
		q.Get("banned") != "false" || q.Get("created_at_after") != "1700000000123" {
		t.Fatalf("%d calls, query %v", srv.Calls(), q)
	}
}

func TestCount(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("GET /v1/users/count", map[string]any{"object": "total_count", "total_count": 42})
	c := users.New(srv.Backend(), users.Options{})
	n, err := c.Count(context.Background(), users.ListParams{Query: "x", Limit: 3})
	if err != nil || n != 42 {
		t.Fatal(n, err)
	}
	if q := srv.Last().Query; q.Get("query") != "x" || q.Has("limit") {
		t.Fatalf("query %v", q)
	}
}

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		public string
		want   string
		bad    bool
	}{
		{``, "", false},
		{`null`, "", false},
		{`{}`, "", false},
		{`{"role":null}`, "", false},
		{`{"role":"admin","x":1}`, "admin", false},
		{`{"role":3}`, "", true},
		{`[1]`, "", true},
	} {
		got, err := users.RoleOf(&clerk.User{ID: "user_1", PublicMetadata: json.RawMessage(tc.public)}, "role")
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("%s: %q %v", tc.public, got, err)
		}
	}
	if r, err := users.RoleOf(nil, "role"); r != "" || err != nil {
		t.Error("nil user")
	}
}

func TestRoleAndSetRole(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("GET /v1/users/{id}", userJSON("user_1", `{"plan":"pro","tier":"gold"}`))
	srv.JSON("PATCH /v1/users/{id}/metadata", userJSON("user_1", `{}`))
	c := users.New(srv.Backend(), users.Options{RoleKey: "tier"})
	r, err := c.Role(context.Background(), "user_1")
	if err != nil || r != "gold" {
		t.Fatal(r, err)
	}
	if err := c.SetRole(context.Background(), "user_1", "admin"); err != nil {
		t.Fatal(err)
	}
	last := srv.Last()
	if last.Method != "PATCH" || last.Path != "/v1/users/user_1/metadata" || last.Body != `{"public_metadata":{"tier":"admin"}}` {
		t.Fatalf("%+v", last)
	}
	if err := c.SetRole(context.Background(), "user_1", ""); err != nil {
		t.Fatal(err)
	}
	if body := srv.Last().Body; body != `{"public_metadata":{"tier":null}}` {
		t.Fatalf("clearing sent %s", body)
	}
}

func TestUpdateAndReplaceMetadata(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("PATCH /v1/users/{id}/metadata", userJSON("user_1", `{}`))
	srv.JSON("PUT /v1/users/{id}/metadata", userJSON("user_1", `{}`))
	c := users.New(srv.Backend(), users.Options{})
	ctx := context.Background()
	_, err := c.UpdateMetadata(ctx, "user_1", users.Metadata{
		Public:  metadata.NewPatch().Set("dark", "prefs", "theme").Remove("legacy"),
		Private: map[string]any{"stripe": map[string]any{"id": "cus_1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"public_metadata":{"legacy":null,"prefs":{"theme":"dark"}},"private_metadata":{"stripe":{"id":"cus_1"}}}` {
		t.Fatalf("PATCH body %s", got)
	}
	_, err = c.ReplaceMetadata(ctx, "user_1", users.Metadata{Unsafe: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if r := srv.Last(); r.Method != "PUT" || r.Path != "/v1/users/user_1/metadata" || r.Body != `{"unsafe_metadata":{}}` {
		t.Fatalf("%+v", r)
	}
}

func TestInvalidInputMakesNoRequest(t *testing.T) {
	srv := bapitest.New(t)
	c := users.New(srv.Backend(), users.Options{})
	ctx := context.Background()
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	for _, id := range []string{"", "user_1/ban", "user_1?x", "user_1#", "%2e", "..", "a b", "a\nb", "a\x00"} {
		add(c.Get(ctx, id))
		add(c.Ban(ctx, id))
		add(c.Unban(ctx, id))
		add(c.Lock(ctx, id))
		add(c.Unlock(ctx, id))
		add(nil, c.Delete(ctx, id))
		add(c.Role(ctx, id))
		add(nil, c.SetRole(ctx, id, "admin"))
		add(c.Update(ctx, id, users.UpdateParams{}))
		add(c.UpdateMetadata(ctx, id, users.Metadata{Public: map[string]any{"a": 1}}))
		add(c.ReplaceMetadata(ctx, id, users.Metadata{Public: map[string]any{"a": 1}}))
	}
	add(c.List(ctx, users.ListParams{Limit: 501}))
	add(c.List(ctx, users.ListParams{Limit: -1}))
	add(c.List(ctx, users.ListParams{Offset: -1}))
	add(c.List(ctx, users.ListParams{UserIDs: []string{"user_1", "x/y"}}))
	add(c.List(ctx, users.ListParams{UserIDs: make([]string, 101)}))
	add(c.List(ctx, users.ListParams{Query: "a\x00"}))
	add(c.List(ctx, users.ListParams{OrganizationIDs: []string{"+org/1"}}))
	add(c.Count(ctx, users.ListParams{EmailAddresses: []string{""}}))
	add(c.List(ctx, users.ListParams{StartingAfter: "user_1", Offset: 3}))
	add(c.List(ctx, users.ListParams{StartingAfter: "user_1", OrderBy: "username"}))
	add(c.List(ctx, users.ListParams{StartingAfter: "user_1&x=1"}))
	for _, err := range c.All(ctx, users.ListParams{Limit: 1000}) {
		add(nil, err)
	}
	add(c.Create(ctx, users.CreateParams{EmailAddresses: []string{"not-an-email"}}))
	add(c.Create(ctx, users.CreateParams{FirstName: "a\x07"}))
	add(c.Create(ctx, users.CreateParams{PublicMetadata: "string"}))
	add(c.Update(ctx, "user_1", users.UpdateParams{PrimaryEmailAddressID: clerk.String("idn/1")}))
	add(c.Update(ctx, "user_1", users.UpdateParams{FirstName: clerk.String("\x1b[31m")}))
	add(c.UpdateMetadata(ctx, "user_1", users.Metadata{}))
	add(c.UpdateMetadata(ctx, "user_1", users.Metadata{Public: []string{"a"}}))
	add(c.ReplaceMetadata(ctx, "user_1", users.Metadata{Private: 3}))
	add(nil, c.SetRole(ctx, "user_1", "ad\nmin"))
	for i, err := range errs {
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("%d requests", srv.Calls())
	}
}

func TestCreateAndUpdateRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("POST /v1/users", userJSON("user_1", `{}`))
	srv.JSON("PATCH /v1/users/{id}", userJSON("user_1", `{}`))
	c := users.New(srv.Backend(), users.Options{})
	_, err := c.Create(context.Background(), users.CreateParams{
		EmailAddresses: []string{"ann@example.com"}, FirstName: "Ann", SkipPasswordRequirement: true,
		PublicMetadata: map[string]any{"role": "admin"}, CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"email_address":["ann@example.com"],"first_name":"Ann","public_metadata":{"role":"admin"},"skip_password_requirement":true,"created_at":"2024-01-02T03:04:05Z"}`
	if got := srv.Last().Body; got != want {
		t.Fatalf("create body\n%s\nwant\n%s", got, want)
	}
	if _, err := c.Update(context.Background(), "user_1", users.UpdateParams{LastName: clerk.String("Lee"), SignOutOfOtherSessions: true}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"last_name":"Lee","sign_out_of_other_sessions":true}` {
		t.Fatalf("update body %s", got)
	}
}

func TestCurrent(t *testing.T) {
	var gets atomic.Int64
	release := make(chan struct{})
	srv := bapitest.New(t)
	srv.Handle("GET /v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		<-release
		bapitest.JSON(w, 200, userJSON(r.PathValue("id"), `{"role":"admin"}`))
	})
	srv.JSON("PATCH /v1/users/{id}/metadata", userJSON("user_1", `{}`))
	clk := bapitest.NewClock(time.Unix(1_700_000_000, 0))
	c := users.New(srv.Backend(), users.Options{CurrentCacheTTL: 5 * time.Second, Now: clk.Now})

	if _, err := c.Current(context.Background()); !errors.Is(err, clerkerr.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	ctx := auth.WithSession(context.Background(), &auth.Session{UserID: "user_1"})
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u, err := c.Current(ctx); err != nil || u.ID != "user_1" {
				t.Error(u, err)
			}
		}()
	}
	time.Sleep(30 * time.Millisecond)
	close(release)
	wg.Wait()
	if gets.Load() != 1 {
		t.Fatalf("%d calls for 200 concurrent misses", gets.Load())
	}
	clk.Add(4 * time.Second)
	c.Current(ctx)
	if gets.Load() != 1 {
		t.Fatal("not cached within the TTL")
	}
	clk.Add(time.Second)
	c.Current(ctx)
	if gets.Load() != 2 {
		t.Fatal("cached beyond the TTL")
	}
	c.SetRole(context.Background(), "user_1", "member")
	c.Current(ctx)
	if gets.Load() != 3 {
		t.Fatal("SetRole did not drop the cached user")
	}
}

func TestCurrentWithoutCache(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("GET /v1/users/{id}", userJSON("user_1", `{}`))
	c := users.New(srv.Backend(), users.Options{})
	ctx := auth.WithSession(context.Background(), &auth.Session{UserID: "user_1"})
	for range 3 {
		if _, err := c.Current(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Calls() != 3 {
		t.Fatalf("%d calls", srv.Calls())
	}
}

func TestNotFound(t *testing.T) {
	srv := bapitest.New(t)
	c := users.New(srv.Backend(), users.Options{})
	_, err := c.Get(context.Background(), "user_missing")
	var ae *clerkerr.APIError
	if !errors.Is(err, clerkerr.ErrNotFound) || !errors.As(err, &ae) || ae.Code() != "resource_not_found" {
		t.Fatalf("err = %v", err)
	}
}

func TestForeignBackend(t *testing.T) {
	srv := bapitest.New(t)
	u := srv.URL + "/v1"
	key := bapitest.Key
	c := users.New(clerk.NewBackend(&clerk.BackendConfig{URL: &u, Key: &key}), users.Options{})
	_, err := c.Get(context.Background(), "user_missing")
	if !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if c.SDK() == nil {
		t.Fatal("no SDK client")
	}
}
