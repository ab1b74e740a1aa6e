package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/webhooks"
)

var (
	hookSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte("clerktest webhook secret 32bytes"))
	hookSecret2 = "whsec_" + base64.StdEncoding.EncodeToString([]byte("another clerktest webhook secret"))
)

// fastRetry retries webhook deliveries quickly.
func fastRetry(attempts int, wait time.Duration) emulator.WebhookRetry {
	return emulator.WebhookRetry{Attempts: attempts, Backoff: func(int) time.Duration { return wait }}
}

// hooks are the endpoints of Options.Webhooks, each url with hookSecret.
func hooks(urls ...string) []emulator.WebhookEndpoint {
	var out []emulator.WebhookEndpoint
	for _, u := range urls {
		out = append(out, emulator.WebhookEndpoint{URL: u, Secret: hookSecret})
	}
	return out
}

// received is one request a receiver got.
type received struct {
	id, typ string
	header  http.Header
	body    []byte
	status  int // what the receiver answered
}

// receiver is a webhook endpoint: a webhooks.Handler with a typed
// registration for every event type the Server sends, recording what it
// handled, behind a hook that may answer instead (fail).
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	requests []received
	handled  []*webhooks.Event
	typed    map[string][]any // event type -> typed values, in order
	fail     func(id string, attempt int) int
	attempts map[string]int // svix-id -> requests
}

func newReceiver(t testing.TB, secret string) *receiver {
	t.Helper()
	rc := &receiver{t: t, typed: map[string][]any{}, attempts: map[string]int{}}
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(ev *webhooks.Event, v any) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.handled = append(rc.handled, ev)
		rc.typed[ev.Type] = append(rc.typed[ev.Type], v)
		return nil
	}
	user := func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error { return rec(ev, u) }
	org := func(ctx context.Context, o *clerk.Organization, ev *webhooks.Event) error { return rec(ev, o) }
	deleted := func(ctx context.Context, d *webhooks.DeletedObject, ev *webhooks.Event) error { return rec(ev, d) }
	mem := func(ctx context.Context, m *clerk.OrganizationMembership, ev *webhooks.Event) error {
		return rec(ev, m)
	}
	inv := func(ctx context.Context, i *webhooks.OrganizationInvitation, ev *webhooks.Event) error {
		return rec(ev, i)
	}
	sess := func(ctx context.Context, s *webhooks.Session, ev *webhooks.Event) error { return rec(ev, s) }
	webhooks.On(h, webhooks.UserCreated, user)
	webhooks.On(h, webhooks.UserUpdated, user)
	webhooks.On(h, webhooks.UserDeleted, deleted)
	webhooks.On(h, webhooks.OrganizationCreated, org)
	webhooks.On(h, webhooks.OrganizationUpdated, org)
	webhooks.On(h, webhooks.OrganizationDeleted, deleted)
	webhooks.On(h, webhooks.OrganizationMembershipCreated, mem)
	webhooks.On(h, webhooks.OrganizationMembershipUpdated, mem)
	webhooks.On(h, webhooks.OrganizationMembershipDeleted, mem)
	webhooks.On(h, webhooks.OrganizationInvitationCreated, inv)
	webhooks.On(h, webhooks.OrganizationInvitationAccepted, inv)
	webhooks.On(h, webhooks.OrganizationInvitationRevoked, inv)
	webhooks.On(h, webhooks.SessionCreated, sess)
	webhooks.On(h, webhooks.SessionEnded, sess)
	webhooks.On(h, webhooks.SessionRemoved, sess)
	webhooks.On(h, webhooks.SessionRevoked, sess)
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("svix-id")
		var env struct {
			Type string `json:"type"`
		}
		json.Unmarshal(body, &env)
		rc.mu.Lock()
		rc.attempts[id]++
		n, fail := rc.attempts[id], rc.fail
		rc.mu.Unlock()
		status := 0
		if fail != nil {
			status = fail(id, n)
		}
		if status != 0 {
			w.WriteHeader(status)
		} else {
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			rw := &statusWriter{ResponseWriter: w}
			h.ServeHTTP(rw, r)
			status = rw.status
		}
		rc.mu.Lock()
		rc.requests = append(rc.requests, received{id: id, typ: env.Type, header: r.Header.Clone(), body: body, status: status})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) start() *receiver { rc.srv.Start(); return rc }

func (rc *receiver) url() string { return rc.srv.URL }

func (rc *receiver) setFail(f func(id string, attempt int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.fail = f
}

func (rc *receiver) got() (requests []received, handled []*webhooks.Event, typed map[string][]any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	typed = map[string][]any{}
	for k, v := range rc.typed {
		typed[k] = slices.Clone(v)
	}
	return slices.Clone(rc.requests), slices.Clone(rc.handled), typed
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// waitDeliveries waits for srv's deliveries, failing t after 10 s.
func waitDeliveries(t testing.TB, srv *emulator.Server) []emulator.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); err != nil {
		t.Fatalf("WaitForDeliveries: %v; deliveries: %+v", err, srv.Deliveries())
	}
	return srv.Deliveries()
}

// envelope is a delivered payload, decoded.
type envelope struct {
	Type            string          `json:"type"`
	Object          string          `json:"object"`
	Data            json.RawMessage `json:"data"`
	Timestamp       int64           `json:"timestamp"`
	InstanceID      string          `json:"instance_id"`
	EventAttributes *struct {
		HTTPRequest struct {
			ClientIP  string `json:"client_ip"`
			UserAgent string `json:"user_agent"`
		} `json:"http_request"`
	} `json:"event_attributes"`
}

func decodeEnvelope(t testing.TB, payload []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(payload, &e); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return e
}

func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// TestWebhooksFidelity drives every change the Server sends webhooks for
// and checks what arrives: each payload decodes through webhooks.Handler
// with the typed registration of its type, carries the Backend API's
// object, and arrives in order. (The conformance module validates every
// delivered payload against Clerk's webhook spec: see envSpecRecord.)
func TestWebhooksFidelity(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret).start()
	a := newAPI(t, emulator.Options{Webhooks: hooks(rc.url()), WebhookRetry: fastRetry(3, 5*time.Millisecond)})
	srv := a.srv
	raw := func(method, path string, body any) []byte {
		t.Helper()
		status, out := a.do(method, path, body)
		if status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, status, out)
		}
		return out
	}
	idOf := func(b []byte) string {
		var v struct{ ID string }
		json.Unmarshal(b, &v)
		return v.ID
	}
	want := map[string]int{}
	// The Backend API's answer for some changes, which the message data
	// must equal.
	answers := map[string][]byte{}

	aliceJSON := raw("POST", "/v1/users", map[string]any{"email_address": []string{"alice@example.com"}, "first_name": "Alice", "external_id": "ext_alice"})
	alice := idOf(aliceJSON)
	answers["user.created "+alice] = aliceJSON
	bob := a.createUser("bob@example.com", "Bob")["id"].(string)
	carol := a.createUser("carol@example.com", "Carol")["id"].(string)
	want["user.created"] += 3
	answers["user.updated "+bob] = raw("PATCH", "/v1/users/"+bob, map[string]any{"last_name": "Builder"})
	raw("PATCH", "/v1/users/"+bob+"/metadata", map[string]any{"public_metadata": map[string]any{"plan": "pro"}})
	raw("PUT", "/v1/users/"+bob+"/metadata", map[string]any{"private_metadata": map[string]any{"k": 1}})
	raw("POST", "/v1/users/"+bob+"/lock", nil)
	raw("POST", "/v1/users/"+bob+"/unlock", nil)
	want["user.updated"] += 5

	orgJSON := raw("POST", "/v1/organizations", map[string]any{"name": "Acme", "slug": "acme", "created_by": alice})
	org := idOf(orgJSON)
	answers["organization.created "+org] = orgJSON
	want["organization.created"]++
	want["organizationMembership.created"]++ // alice, the creator
	raw("PATCH", "/v1/organizations/"+org, map[string]any{"name": "Acme Inc"})
	raw("PATCH", "/v1/organizations/"+org+"/metadata", map[string]any{"public_metadata": map[string]any{"tier": 1}})
	raw("PUT", "/v1/organizations/"+org+"/metadata", map[string]any{"private_metadata": map[string]any{"k": 2}})
	want["organization.updated"] += 3
	memJSON := raw("POST", "/v1/organizations/"+org+"/memberships", map[string]any{"user_id": bob, "role": "org:member"})
	answers["organizationMembership.created "+idOf(memJSON)] = memJSON
	want["organizationMembership.created"]++
	raw("PATCH", "/v1/organizations/"+org+"/memberships/"+bob, map[string]any{"role": "org:admin"})
	raw("PATCH", "/v1/organizations/"+org+"/memberships/"+bob+"/metadata", map[string]any{"public_metadata": map[string]any{"x": 1}})
	want["organizationMembership.updated"] += 2

	inv1JSON := raw("POST", "/v1/organizations/"+org+"/invitations", map[string]any{"email_address": "dave@example.com", "role": "org:member", "inviter_user_id": alice})
	inv1 := idOf(inv1JSON)
	answers["organizationInvitation.created "+inv1] = inv1JSON
	answers["organizationInvitation.revoked "+inv1] = raw("POST", "/v1/organizations/"+org+"/invitations/"+inv1+"/revoke", nil)
	inv2 := idOf(raw("POST", "/v1/organizations/"+org+"/invitations", map[string]any{"email_address": "carol@example.com", "role": "org:member"}))
	want["organizationInvitation.created"] += 2
	want["organizationInvitation.revoked"]++
	if err := srv.AcceptInvitation(inv2, carol); err != nil {
		t.Fatal(err)
	}
	want["organizationMembership.created"]++
	want["organizationInvitation.accepted"]++

	sessJSON := raw("POST", "/v1/sessions", map[string]any{"user_id": carol})
	sess := idOf(sessJSON)
	answers["session.created "+sess] = sessJSON
	answers["session.revoked "+sess] = raw("POST", "/v1/sessions/"+sess+"/revoke", nil)
	raw("POST", "/v1/sessions/"+sess+"/revoke", nil) // no longer active: no event
	want["session.created"]++
	want["session.revoked"]++
	newSession := func(user, org string) string {
		t.Helper()
		if _, err := srv.SessionToken(user, org); err != nil {
			t.Fatal(err)
		}
		want["session.created"]++
		l := a.list("/v1/sessions?status=active&user_id=" + user)
		return l[0]["id"].(string)
	}
	if err := srv.EndSession(newSession(bob, "")); err != nil {
		t.Fatal(err)
	}
	want["session.ended"]++
	if err := srv.RemoveSession(newSession(bob, org)); err != nil {
		t.Fatal(err)
	}
	want["session.removed"]++
	newSession(carol, org)
	newSession(carol, "")
	raw("POST", "/v1/users/"+carol+"/ban", nil)
	want["user.updated"]++
	want["session.revoked"] += 2
	raw("POST", "/v1/users/"+carol+"/unban", nil)
	want["user.updated"]++
	newSession(carol, "")
	raw("PATCH", "/v1/users/"+carol, map[string]any{"password": "correct horse battery", "sign_out_of_other_sessions": true})
	want["user.updated"]++
	want["session.revoked"]++

	memDelJSON := raw("DELETE", "/v1/organizations/"+org+"/memberships/"+bob, nil)
	answers["organizationMembership.deleted "+idOf(memDelJSON)] = memDelJSON
	want["organizationMembership.deleted"]++
	raw("DELETE", "/v1/users/"+alice, nil)
	raw("DELETE", "/v1/users/"+bob, nil)
	want["user.deleted"] += 2
	raw("DELETE", "/v1/organizations/"+org, nil)
	want["organization.deleted"]++

	// Reads change nothing and send nothing.
	a.list("/v1/users")
	raw("GET", "/v1/organizations", nil)

	if err := srv.Seed(emulator.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	want["user.created"] += 2
	want["organization.created"] += 2
	want["organizationMembership.created"] += 3

	ds := waitDeliveries(t, srv)

	// Every message was sent once, delivered at the first attempt, in
	// the order of the changes.
	got := map[string]int{}
	for _, d := range ds {
		got[d.EventType]++
		if !d.Delivered || d.Failed || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || d.Attempts[0].Error != "" {
			t.Errorf("%s %s: %+v", d.MessageID, d.EventType, d)
		}
		if d.Endpoint != rc.url() || !strings.HasPrefix(d.MessageID, "msg_") || len(d.MessageID) != len("msg_")+27 {
			t.Errorf("delivery %+v", d)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events sent:\n got %v\nwant %v", got, want)
	}
	requests, handled, typed := rc.got()
	if len(requests) != len(ds) || len(handled) != len(ds) {
		t.Fatalf("receiver got %d requests and handled %d events; %d deliveries", len(requests), len(handled), len(ds))
	}
	for i, d := range ds {
		if requests[i].id != d.MessageID || handled[i].ID != d.MessageID || handled[i].Type != d.EventType {
			t.Fatalf("delivery %d: %s %s arrived as %s %s", i, d.MessageID, d.EventType, handled[i].ID, handled[i].Type)
		}
		if string(requests[i].body) != string(d.Payload) {
			t.Errorf("delivery %d: body differs from Payload", i)
		}
		if ct := requests[i].header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	}

	// The data equals the Backend API's answer for the same change.
	matched := 0
	for _, d := range ds {
		e := decodeEnvelope(t, d.Payload)
		var obj struct{ ID string }
		json.Unmarshal(e.Data, &obj)
		if ans, ok := answers[d.EventType+" "+obj.ID]; ok { // the first such event
			delete(answers, d.EventType+" "+obj.ID)
			data := e.Data
			if strings.HasPrefix(d.EventType, "session.") { // the API's session has no user
				var m map[string]any
				json.Unmarshal(data, &m)
				delete(m, "user")
				data, _ = json.Marshal(m)
			}
			jsonEqual(t, d.EventType+" data vs the API's answer", data, ans)
			matched++
		}
	}
	if len(answers) != 0 || matched != 9 {
		t.Errorf("matched %d API answers; no event for %v", matched, slices.Collect(maps.Keys(answers)))
	}

	// The envelope.
	now := time.Now().UnixMilli()
	for _, d := range ds {
		e := decodeEnvelope(t, d.Payload)
		if e.Type != d.EventType || e.Object != "event" || !strings.HasPrefix(e.InstanceID, "ins_") ||
			e.Timestamp > now || e.Timestamp < now-60_000 {
			t.Errorf("envelope %s", d.Payload)
		}
	}

	// The typed values.
	u := typed["user.created"][0].(*clerk.User)
	if u.ID != alice || len(u.EmailAddresses) != 1 || u.EmailAddresses[0].EmailAddress != "alice@example.com" ||
		*u.FirstName != "Alice" || *u.ExternalID != "ext_alice" {
		t.Errorf("user.created: %+v", u)
	}
	if u := typed["user.updated"][0].(*clerk.User); u.ID != bob || *u.LastName != "Builder" {
		t.Errorf("user.updated: %+v", u)
	}
	del := typed["user.deleted"][0].(*webhooks.DeletedObject)
	if del.Object != "user" || del.ID != alice || !del.Deleted || del.ExternalID == nil || *del.ExternalID != "ext_alice" {
		t.Errorf("user.deleted: %+v", del)
	}
	if del := typed["user.deleted"][1].(*webhooks.DeletedObject); del.ID != bob || del.ExternalID != nil {
		t.Errorf("user.deleted without external id: %+v", del)
	}
	if o := typed["organization.created"][0].(*clerk.Organization); o.ID != org || o.Slug != "acme" || o.CreatedBy != alice {
		t.Errorf("organization.created: %+v", o)
	}
	if o := typed["organization.updated"][0].(*clerk.Organization); o.Name != "Acme Inc" {
		t.Errorf("organization.updated: %+v", o)
	}
	if d := typed["organization.deleted"][0].(*webhooks.DeletedObject); d.Object != "organization" || d.ID != org || d.Slug == nil || *d.Slug != "acme" || !d.Deleted {
		t.Errorf("organization.deleted: %+v", d)
	}
	if m := typed["organizationMembership.created"][0].(*clerk.OrganizationMembership); m.Organization.ID != org ||
		m.PublicUserData.UserID != alice || m.Role != "org:admin" {
		t.Errorf("creator's membership: %+v", m)
	}
	if m := typed["organizationMembership.updated"][0].(*clerk.OrganizationMembership); m.Role != "org:admin" || m.PublicUserData.UserID != bob {
		t.Errorf("organizationMembership.updated: %+v", m)
	}
	md := typed["organizationMembership.deleted"][0].(*clerk.OrganizationMembership)
	if md.ID == "" || md.Organization == nil || md.Organization.ID != org || md.PublicUserData == nil || md.PublicUserData.UserID != bob ||
		md.Role != "org:admin" || string(md.PublicMetadata) != `{"x":1}` || md.PublicUserData.Identifier != "bob@example.com" {
		t.Errorf("organizationMembership.deleted carries the full membership: %+v", md)
	}
	if i := typed["organizationInvitation.created"][0].(*webhooks.OrganizationInvitation); i.ID != inv1 || i.EmailAddress != "dave@example.com" ||
		i.Status != "pending" || i.InviterID == nil || *i.InviterID != alice || i.PublicInviterData == nil {
		t.Errorf("organizationInvitation.created: %+v", i)
	}
	if i := typed["organizationInvitation.revoked"][0].(*webhooks.OrganizationInvitation); i.ID != inv1 || i.Status != "revoked" {
		t.Errorf("organizationInvitation.revoked: %+v", i)
	}
	if i := typed["organizationInvitation.accepted"][0].(*webhooks.OrganizationInvitation); i.ID != inv2 || i.Status != "accepted" ||
		i.UserID == nil || *i.UserID != carol || i.OrganizationID != org {
		t.Errorf("organizationInvitation.accepted: %+v", i)
	}
	for _, typ := range []string{"session.created", "session.ended", "session.removed", "session.revoked"} {
		for _, v := range typed[typ] {
			s := v.(*webhooks.Session)
			if s.User == nil || s.User.ID != s.UserID || s.Status != strings.TrimPrefix(typ, "session.") && typ != "session.created" {
				t.Errorf("%s: session %+v, user %+v", typ, s.Session, s.User)
			}
			if typ == "session.created" && s.Status != "active" {
				t.Errorf("session.created with status %s", s.Status)
			}
		}
	}
	if s := typed["session.revoked"][1].(*webhooks.Session); !s.User.Banned {
		t.Error("session.revoked after a ban embeds the banned user")
	}

	// event_attributes: the client of API changes; none for Seed and the
	// other methods.
	for _, d := range ds {
		e := decodeEnvelope(t, d.Payload)
		var obj struct {
			ID     string
			Object string
		}
		json.Unmarshal(e.Data, &obj)
		fromMethod := strings.HasPrefix(obj.ID, "user_demo") || strings.HasPrefix(obj.ID, "org_demo") ||
			d.EventType == "organizationInvitation.accepted" || d.EventType == "session.ended" || d.EventType == "session.removed"
		switch {
		case d.EventType == "session.created" || (d.EventType == "organizationMembership.created" && e.EventAttributes == nil):
			// SessionToken and AcceptInvitation, or the API
		case fromMethod && e.EventAttributes != nil:
			t.Errorf("%s from a Server method has event_attributes: %s", d.EventType, d.Payload)
		case !fromMethod && (e.EventAttributes == nil || e.EventAttributes.HTTPRequest.ClientIP != "127.0.0.1" ||
			e.EventAttributes.HTTPRequest.UserAgent != "Go-http-client/1.1"):
			t.Errorf("%s from the API: event_attributes %+v", d.EventType, e.EventAttributes)
		}
	}
}

// TestWebhookClockAndRequest: timestamps follow the Server's clock, the
// signature verifies with it, and event_attributes name the client.
func TestWebhookClockAndRequest(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 28, 8, 0, 0, 123e6, time.UTC)
	clock := clerktest.NewClock(at)
	a := newAPI(t, emulator.Options{Clock: clock})
	srv := a.srv
	var mu sync.Mutex
	var got *webhooks.Event
	h, err := webhooks.NewHandler(webhooks.Config{SigningSecret: hookSecret, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	webhooks.On(h, webhooks.UserCreated, func(ctx context.Context, u *clerk.User, ev *webhooks.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = ev
		return nil
	})
	rs := httptest.NewServer(h)
	defer rs.Close()
	if err := srv.AddWebhookEndpoint(rs.URL, hookSecret); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL()+"/v1/users", strings.NewReader(`{"email_address":["ada@example.com"]}`))
	req.Header.Set("Authorization", "Bearer "+srv.SecretKey())
	req.Header.Set("User-Agent", "clerktest-agent/1.0")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ds := waitDeliveries(t, srv)
	if len(ds) != 1 || !ds[0].Delivered || !ds[0].Attempts[0].At.Equal(at) {
		t.Fatalf("deliveries %+v", ds)
	}
	mu.Lock()
	defer mu.Unlock()
	if got == nil {
		t.Fatal("not handled")
	}
	if got.Timestamp != at.UnixMilli() || !got.Time().Equal(at) || !got.DeliveredAt.Equal(at.Truncate(time.Second)) {
		t.Errorf("timestamp %d, delivered at %v", got.Timestamp, got.DeliveredAt)
	}
	if got.Attributes.HTTPRequest.ClientIP != "127.0.0.1" || got.Attributes.HTTPRequest.UserAgent != "clerktest-agent/1.0" {
		t.Errorf("attributes %+v", got.Attributes)
	}
	if ts, ok := got.UpdatedAt(); !ok || !ts.Equal(at) {
		t.Errorf("updated_at %v", ts)
	}
}

// TestWebhookRetryThenSuccess: a 500 is retried with the same svix-id
// and a fresh signature, and the attempts are recorded.
func TestWebhookRetryThenSuccess(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret)
	rc.setFail(func(id string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return 0
	})
	rc.start()
	srv := newServer(t, emulator.Options{Webhooks: hooks(rc.url()), WebhookRetry: fastRetry(3, 20*time.Millisecond)})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	ds := waitDeliveries(t, srv)
	if len(ds) != 1 {
		t.Fatalf("deliveries %+v", ds)
	}
	d := ds[0]
	if !d.Delivered || d.Failed || d.Pending() || len(d.Attempts) != 2 || !d.NextAttempt.IsZero() {
		t.Fatalf("delivery %+v", d)
	}
	if a := d.Attempts[0]; a.Status != 500 || !strings.Contains(a.Error, "status 500") {
		t.Errorf("first attempt %+v", a)
	}
	if a := d.Attempts[1]; a.Status != 200 || a.Error != "" || a.At.Before(d.Attempts[0].At) {
		t.Errorf("second attempt %+v", a)
	}
	requests, handled, _ := rc.got()
	if len(requests) != 2 || requests[0].id != d.MessageID || requests[1].id != d.MessageID || len(handled) != 1 {
		t.Fatalf("receiver: %d requests, %d handled", len(requests), len(handled))
	}
	if string(requests[0].body) != string(requests[1].body) {
		t.Error("the retry's body differs")
	}
}

// TestWebhookGivesUp: after the last attempt, the delivery has failed.
func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret)
	rc.setFail(func(string, int) int { return http.StatusServiceUnavailable })
	rc.start()
	var mu sync.Mutex
	var observed []emulator.Delivery
	srv := newServer(t, emulator.Options{Webhooks: hooks(rc.url()), WebhookRetry: fastRetry(3, time.Millisecond),
		WebhookObserver: func(d emulator.Delivery) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, d)
		}})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	ds := waitDeliveries(t, srv)
	if len(ds) != 1 || ds[0].Delivered || !ds[0].Failed || len(ds[0].Attempts) != 3 || ds[0].Pending() {
		t.Fatalf("deliveries %+v", ds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != 3 {
		t.Fatalf("observed %d attempts", len(observed))
	}
	for i, o := range observed {
		if len(o.Attempts) != i+1 || o.Attempts[i].Status != 503 || (i < 2) != !o.NextAttempt.IsZero() || (i == 2) != o.Failed {
			t.Errorf("observation %d: %+v", i, o)
		}
	}
}

// TestWebhookEndpointDownThenUp: attempts fail while nothing listens and
// succeed once the endpoint is up.
func TestWebhookEndpointDownThenUp(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := newServer(t, emulator.Options{Webhooks: hooks("http://" + addr + "/hooks"), WebhookRetry: fastRetry(200, 10*time.Millisecond)})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}, {ID: "user_2"}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ds := srv.Deliveries(); len(ds[0].Attempts) < 2; ds = srv.Deliveries() {
		if time.Now().After(deadline) {
			t.Fatalf("no retries: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	rc := newReceiver(t, hookSecret)
	for i := 0; ; i++ {
		if rc.srv.Listener, err = net.Listen("tcp", addr); err == nil {
			break
		}
		if i == 50 {
			t.Skipf("cannot listen on %s again: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rc.start()
	ds := waitDeliveries(t, srv)
	_, handled, _ := rc.got()
	if len(ds) != 2 || len(handled) != 2 {
		t.Fatalf("deliveries %+v, handled %d", ds, len(handled))
	}
	for _, d := range ds {
		first := d.Attempts[0]
		if !d.Delivered || first.Status != 0 || !strings.Contains(first.Error, "refused") {
			t.Errorf("delivery %s: delivered %v, first attempt %+v", d.EventType, d.Delivered, first)
		}
	}
}

// TestWebhookLaterMessagesGoAhead: while a failed message waits for its
// retry, later ones are delivered: a receiver sees them out of order.
func TestWebhookLaterMessagesGoAhead(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret)
	var first string
	var mu sync.Mutex
	rc.setFail(func(id string, n int) int {
		mu.Lock()
		defer mu.Unlock()
		if first == "" {
			first = id
		}
		if id == first && n == 1 {
			return http.StatusBadGateway
		}
		return 0
	})
	rc.start()
	srv := newServer(t, emulator.Options{Webhooks: hooks(rc.url()), WebhookRetry: fastRetry(3, 100*time.Millisecond)})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_a"}, {ID: "user_b"}, {ID: "user_c"}}}); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	_, _, typed := rc.got()
	var order []string
	for _, v := range typed["user.created"] {
		order = append(order, v.(*clerk.User).ID)
	}
	if want := []string{"user_b", "user_c", "user_a"}; !slices.Equal(order, want) {
		t.Errorf("handled %v, want %v", order, want)
	}
}

// TestWebhookTwoEndpoints: every endpoint gets every message, with the
// same message id, signed with its own secret.
func TestWebhookTwoEndpoints(t *testing.T) {
	t.Parallel()
	rc1, rc2 := newReceiver(t, hookSecret).start(), newReceiver(t, hookSecret2).start()
	a := newAPI(t, emulator.Options{Webhooks: []emulator.WebhookEndpoint{{URL: rc1.url(), Secret: hookSecret}, {URL: rc2.url(), Secret: hookSecret2}}})
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	a.ok("POST", "/v1/organizations", map[string]any{"name": "Acme", "created_by": u})
	ds := waitDeliveries(t, a.srv)
	if len(ds) != 6 {
		t.Fatalf("%d deliveries", len(ds))
	}
	for i := 0; i < len(ds); i += 2 {
		if ds[i].MessageID != ds[i+1].MessageID || ds[i].Endpoint != rc1.url() || ds[i+1].Endpoint != rc2.url() ||
			string(ds[i].Payload) != string(ds[i+1].Payload) || !ds[i].Delivered || !ds[i+1].Delivered {
			t.Errorf("deliveries %d, %d: %+v %+v", i, i+1, ds[i], ds[i+1])
		}
	}
	_, h1, _ := rc1.got()
	_, h2, _ := rc2.got()
	var types []string
	for i := range h1 {
		types = append(types, h1[i].Type)
		if h1[i].ID != h2[i].ID {
			t.Errorf("message %d: %s vs %s", i, h1[i].ID, h2[i].ID)
		}
	}
	if want := []string{"user.created", "organization.created", "organizationMembership.created"}; !slices.Equal(types, want) || len(h2) != 3 {
		t.Errorf("handled %v (and %d), want %v", types, len(h2), want)
	}
}

// TestWebhookCloseAbandonsPending: the API answers while an endpoint
// hangs, and Close returns promptly with deliveries in flight and
// scheduled.
func TestWebhookCloseAbandonsPending(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // so that the server notices the client hanging up
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	failing := newReceiver(t, hookSecret)
	failing.setFail(func(string, int) int { return http.StatusInternalServerError })
	failing.start()
	srv, err := emulator.StartServer(emulator.Options{Webhooks: hooks(hang.URL, failing.url())})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := &api{t: t, srv: srv}
	start := time.Now()
	a.createUser("ada@example.com", "Ada")
	a.createUser("bob@example.com", "Bob")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the API took %v while an endpoint hangs", d)
	}
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery attempt")
	}
	deadline := time.Now().Add(5 * time.Second)
	for ds := srv.Deliveries(); ds[1].NextAttempt.IsZero(); ds = srv.Deliveries() { // the failing endpoint's retry is scheduled
		if time.Now().After(deadline) {
			t.Fatalf("no retry scheduled: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	start = time.Now()
	srv.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	ds := srv.Deliveries()
	if len(ds) != 4 {
		t.Fatalf("%d deliveries", len(ds))
	}
	for _, d := range ds {
		if !d.Pending() {
			t.Errorf("delivery %+v is not pending", d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("WaitForDeliveries after Close: %v", err)
	}
	if err := srv.AddWebhookEndpoint(hang.URL, hookSecret); err == nil {
		t.Error("AddWebhookEndpoint on a closed Server succeeded")
	}
}

// TestWebhookWaitHonoursContext: WaitForDeliveries returns the context's
// error while a delivery is pending.
func TestWebhookWaitHonoursContext(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, hookSecret)
	rc.setFail(func(string, int) int { return http.StatusInternalServerError })
	rc.start()
	srv := newServer(t, emulator.Options{Webhooks: hooks(rc.url())})
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_1"}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForDeliveries: %v", err)
	}
}

// TestWebhookEndpointsLater: with no endpoint nothing is recorded; an
// endpoint added later gets only later changes; a failed Seed sends
// nothing.
func TestWebhookEndpointsLater(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	srv := a.srv
	a.createUser("ada@example.com", "Ada")
	if ds := srv.Deliveries(); len(ds) != 0 {
		t.Fatalf("deliveries without endpoints: %+v", ds)
	}
	if err := srv.WaitForDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, hookSecret).start()
	if err := srv.AddWebhookEndpoint(rc.url(), hookSecret); err != nil {
		t.Fatal(err)
	}
	err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_x"}, {ID: "user_x"}}})
	if err == nil {
		t.Fatal("Seed with a duplicate id succeeded")
	}
	bob := a.createUser("bob@example.com", "Bob")["id"].(string)
	ds := waitDeliveries(t, srv)
	if len(ds) != 1 || ds[0].EventType != "user.created" || !strings.Contains(string(ds[0].Payload), bob) {
		t.Fatalf("deliveries %+v", ds)
	}
}

// TestWebhookEndpointValidation: URLs and secrets are checked, and errors
// never show the secret.
func TestWebhookEndpointValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, u := range []string{"", "example.com/hooks", "/hooks", "ftp://example.com/hooks", "http://", "http://%zz"} {
		if err := srv.AddWebhookEndpoint(u, hookSecret); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	for _, secret := range []string{"", "nope", "whsec_!!!!", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short")), "sk_test_abc"} {
		err := srv.AddWebhookEndpoint("http://127.0.0.1:1/hooks", secret)
		if err == nil {
			t.Errorf("secret %q accepted", secret)
			continue
		}
		if !errors.Is(err, webhooks.ErrInvalidSecret) {
			t.Errorf("secret %q: %v is not ErrInvalidSecret", secret, err)
		}
		if secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("error %q shows the secret", err)
		}
	}
	if err := srv.AddWebhookEndpoint("https://example.com/hooks", hookSecret); err != nil {
		t.Errorf("valid endpoint: %v", err)
	}
	for name, opts := range map[string]emulator.Options{
		"bad URL":           {Webhooks: hooks("nope")},
		"bad secret":        {Webhooks: []emulator.WebhookEndpoint{{URL: "http://127.0.0.1:1", Secret: "whsec_x"}}},
		"negative attempts": {WebhookRetry: emulator.WebhookRetry{Attempts: -1}},
	} {
		if s, err := emulator.StartServer(opts); err == nil {
			s.Close()
			t.Errorf("%s: StartServer succeeded", name)
		}
	}
}

// TestWebhookSessionEndAndRemove: EndSession and RemoveSession close an
// active session only, and it mints no more tokens.
func TestWebhookSessionEndAndRemove(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	srv := a.srv
	u := a.createUser("ada@example.com", "Ada")["id"].(string)
	s1 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	s2 := a.ok("POST", "/v1/sessions", map[string]any{"user_id": u})["id"].(string)
	if err := srv.EndSession(s1); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveSession(s2); err != nil {
		t.Fatal(err)
	}
	for id, status := range map[string]string{s1: "ended", s2: "removed"} {
		if got := a.ok("GET", "/v1/sessions/"+id, nil)["status"]; got != status {
			t.Errorf("session %s: status %v, want %s", id, got, status)
		}
		a.fail("POST", "/v1/sessions/"+id+"/tokens", nil, http.StatusNotFound, "resource_not_found")
		if err := srv.EndSession(id); err == nil || !strings.Contains(err.Error(), status) {
			t.Errorf("EndSession of a %s session: %v", status, err)
		}
		if err := srv.RemoveSession(id); err == nil {
			t.Errorf("RemoveSession of a %s session succeeded", status)
		}
	}
	var apiErr *emulator.APIError
	if err := srv.EndSession("sess_nope"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("EndSession of an unknown session: %v", err)
	}
}

// TestWebhookDefaultBackoff documents the default schedule.
func TestWebhookDefaultBackoff(t *testing.T) {
	t.Parallel()
	var got []string
	for n := 0; n <= emulator.DefaultWebhookAttempts; n++ {
		got = append(got, emulator.DefaultWebhookBackoff(n).String())
	}
	want := []string{"0s", "1s", "2s", "5s", "10s", "30s", "1m0s", "5m0s", "5m0s"}
	if !slices.Equal(got, want) {
		t.Errorf("DefaultWebhookBackoff(0..%d) = %v, want %v", emulator.DefaultWebhookAttempts, got, want)
	}
	if emulator.DefaultWebhookBackoff(100) != 5*time.Minute {
		t.Error("the backoff does not stay at 5m")
	}
}
