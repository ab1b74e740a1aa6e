package syncer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"go.yaml.in/yaml/v3"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
	"github.com/clerkkit/clerkkit/examples/saas/syncer"
	"github.com/clerkkit/clerkkit/webhooks"
)

// specFile is Clerk's webhook spec with an example payload per event type,
// kept by the webhooks package.
const specFile = "../../../webhooks/testdata/clerk-webhooks-2025-04-15.yml"

var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("saas-syncer-test-key-0123456789a"))

// Ids in the spec examples.
const (
	specUser       = "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S" // user.*; also the org's creator
	specMemberUser = "user_2h8op3Isl1QR7tKu5FGNfaLKEoU" // organizationMembership.*
	specOrg        = "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
	specMembership = "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
)

var (
	examplesOnce sync.Once
	examples     map[string]map[string]any // event type → decoded example body
	examplesErr  error
)

// loadExamples reads the example payload of every event type in the spec.
func loadExamples(t testing.TB) map[string]map[string]any {
	t.Helper()
	examplesOnce.Do(func() {
		raw, err := os.ReadFile(specFile)
		if err != nil {
			examplesErr = err
			return
		}
		var spec struct {
			Webhooks map[string]struct {
				Post struct {
					RequestBody struct {
						Content map[string]struct {
							Example  any `yaml:"example"`
							Examples map[string]struct {
								Ref string `yaml:"$ref"`
							} `yaml:"examples"`
						} `yaml:"content"`
					} `yaml:"requestBody"`
				} `yaml:"post"`
			} `yaml:"x-webhooks"`
			Components struct {
				Examples map[string]struct {
					Value any `yaml:"value"`
				} `yaml:"examples"`
			} `yaml:"components"`
		}
		if examplesErr = yaml.Unmarshal(raw, &spec); examplesErr != nil {
			return
		}
		examples = map[string]map[string]any{}
		for typ, op := range spec.Webhooks {
			c := op.Post.RequestBody.Content["application/json"]
			ex := c.Example
			if ex == nil {
				ex = spec.Components.Examples[strings.TrimPrefix(c.Examples["default"].Ref, "#/components/examples/")].Value
			}
			// Round-trip through JSON to get map[string]any throughout.
			b, err := json.Marshal(ex)
			if err != nil {
				examplesErr = fmt.Errorf("%s: %w", typ, err)
				return
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				examplesErr = fmt.Errorf("%s: %w", typ, err)
				return
			}
			examples[typ] = m
		}
	})
	if examplesErr != nil {
		t.Fatalf("loading %s: %v", specFile, examplesErr)
	}
	return examples
}

// body returns the spec example of typ, with edit applied to a deep copy
// of its data object when edit is not nil.
func body(t testing.TB, typ string, edit func(data map[string]any)) []byte {
	t.Helper()
	ex, ok := loadExamples(t)[typ]
	if !ok {
		t.Fatalf("no spec example for %s", typ)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m["data"].(map[string]any))
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

// userEvent is the spec's user.created/updated example for id, with a
// primary email address, updated at updatedAt (ms).
func userEvent(t testing.TB, typ, id, first string, updatedAt int64) []byte {
	return body(t, typ, func(d map[string]any) {
		d["id"] = id
		d["first_name"] = first
		d["updated_at"] = updatedAt
		d["primary_email_address_id"] = "idn_primary"
		d["email_addresses"] = []any{
			map[string]any{"id": "idn_other", "object": "email_address", "email_address": "other@example.com"},
			map[string]any{"id": "idn_primary", "object": "email_address", "email_address": first + "@example.com"},
		}
	})
}

// membershipEvent is the spec's membership example for userID in orgID.
func membershipEvent(t testing.TB, typ, id, orgID, userID, role string, updatedAt int64) []byte {
	return body(t, typ, func(d map[string]any) {
		d["id"] = id
		d["role"] = role
		d["updated_at"] = updatedAt
		d["organization"].(map[string]any)["id"] = orgID
		d["organization"].(map[string]any)["slug"] = "slug-" + orgID
		d["public_user_data"].(map[string]any)["user_id"] = userID
	})
}

func orgEvent(t testing.TB, typ, id, slug string, updatedAt int64) []byte {
	return body(t, typ, func(d map[string]any) {
		d["id"] = id
		d["slug"] = slug
		d["updated_at"] = updatedAt
	})
}

func deletedEvent(t testing.TB, typ, id string) []byte {
	return body(t, typ, func(d map[string]any) { d["id"] = id })
}

// env is a syncing webhook endpoint on one backend.
type env struct {
	t     *testing.T
	store *store.Store
	srv   *httptest.Server
	logs  *logCounter
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	s := b.Open(t)
	return newEnvConfig(t, s, webhooks.Config{SigningSecret: testSecret})
}

// newEnvConfig is newEnv on the store s with the Handler configured by cfg.
func newEnvConfig(t *testing.T, s *store.Store, cfg webhooks.Config) *env {
	t.Helper()
	logs := &logCounter{counts: map[string]int{}, dups: map[string]int{}}
	h, err := syncer.NewHandler(t.Context(), cfg, s, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, store: s, srv: srv, logs: logs}
}

// deliver posts body as Svix delivery id and returns the status.
func (e *env) deliver(id string, body []byte) int {
	e.t.Helper()
	hdr, err := webhooks.Sign(testSecret, id, time.Now(), body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.srv.URL, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// ok delivers and requires 200.
func (e *env) ok(id string, body []byte) {
	e.t.Helper()
	if code := e.deliver(id, body); code != http.StatusOK {
		e.t.Fatalf("delivery %s: status %d, want 200", id, code)
	}
}

func (e *env) user(id string) (store.User, bool) {
	e.t.Helper()
	u, err := e.store.GetUser(e.t.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return u, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return u, true
}

func (e *env) members(orgID string) []string {
	e.t.Helper()
	ms, err := e.store.ListMembers(e.t.Context(), orgID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.UserID+"="+m.Role)
	}
	return out
}

// logCounter is a slog.Handler counting the syncer's outcome records per
// svix-id, i.e. how many times a delivery ran, and apart from them the
// deliveries found applied before.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
	dups   map[string]int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCounter) WithGroup(string) slog.Handler            { return l }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "syncer: ") {
		return nil
	}
	counts := l.counts
	if r.Message == "syncer: delivery applied before, acknowledged" {
		counts = l.dups
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "svix_id" {
			l.mu.Lock()
			counts[a.Value.String()]++
			l.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

func (l *logCounter) runs(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[id]
}

func (l *logCounter) duplicates(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dups[id]
}

func TestUserCreateUpdateDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_create", userEvent(t, string(webhooks.UserCreated), specUser, "john", 1716883200000))
		u, ok := e.user(specUser)
		if !ok || u.Email != "john@example.com" || u.FirstName != "john" || u.LastName != "Doe" ||
			u.ImageURL != "https://img.clerk.com/xxxxxx" || string(u.PublicMetadata) != "{}" ||
			!u.CreatedAt.Equal(time.UnixMilli(1716883200000)) {
			t.Fatalf("after user.created: %+v (found %t)", u, ok)
		}

		e.ok("msg_update", body(t, string(webhooks.UserUpdated), nil)) // the spec example as is
		u, _ = e.user(specUser)
		if u.LastName != "Doe Updated" || u.Email != "" || u.ImageURL != "https://img.clerk.com/yyyyy" ||
			string(u.PublicMetadata) != `{"department":"engineering"}` || !u.UpdatedAt.Equal(time.UnixMilli(1716883500000)) {
			t.Fatalf("after user.updated: %+v", u)
		}

		e.ok("msg_delete", body(t, string(webhooks.UserDeleted), func(d map[string]any) { d["id"] = specUser }))
		if _, ok := e.user(specUser); ok {
			t.Fatal("user survived user.deleted")
		}
	})
}

func TestUpdateBeforeCreate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_update", userEvent(t, string(webhooks.UserUpdated), "user_1", "newer", 2000))
		e.ok("msg_create", userEvent(t, string(webhooks.UserCreated), "user_1", "older", 1000)) // late: acknowledged, ignored
		if u, _ := e.user("user_1"); u.FirstName != "newer" {
			t.Fatalf("first name %q, want newer", u.FirstName)
		}
		e.ok("msg_update2", userEvent(t, string(webhooks.UserUpdated), "user_1", "newest", 3000))
		if u, _ := e.user("user_1"); u.FirstName != "newest" {
			t.Fatalf("first name %q, want newest", u.FirstName)
		}

		e.ok("msg_org_update", orgEvent(t, string(webhooks.OrganizationUpdated), "org_1", "new-slug", 2000))
		e.ok("msg_org_create", orgEvent(t, string(webhooks.OrganizationCreated), "org_1", "old-slug", 1000))
		if o, err := e.store.GetOrganization(t.Context(), "org_1"); err != nil || o.Slug != "new-slug" {
			t.Fatalf("organization %+v, %v", o, err)
		}
	})
}

func TestDuplicateDeliveries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		created := userEvent(t, string(webhooks.UserCreated), "user_1", "ada", 1000)
		e.ok("msg_1", created)
		// A change that a second run of msg_1 would overwrite (same
		// updated_at: the upsert would apply).
		if _, err := e.store.UpsertUser(t.Context(), store.User{ID: "user_1", FirstName: "edited", UpdatedAt: time.UnixMilli(1000)}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			e.ok("msg_1", created)
		}
		if n, d := e.logs.runs("msg_1"), e.logs.duplicates("msg_1"); n != 1 || d != 2 {
			t.Fatalf("msg_1 ran %d times and was a duplicate %d times, want 1 and 2", n, d)
		}
		if u, _ := e.user("user_1"); u.FirstName != "edited" {
			t.Fatalf("a redelivery was applied again: first name %q", u.FirstName)
		}

		// 20 concurrent copies of one delivery: one runs, the others wait
		// for its transaction, find its id and are answered 200.
		updated := userEvent(t, string(webhooks.UserUpdated), "user_1", "grace", 2000)
		var wg sync.WaitGroup
		codes := make(chan int, 20)
		for range 20 {
			wg.Go(func() { codes <- e.deliver("msg_2", updated) })
		}
		wg.Wait()
		close(codes)
		for code := range codes {
			if code != http.StatusOK {
				t.Errorf("concurrent copy answered %d, want 200", code)
			}
		}
		if n, d := e.logs.runs("msg_2"), e.logs.duplicates("msg_2"); n != 1 || d != 19 {
			t.Fatalf("msg_2 ran %d times and was a duplicate %d times, want 1 and 19", n, d)
		}
		if u, _ := e.user("user_1"); u.FirstName != "grace" {
			t.Fatalf("first name %q, want grace", u.FirstName)
		}
	})
}

// recorded reports whether the store recorded the delivery id as applied.
func (e *env) recorded(id string) bool {
	e.t.Helper()
	q := "SELECT COUNT(*) FROM webhook_deliveries WHERE svix_id = ?"
	if e.store.Dialect() == webhooks.Postgres {
		q = "SELECT COUNT(*) FROM webhook_deliveries WHERE svix_id = $1"
	}
	var n int
	if err := e.store.DB().QueryRowContext(context.Background(), q, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n > 0
}

// A delivery whose upsert fails is answered 500 and leaves neither its
// writes nor its id: Svix's retry of the same svix-id applies it.
func TestFailedDeliveryRetried(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_org1", orgEvent(t, string(webhooks.OrganizationCreated), "org_1", "acme", 1000))
		second := orgEvent(t, string(webhooks.OrganizationCreated), "org_2", "acme", 1000) // slug taken
		if code := e.deliver("msg_org2", second); code != http.StatusInternalServerError {
			t.Fatalf("slug conflict: status %d, want 500", code)
		}
		if e.recorded("msg_org2") {
			t.Fatal("the failed delivery's id was recorded")
		}
		if _, err := e.store.GetOrganization(t.Context(), "org_2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the failed delivery was stored: %v", err)
		}
		e.ok("msg_org1_rename", orgEvent(t, string(webhooks.OrganizationUpdated), "org_1", "acme-old", 2000))
		e.ok("msg_org2", second) // Svix's retry
		if o, err := e.store.GetOrganization(t.Context(), "org_2"); err != nil || o.Slug != "acme" || !e.recorded("msg_org2") {
			t.Fatalf("retry: %+v, %v, recorded %t", o, err, e.recorded("msg_org2"))
		}
		if n := e.logs.runs("msg_org2"); n != 2 {
			t.Fatalf("msg_org2 ran %d times, want 2 (failure, retry)", n)
		}
	})
}

// A delivery whose context ends while its transaction waits (the lease
// runs out, as when the process hangs or dies) keeps nothing; the retry
// applies it. In PostgreSQL the transaction has recorded the id and waits
// for the user's lock; in SQLite it waits for the write lock.
func TestDeliveryCancelledMidTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		e := newEnvConfig(t, s, webhooks.Config{SigningSecret: testSecret, Lease: 300 * time.Millisecond})
		ctx := t.Context()
		// Another writer holds the lock the delivery needs.
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		lock := "INSERT INTO clerk_objects (kind, id) VALUES ('user', 'user_1') ON CONFLICT (kind, id) DO UPDATE SET kind = excluded.kind"
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			t.Fatal(err)
		}
		created := userEvent(t, string(webhooks.UserCreated), "user_1", "ada", 1000)
		start := time.Now()
		code := e.deliver("msg_c", created)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if code != http.StatusInternalServerError {
			t.Fatalf("delivery cancelled in its transaction: status %d, want 500", code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the cancelled delivery took %v", d)
		}
		if _, ok := e.user("user_1"); ok || e.recorded("msg_c") {
			t.Fatalf("the cancelled delivery left the user (%t) or its id (%t)", ok, e.recorded("msg_c"))
		}
		e.ok("msg_c", created) // Svix's retry
		if u, ok := e.user("user_1"); !ok || u.FirstName != "ada" || !e.recorded("msg_c") {
			t.Fatalf("retry: %+v (found %t)", u, ok)
		}
	})
}

func TestDeleteThenLateUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_create", userEvent(t, string(webhooks.UserCreated), "user_1", "ada", 1000))
		e.ok("msg_delete", deletedEvent(t, string(webhooks.UserDeleted), "user_1"))
		e.ok("msg_late", userEvent(t, string(webhooks.UserUpdated), "user_1", "zombie", 5000))
		if _, ok := e.user("user_1"); ok {
			t.Fatal("a late user.updated resurrected a deleted user")
		}

		e.ok("msg_org_create", orgEvent(t, string(webhooks.OrganizationCreated), "org_1", "acme", 1000))
		e.ok("msg_org_delete", deletedEvent(t, string(webhooks.OrganizationDeleted), "org_1"))
		e.ok("msg_org_late", orgEvent(t, string(webhooks.OrganizationUpdated), "org_1", "acme", 5000))
		if _, err := e.store.GetOrganization(t.Context(), "org_1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a late organization.updated resurrected a deleted organization: %v", err)
		}

		// A deletion delivered before the creation.
		e.ok("msg_early_delete", deletedEvent(t, string(webhooks.UserDeleted), "user_2"))
		e.ok("msg_late_create", userEvent(t, string(webhooks.UserCreated), "user_2", "late", 1000))
		if _, ok := e.user("user_2"); ok {
			t.Fatal("user.created after user.deleted stored the user")
		}
	})
}

func TestMembershipBeforeUserAndOrganization(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		created := body(t, string(webhooks.OrganizationMembershipCreated), nil) // the spec example as is

		// Neither the user nor the organization has arrived: the event
		// carries the organization, which is stored; the user is missing,
		// so the delivery fails and Svix will retry it.
		if code := e.deliver("msg_mem", created); code != http.StatusInternalServerError {
			t.Fatalf("membership before its user: status %d, want 500", code)
		}
		if e.recorded("msg_mem") {
			t.Fatal("the failed membership's id was recorded")
		}
		if o, err := e.store.GetOrganization(t.Context(), specOrg); err != nil || o.Slug != "acme-corp" {
			t.Fatalf("organization from the membership's copy: %+v, %v", o, err)
		}
		e.ok("msg_user", userEvent(t, string(webhooks.UserCreated), specMemberUser, "jane", 1716883200000))
		e.ok("msg_mem", created) // the retry
		if got := e.members(specOrg); !slices.Equal(got, []string{specMemberUser + "=org:member"}) {
			t.Fatalf("members = %v", got)
		}
		e.ok("msg_org", body(t, string(webhooks.OrganizationCreated), nil)) // the late organization.created
		e.ok("msg_mem_update", body(t, string(webhooks.OrganizationMembershipUpdated), nil))
		if got := e.members(specOrg); !slices.Equal(got, []string{specMemberUser + "=org:admin"}) {
			t.Fatalf("members after update = %v", got)
		}
		e.ok("msg_mem_delete", body(t, string(webhooks.OrganizationMembershipDeleted), nil))
		if got := e.members(specOrg); len(got) != 0 {
			t.Fatalf("members after delete = %v", got)
		}

		// Without a dated organization copy both parents must arrive
		// first: no placeholder organization is stored.
		mem := body(t, string(webhooks.OrganizationMembershipCreated), func(d map[string]any) {
			d["id"] = "orgmem_2"
			d["organization"] = map[string]any{"id": "org_2"}
			d["public_user_data"].(map[string]any)["user_id"] = "user_2"
		})
		if code := e.deliver("msg_mem2", mem); code != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", code)
		}
		e.ok("msg_user2", userEvent(t, string(webhooks.UserCreated), "user_2", "bob", 1000))
		if code := e.deliver("msg_mem2", mem); code != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", code)
		}
		e.ok("msg_org2", orgEvent(t, string(webhooks.OrganizationCreated), "org_2", "two", 1000))
		e.ok("msg_mem2", mem)
		if got := e.members("org_2"); !slices.Equal(got, []string{"user_2=org:member"}) {
			t.Fatalf("members of org_2 = %v", got)
		}
	})
}

func TestMembershipOutOfOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_user", userEvent(t, string(webhooks.UserCreated), "user_1", "ada", 1000))
		e.ok("msg_org", orgEvent(t, string(webhooks.OrganizationCreated), "org_1", "one", 1000))
		e.ok("msg_update", membershipEvent(t, string(webhooks.OrganizationMembershipUpdated), "mem_1", "org_1", "user_1", "org:admin", 3000))
		e.ok("msg_create", membershipEvent(t, string(webhooks.OrganizationMembershipCreated), "mem_1", "org_1", "user_1", "org:member", 2000))
		if got := e.members("org_1"); !slices.Equal(got, []string{"user_1=org:admin"}) {
			t.Fatalf("members = %v", got)
		}
		e.ok("msg_delete", membershipEvent(t, string(webhooks.OrganizationMembershipDeleted), "mem_1", "org_1", "user_1", "org:admin", 3000))
		e.ok("msg_late", membershipEvent(t, string(webhooks.OrganizationMembershipUpdated), "mem_1", "org_1", "user_1", "org:member", 9000))
		if got := e.members("org_1"); len(got) != 0 {
			t.Fatalf("members after delete and late update = %v", got)
		}
	})
}

func TestOrganizationDeletionCascades(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := t.Context()
		for _, u := range []string{"user_1", "user_2"} {
			e.ok("msg_"+u, userEvent(t, string(webhooks.UserCreated), u, u, 1000))
		}
		e.ok("msg_org", orgEvent(t, string(webhooks.OrganizationCreated), "org_1", "one", 1000))
		e.ok("msg_m1", membershipEvent(t, string(webhooks.OrganizationMembershipCreated), "mem_1", "org_1", "user_1", "org:admin", 1000))
		e.ok("msg_m2", membershipEvent(t, string(webhooks.OrganizationMembershipCreated), "mem_2", "org_1", "user_2", "org:member", 1000))
		for _, np := range []store.NewProject{
			{Title: "team", OwnerID: "user_1", OrganizationID: "org_1"},
			{Title: "personal", OwnerID: "user_1"},
		} {
			if _, err := e.store.CreateProject(ctx, np); err != nil {
				t.Fatal(err)
			}
		}

		e.ok("msg_org_delete", deletedEvent(t, string(webhooks.OrganizationDeleted), "org_1"))
		if got := e.members("org_1"); len(got) != 0 {
			t.Fatalf("members of a deleted organization: %v", got)
		}
		ps, err := e.store.ListProjects(ctx, "user_1", "org_1")
		if err != nil || len(ps) != 1 || ps[0].Title != "personal" {
			t.Fatalf("projects = %+v, %v", ps, err)
		}
		// Late membership events of the deleted organization are
		// acknowledged and ignored (no retry loop).
		e.ok("msg_m1_late", membershipEvent(t, string(webhooks.OrganizationMembershipUpdated), "mem_1", "org_1", "user_1", "org:member", 5000))
		e.ok("msg_m3_late", membershipEvent(t, string(webhooks.OrganizationMembershipCreated), "mem_3", "org_1", "user_2", "org:member", 5000))
		if got := e.members("org_1"); len(got) != 0 {
			t.Fatalf("late memberships stored: %v", got)
		}
		if _, err := e.store.GetOrganization(ctx, "org_1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("organization resurrected by a membership's copy: %v", err)
		}
	})
}

// Every spec example of the registered types is accepted once its
// parents exist.
func TestSpecExamples(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_member_user", userEvent(t, string(webhooks.UserCreated), specMemberUser, "jane", 1716883200000))
		for i, typ := range []string{
			string(webhooks.UserCreated), string(webhooks.UserUpdated),
			string(webhooks.OrganizationCreated), string(webhooks.OrganizationUpdated),
			string(webhooks.OrganizationMembershipCreated), string(webhooks.OrganizationMembershipUpdated),
			string(webhooks.OrganizationMembershipDeleted),
			string(webhooks.OrganizationDeleted), string(webhooks.UserDeleted),
		} {
			e.ok(fmt.Sprintf("msg_%d", i), body(t, typ, nil))
		}
		if _, ok := e.user(specMemberUser); !ok {
			t.Fatal("member user missing")
		}
		if _, ok := e.user(specUser); ok {
			t.Fatal("deleted user present")
		}
		// Delivery ids were recorded in the store's own database.
		var n int
		if err := e.store.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM webhook_deliveries").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 10 {
			t.Fatalf("%d applied delivery ids recorded, want 10", n)
		}
	})
}

func TestUnusableEventAcknowledged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.ok("msg_no_id", body(t, string(webhooks.UserCreated), func(d map[string]any) { d["id"] = "" }))
		if !e.recorded("msg_no_id") {
			t.Fatal("the acknowledged delivery's id was not recorded")
		}
		e.ok("msg_no_id", body(t, string(webhooks.UserCreated), func(d map[string]any) { d["id"] = "" }))
		if n, d := e.logs.runs("msg_no_id"), e.logs.duplicates("msg_no_id"); n != 1 || d != 1 {
			t.Fatalf("msg_no_id ran %d times, was a duplicate %d times; want 1 and 1", n, d)
		}
	})
}

func TestMappers(t *testing.T) {
	v, err := webhooks.NewVerifier(webhooks.Config{SigningSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	raw := userEvent(t, string(webhooks.UserCreated), "user_1", "ada", 1000)
	hdr, err := webhooks.Sign(testSecret, "msg", time.Now(), raw)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := v.Verify(hdr, raw)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := webhooks.Payload[*clerk.User](ev)
	if err != nil {
		t.Fatal(err)
	}
	u := syncer.UserFromClerk(cu)
	if u.Email != "ada@example.com" || u.FirstName != "ada" || !u.UpdatedAt.Equal(time.UnixMilli(1000)) {
		t.Fatalf("UserFromClerk = %+v", u)
	}
	c := *cu
	c.PrimaryEmailAddressID = nil
	if u := syncer.UserFromClerk(&c); u.Email != "" {
		t.Fatalf("no primary address: email %q", u.Email)
	}
}
