package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// eventTypes returns the types of srv's webhook messages so far, which
// exist as soon as the change is made (delivered or not: the tests move
// the clock, so the receiver may refuse their timestamps).
func eventTypes(t *testing.T, srv *emulator.Server) []string {
	t.Helper()
	var out []string
	for _, d := range srv.Deliveries() {
		out = append(out, d.EventType)
	}
	return out
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

func TestActorTokens(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Clock: clock, Webhooks: hooks(rc.url())})
	srv := a.srv
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	admin := a.createUser("admin@example.com", "Admin")["id"].(string)

	actor := map[string]any{"sub": admin, "reason": "support"}
	body := map[string]any{"user_id": u, "actor": actor, "expires_in_seconds": 600, "session_max_duration_in_seconds": 900}
	a.unauthorized("POST", "/v1/actor_tokens", body)
	at := a.ok("POST", "/v1/actor_tokens", body)
	if at["object"] != "actor_token" || at["status"] != "pending" || at["user_id"] != u || !strings.HasPrefix(at["id"].(string), "act_") {
		t.Fatalf("created: %v", at)
	}
	if got := at["actor"].(map[string]any); got["sub"] != admin || got["reason"] != "support" {
		t.Fatalf("actor: %v", got)
	}
	token := at["token"].(string)
	link, err := url.Parse(at["url"].(string))
	if err != nil || link.Host != srv.Issuer().FrontendAPI() || link.Path != "/v1/tickets/accept" || link.Query().Get("ticket") != token {
		t.Fatalf("url %v: %v", at["url"], err)
	}

	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"actor": actor}, 422, "form_param_missing"},
		{map[string]any{"user_id": u}, 422, "form_param_missing"},
		{map[string]any{"user_id": u, "actor": map[string]any{"name": "x"}}, 422, "form_param_missing"},
		{map[string]any{"user_id": u, "actor": map[string]any{"sub": ""}}, 422, "form_param_missing"},
		{map[string]any{"user_id": u, "actor": "admin"}, 422, "form_param_format_invalid"},
		{map[string]any{"user_id": u, "actor": actor, "expires_in_seconds": 0}, 422, "form_param_value_invalid"},
		{map[string]any{"user_id": u, "actor": actor, "session_max_duration_in_seconds": -1}, 422, "form_param_value_invalid"},
		{map[string]any{"user_id": u, "actor": actor, "extra": 1}, 422, "form_param_unknown"},
		{map[string]any{"user_id": "user_nope", "actor": actor}, 404, "resource_not_found"},
	} {
		a.fail("POST", "/v1/actor_tokens", tc.body, tc.status, tc.code)
	}

	// Accepting it starts an impersonation session.
	var apiErr *emulator.APIError
	if _, err := srv.AcceptTicket("nope"); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("AcceptTicket of an unknown token: %v", err)
	}
	sid, err := srv.AcceptTicket(token)
	if err != nil {
		t.Fatal(err)
	}
	se := a.ok("GET", "/v1/sessions/"+sid, nil)
	if se["user_id"] != u || se["status"] != "active" || se["actor"].(map[string]any)["sub"] != admin {
		t.Fatalf("impersonation session: %v", se)
	}
	if se["expire_at"] != float64(clock.Now().Add(900*time.Second).UnixMilli()) {
		t.Errorf("expire_at %v, want now + session_max_duration_in_seconds", se["expire_at"])
	}
	if _, err := srv.AcceptTicket(token); err == nil {
		t.Fatal("an actor token was accepted twice")
	}
	jwt := a.ok("POST", "/v1/sessions/"+sid+"/tokens", nil)["jwt"].(string)
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(context.Background(), jwt)
	if err != nil || s.Actor == nil || s.Actor.Subject != admin || s.UserID != u {
		t.Fatalf("impersonation token: %+v %v", s, err)
	}
	if act := payloadOf(t, jwt)["act"].(map[string]any); act["reason"] != "support" {
		t.Errorf("act carries the whole actor: %v", act)
	}
	a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "t", "claims": map[string]any{"who": "{{session.actor.sub}}"}})
	tp := payloadOf(t, a.ok("POST", "/v1/sessions/"+sid+"/tokens/t", nil)["jwt"].(string))
	if tp["act"].(map[string]any)["sub"] != admin || tp["who"] != admin {
		t.Errorf("template token of an impersonation session: %v", tp)
	}
	// A normal session has no actor.
	plain := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})
	if plain["actor"] != nil {
		t.Errorf("actor of a normal session: %v", plain["actor"])
	}

	// An accepted token cannot be revoked; the answer hides the token.
	id := at["id"].(string)
	a.fail("POST", "/v1/actor_tokens/"+id+"/revoke", nil, http.StatusBadRequest, "bad_request")
	a.fail("POST", "/v1/actor_tokens/act_nope/revoke", nil, http.StatusNotFound, "resource_not_found")

	// A pending one can; then it cannot be accepted.
	at2 := a.ok("POST", "/v1/actor_tokens", map[string]any{"user_id": u, "actor": actor})
	rev := a.ok("POST", "/v1/actor_tokens/"+at2["id"].(string)+"/revoke", nil)
	if rev["status"] != "revoked" || rev["token"] != nil || rev["url"] != nil {
		t.Fatalf("revoked: %v", rev)
	}
	if again := a.ok("POST", "/v1/actor_tokens/"+at2["id"].(string)+"/revoke", nil); again["status"] != "revoked" {
		t.Fatalf("revoked twice: %v", again)
	}
	if _, err := srv.AcceptTicket(at2["token"].(string)); !errors.As(err, &apiErr) || apiErr.Code != "ticket_invalid" {
		t.Fatalf("AcceptTicket of a revoked token: %v", err)
	}
	// An expired one cannot be accepted (default lifetime: an hour).
	at3 := a.ok("POST", "/v1/actor_tokens", map[string]any{"user_id": u, "actor": actor})
	clock.Advance(time.Hour)
	if _, err := srv.AcceptTicket(at3["token"].(string)); !errors.As(err, &apiErr) || apiErr.Code != "ticket_expired" {
		t.Fatalf("AcceptTicket of an expired token: %v", err)
	}
	// The impersonation session has expired (900 s).
	if got := a.ok("GET", "/v1/sessions/"+sid, nil)["status"]; got != "expired" {
		t.Errorf("impersonation session after its max duration: %v", got)
	}
	if got := eventTypes(t, srv); countOf(got, "session.created") != 2 {
		t.Errorf("events %v: want a session.created for the accepted token and the plain session", got)
	}
}

func TestSignInTokens(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Clock: clock, Webhooks: hooks(rc.url())})
	srv := a.srv
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	bob := a.createUser("bob@example.com", "Bob")["id"].(string)
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": u})["id"].(string)

	a.unauthorized("POST", "/v1/sign_in_tokens", map[string]any{"user_id": u})
	st := a.ok("POST", "/v1/sign_in_tokens", map[string]any{"user_id": u, "org_id": org})
	if st["object"] != "sign_in_token" || st["status"] != "pending" || st["user_id"] != u || !strings.HasPrefix(st["id"].(string), "sit_") ||
		!strings.Contains(st["url"].(string), "ticket=") || st["token"] == "" {
		t.Fatalf("created: %v", st)
	}
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{}, 422, "form_param_missing"},
		{map[string]any{"user_id": "user_nope"}, 404, "resource_not_found"},
		{map[string]any{"user_id": bob, "org_id": org}, 422, "not_a_member_in_organization"},
		{map[string]any{"user_id": u, "org_id": "org_nope"}, 404, "resource_not_found"},
		{map[string]any{"user_id": u, "expires_in_seconds": 0}, 422, "form_param_value_invalid"},
		{map[string]any{"user_id": u, "expires": 1}, 422, "form_param_unknown"},
	} {
		a.fail("POST", "/v1/sign_in_tokens", tc.body, tc.status, tc.code)
	}

	sid, err := srv.AcceptTicket(st["token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	se := a.ok("GET", "/v1/sessions/"+sid, nil)
	if se["user_id"] != u || se["last_active_organization_id"] != org || se["actor"] != nil {
		t.Fatalf("session: %v", se)
	}
	if _, err := srv.AcceptTicket(st["token"].(string)); err == nil {
		t.Fatal("a sign-in token was accepted twice")
	}
	a.fail("POST", "/v1/sign_in_tokens/"+st["id"].(string)+"/revoke", nil, http.StatusBadRequest, "bad_request")
	a.fail("POST", "/v1/sign_in_tokens/sit_nope/revoke", nil, http.StatusNotFound, "resource_not_found")

	st2 := a.ok("POST", "/v1/sign_in_tokens", map[string]any{"user_id": bob, "expires_in_seconds": 60})
	rev := a.ok("POST", "/v1/sign_in_tokens/"+st2["id"].(string)+"/revoke", nil)
	if rev["status"] != "revoked" || rev["url"] != nil || rev["token"] != nil {
		t.Fatalf("revoked: %v", rev)
	}
	if _, err := srv.AcceptTicket(st2["token"].(string)); err == nil {
		t.Fatal("a revoked sign-in token was accepted")
	}
	st3 := a.ok("POST", "/v1/sign_in_tokens", map[string]any{"user_id": bob, "expires_in_seconds": 60})
	clock.Advance(time.Minute)
	if _, err := srv.AcceptTicket(st3["token"].(string)); err == nil {
		t.Fatal("an expired sign-in token was accepted")
	}
	// A banned user's token does not sign in.
	st4 := a.ok("POST", "/v1/sign_in_tokens", map[string]any{"user_id": bob})
	a.ok("POST", "/v1/users/"+bob+"/ban", nil)
	var apiErr *emulator.APIError
	if _, err := srv.AcceptTicket(st4["token"].(string)); !errors.As(err, &apiErr) || apiErr.Code != "user_banned" {
		t.Fatalf("AcceptTicket of a banned user: %v", err)
	}
	if got := eventTypes(t, srv); countOf(got, "session.created") != 1 {
		t.Errorf("events %v: want one session.created", got)
	}
}

func TestTestingTokens(t *testing.T) {
	t.Parallel()
	clock := clerktest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	a := newAPI(t, emulator.Options{Clock: clock})
	a.unauthorized("POST", "/v1/testing_tokens", nil)
	tt := a.ok("POST", "/v1/testing_tokens", nil)
	now := clock.Now().Unix()
	if tt["object"] != "testing_token" || tt["expires_at"] != float64(now+3600) {
		t.Fatalf("testing token: %v", tt)
	}
	if !regexp.MustCompile(`^` + strconv.FormatInt(now, 10) + `-[0-9A-Za-z]{43}$`).MatchString(tt["token"].(string)) {
		t.Fatalf("token %q", tt["token"])
	}
	if tt2 := a.ok("POST", "/v1/testing_tokens", nil); tt2["token"] == tt["token"] {
		t.Fatal("two testing tokens are the same")
	}
	a.fail("GET", "/v1/testing_tokens", nil, http.StatusNotFound, "resource_not_found")
}

// unauthorized calls method path without the secret key and requires
// Clerk's 401.
func (a *api) unauthorized(method, path string, body any) {
	a.t.Helper()
	got, out := a.doAuth(method, path, body, "")
	checkAPIError(a.t, method+" "+path+" without a key", got, out, http.StatusUnauthorized, "authentication_invalid")
	got, out = a.doAuth(method, path, body, "Bearer sk_test_wrong")
	checkAPIError(a.t, method+" "+path+" with a wrong key", got, out, http.StatusUnauthorized, "authentication_invalid")
}

// exerciseTokenRoutes calls each JWT template, session refresh and
// template token, actor, sign-in and testing token route once,
// successfully (for TestEveryRouteIsExercised).
func exerciseTokenRoutes(t *testing.T, a *api) {
	t.Helper()
	u := a.createUser("tokens@example.com", "Tok")["id"].(string)
	sid := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	tid := a.ok("POST", "/v1/jwt_templates", map[string]any{"name": "exercise", "claims": map[string]any{"aud": "x"}})["id"].(string)
	a.list("/v1/jwt_templates")
	a.ok("GET", "/v1/jwt_templates/"+tid, nil)
	a.ok("PATCH", "/v1/jwt_templates/"+tid, map[string]any{"name": "exercise", "claims": map[string]any{}})
	a.ok("POST", "/v1/sessions/"+sid+"/tokens/exercise", nil)
	a.ok("DELETE", "/v1/jwt_templates/"+tid, nil)
	jwt := a.ok("POST", "/v1/sessions/"+sid+"/tokens", nil)["jwt"].(string)
	refresh, err := a.srv.SessionRefreshToken(sid)
	if err != nil {
		t.Fatal(err)
	}
	a.ok("POST", "/v1/sessions/"+sid+"/refresh", map[string]any{"expired_token": jwt, "refresh_token": refresh, "request_origin": "https://x.example"})
	at := a.ok("POST", "/v1/actor_tokens", map[string]any{"user_id": u, "actor": map[string]any{"sub": "user_admin"}})
	a.ok("POST", "/v1/actor_tokens/"+at["id"].(string)+"/revoke", nil)
	st := a.ok("POST", "/v1/sign_in_tokens", map[string]any{"user_id": u})
	a.ok("POST", "/v1/sign_in_tokens/"+st["id"].(string)+"/revoke", nil)
	a.ok("POST", "/v1/testing_tokens", nil)
}
