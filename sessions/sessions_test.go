package sessions_test

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
	"github.com/clerkkit/clerkkit/sessions"
)

const (
	sessID   = "sess_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	userID   = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	clientID = "client_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
)

func sess(id string) map[string]any {
	return map[string]any{"object": "session", "id": id, "user_id": userID, "client_id": clientID, "status": "active"}
}

func TestRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("GET /v1/sessions/{id}", sess(sessID))
	srv.Handle("POST /v1/sessions/{id}/revoke", func(w http.ResponseWriter, r *http.Request) {
		s := sess(sessID)
		s["status"] = "revoked"
		bapitest.JSON(w, 200, s)
	})
	srv.JSON("POST /v1/sessions/{id}/tokens", map[string]any{"object": "token", "jwt": "a.b.c"})
	srv.JSON("POST /v1/sessions/{id}/tokens/{template}", map[string]any{"object": "token", "jwt": "d.e.f"})
	srv.JSON("GET /v1/sessions", map[string]any{"data": []any{sess(sessID)}, "total_count": 1})
	c := sessions.New(srv.Backend(), sessions.Options{})
	ctx := context.Background()

	if s, err := c.Get(ctx, sessID); err != nil || s.ID != sessID || srv.Last().Path != "/v1/sessions/"+sessID {
		t.Fatalf("get: %v %+v %s", err, s, srv.Last().Path)
	}
	if s, err := c.Revoke(ctx, sessID); err != nil || s.Status != "revoked" || srv.Last().Method != "POST" || srv.Last().Path != "/v1/sessions/"+sessID+"/revoke" {
		t.Fatalf("revoke: %v %+v %+v", err, s, srv.Last())
	}
	if tok, err := c.Token(ctx, sessID, 0); err != nil || tok != "a.b.c" || srv.Last().Path != "/v1/sessions/"+sessID+"/tokens" || srv.Last().Body != `{}` {
		t.Fatalf("token: %v %q %+v", err, tok, srv.Last())
	}
	if _, err := c.Token(ctx, sessID, 2*time.Minute); err != nil || srv.Last().Body != `{"expires_in_seconds":120}` {
		t.Fatalf("token ttl: %v %+v", err, srv.Last())
	}
	if tok, err := c.TemplateToken(ctx, sessID, "hasura", time.Hour); err != nil || tok != "d.e.f" ||
		srv.Last().Path != "/v1/sessions/"+sessID+"/tokens/hasura" || srv.Last().Body != `{"expires_in_seconds":3600}` {
		t.Fatalf("template token: %v %q %+v", err, tok, srv.Last())
	}
	if _, err := c.TemplateToken(ctx, sessID, "hasura", 0); err != nil || srv.Last().Body != `{}` {
		t.Fatalf("template token default: %v %+v", err, srv.Last())
	}
	list, err := c.List(ctx, sessions.ListParams{UserID: userID, ClientID: clientID, Status: sessions.StatusActive, Limit: 7, Offset: 2})
	if err != nil || len(list.Sessions) != 1 || list.TotalCount != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	q := srv.Last().Query
	if q.Get("user_id") != userID || q.Get("client_id") != clientID || q.Get("status") != "active" || q.Get("limit") != "7" || q.Get("offset") != "2" || q.Get("paginated") != "true" {
		t.Fatalf("list query %v", q)
	}
	if _, err := c.List(ctx, sessions.ListParams{ClientID: clientID}); err != nil {
		t.Fatal(err)
	}
	if q := srv.Last().Query; q.Has("user_id") || q.Has("status") || q.Has("limit") || q.Has("offset") || q.Get("client_id") != clientID {
		t.Fatalf("minimal list query %v", q)
	}
}

func TestAllPages(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/sessions", bapitest.Pages("data", 1203, func(i int) any { return sess(fmt.Sprintf("sess_%d", i)) }))
	c := sessions.New(srv.Backend(), sessions.Options{})
	n := 0
	for s, err := range c.All(context.Background(), sessions.ListParams{UserID: userID}) {
		if err != nil || s.ID != fmt.Sprintf("sess_%d", n) {
			t.Fatalf("%d: %v %+v", n, err, s)
		}
		n++
	}
	if n != 1203 || srv.Calls() != 3 {
		t.Fatalf("%d sessions over %d calls, want 1203 over 3 pages of 500", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("user_id") != userID || q.Get("limit") != "500" || q.Get("offset") != "1000" {
		t.Fatalf("last page query %v", q)
	}

	// Smaller pages from an offset; a break stops the requests.
	before := srv.Calls()
	n = 0
	for s, err := range c.All(context.Background(), sessions.ListParams{UserID: userID, Limit: 10, Offset: 5}) {
		if err != nil || s.ID != fmt.Sprintf("sess_%d", 5+n) {
			t.Fatalf("%d: %v %+v", n, err, s)
		}
		if n++; n == 25 {
			break
		}
	}
	if got := srv.Calls() - before; got != 3 {
		t.Fatalf("25 sessions in pages of 10 took %d calls, want 3", got)
	}
}

func TestAllStopsAtError(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "2" {
			bapitest.Error(w, 422, "form_param_invalid")
			return
		}
		bapitest.Pages("data", 10, func(i int) any { return sess(fmt.Sprintf("sess_%d", i)) })(w, r)
	})
	c := sessions.New(srv.Backend(), sessions.Options{})
	var got []string
	var errs []error
	for s, err := range c.All(context.Background(), sessions.ListParams{UserID: userID, Limit: 2}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, s.ID)
	}
	var apiErr *clerkerr.APIError
	if len(got) != 2 || len(errs) != 1 || !errors.Is(errs[0], clerkerr.ErrValidation) || !errors.As(errs[0], &apiErr) || apiErr.Status != 422 {
		t.Fatalf("got %v, errors %v", got, errs)
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
	c := sessions.New(b, sessions.Options{})
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEifQ.c2lnbmF0dXJl"
	for _, id := range []string{"", "sess_", "user_1", jwt, "sess_1/revoke", "sess_1?x=1", "sess_1#x", "sess_..", "sess_1 x", "../sess_1", "sess_1%2f"} {
		_, err := c.Get(ctx, id)
		nope("Get "+id, err)
		_, err = c.Revoke(ctx, id)
		nope("Revoke "+id, err)
		_, err = c.Token(ctx, id, 0)
		nope("Token "+id, err)
		_, err = c.TemplateToken(ctx, id, "hasura", 0)
		nope("TemplateToken "+id, err)
	}
	for _, name := range []string{"", "a/b", "a b", "..", "a?b", "-x", "a%2fb"} {
		_, err := c.TemplateToken(ctx, sessID, name, 0)
		nope("TemplateToken name "+name, err)
	}
	for _, ttl := range []time.Duration{-time.Second, time.Second, 29 * time.Second, 30500 * time.Millisecond, sessions.MaxTokenLifetime + time.Second} {
		_, err := c.Token(ctx, sessID, ttl)
		nope(fmt.Sprint("Token ttl ", ttl), err)
		_, err = c.TemplateToken(ctx, sessID, "hasura", ttl)
		nope(fmt.Sprint("TemplateToken ttl ", ttl), err)
	}
	for name, p := range map[string]sessions.ListParams{
		"no filter":       {},
		"status only":     {Status: "active"},
		"bad user":        {UserID: "sess_1"},
		"user path":       {UserID: "user_1/x"},
		"user query":      {UserID: "user_1&status=active"},
		"bad client":      {ClientID: "user_1"},
		"bad status":      {UserID: userID, Status: "pending"},
		"status case":     {UserID: userID, Status: "Active"},
		"limit 501":       {UserID: userID, Limit: 501},
		"negative limit":  {UserID: userID, Limit: -1},
		"negative offset": {UserID: userID, Offset: -1},
	} {
		_, err := c.List(ctx, p)
		nope("List "+name, err)
		n := 0
		for _, err := range c.All(ctx, p) {
			nope("All "+name, err)
			n++
		}
		if n != 1 {
			t.Errorf("All %s yielded %d times", name, n)
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

// A session token pasted where a session id belongs is not echoed.
func TestInputErrorsDoNotEchoValues(t *testing.T) {
	c := sessions.New(bapitest.New(t).Backend(), sessions.Options{})
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEifQ.c2lnbmF0dXJl"
	_, err := c.Get(context.Background(), jwt)
	if !errors.Is(err, clerkerr.ErrInvalidInput) || strings.Contains(err.Error(), "eyJ") {
		t.Fatalf("error %v", err)
	}
}
