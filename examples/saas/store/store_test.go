package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/examples/saas/store/storetest"
)

// t0 is an arbitrary Clerk updated_at; tests add milliseconds to it.
var t0 = time.UnixMilli(1716883200000).UTC()

func at(msAfter int) time.Time { return t0.Add(time.Duration(msAfter) * time.Millisecond) }

func user(id string, updated int) store.User {
	return store.User{ID: id, Email: id + "@example.com", FirstName: "First " + id, LastName: "Last",
		ImageURL: "https://img.example/" + id, PublicMetadata: json.RawMessage(`{"plan":"free"}`),
		CreatedAt: t0, UpdatedAt: at(updated)}
}

func org(id, slug string, updated int) store.Organization {
	return store.Organization{ID: id, Name: "Org " + id, Slug: slug, CreatedBy: "user_a", CreatedAt: t0, UpdatedAt: at(updated)}
}

func membership(id, orgID, userID, role string, updated int) store.Membership {
	return store.Membership{ID: id, OrganizationID: orgID, UserID: userID, Role: role, CreatedAt: t0, UpdatedAt: at(updated)}
}

// must returns a function that fails t on err and returns v, for use as
// must(s.GetUser(ctx, id))(t).
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantTrue returns a check that an upsert or delete succeeded and applied
// (or deleted), for use as wantTrue(t)(s.UpsertUser(ctx, u)).
func wantTrue(t testing.TB) func(bool, error) { return wantResult(t, true) }

// wantFalse is wantTrue for a write that must succeed without effect.
func wantFalse(t testing.TB) func(bool, error) { return wantResult(t, false) }

func wantResult(t testing.TB, want bool) func(bool, error) {
	t.Helper()
	return func(got bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("applied/deleted = %t, want %t", got, want)
		}
	}
}

// seed stores users a and b, org_1 (slug one) with a as admin and b as
// member, and org_2 (slug two) with a as member.
func seed(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"user_a", "user_b"} {
		wantTrue(t)(s.UpsertUser(ctx, user(id, 0)))
	}
	wantTrue(t)(s.UpsertOrganization(ctx, org("org_1", "one", 0)))
	wantTrue(t)(s.UpsertOrganization(ctx, org("org_2", "two", 0)))
	for _, m := range []store.Membership{
		membership("mem_1a", "org_1", "user_a", "org:admin", 0),
		membership("mem_1b", "org_1", "user_b", "org:member", 0),
		membership("mem_2a", "org_2", "user_a", "org:member", 0),
	} {
		wantTrue(t)(s.UpsertMembership(ctx, m))
	}
}

func project(t testing.TB, s *store.Store, owner, orgID, title string) store.Project {
	t.Helper()
	return must(s.CreateProject(t.Context(), store.NewProject{Title: title, OwnerID: owner, OrganizationID: orgID}))(t)
}

func titles(ps []store.Project) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Title)
	}
	slices.Sort(out)
	return out
}

func memberIDs(t testing.TB, s *store.Store, orgID string) []string {
	t.Helper()
	var out []string
	for _, m := range must(s.ListMembers(t.Context(), orgID))(t) {
		out = append(out, m.ID)
	}
	return out
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s1 := b.Open(t)
		wantTrue(t)(s1.UpsertUser(t.Context(), user("user_a", 0)))
		s2 := b.Open(t) // the schema exists: nothing to do
		if u := must(s2.GetUser(t.Context(), "user_a"))(t); u.Email != "user_a@example.com" {
			t.Fatalf("second store reads %+v", u)
		}
		var n int
		if err := s2.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob("migrations/*.sql")
		if err != nil || len(files) < 2 {
			t.Fatalf("migrations: %v, %v", files, err)
		}
		if n != len(files) {
			t.Fatalf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
		}
	})
}

func TestOpenConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				s, err := store.Open(t.Context(), b.URL)
				if err == nil {
					s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestUserRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		want := user("user_a", 5)
		wantTrue(t)(s.UpsertUser(ctx, want))
		got := must(s.GetUser(ctx, "user_a"))(t)
		if got.Email != want.Email || got.FirstName != want.FirstName || got.LastName != want.LastName ||
			got.ImageURL != want.ImageURL || string(got.PublicMetadata) != string(want.PublicMetadata) ||
			!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		// No metadata is stored as an empty object.
		u := user("user_b", 0)
		u.PublicMetadata = nil
		wantTrue(t)(s.UpsertUser(ctx, u))
		if got := must(s.GetUser(ctx, "user_b"))(t); string(got.PublicMetadata) != "{}" {
			t.Fatalf("metadata = %s", got.PublicMetadata)
		}
		if _, err := s.GetUser(ctx, "user_x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetUser(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestUpsertOutOfOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		newer, older := user("user_a", 300), user("user_a", 100)
		newer.FirstName, older.FirstName = "Grace", "Ada"
		wantTrue(t)(s.UpsertUser(ctx, newer))
		wantFalse(t)(s.UpsertUser(ctx, older))
		wantTrue(t)(s.UpsertUser(ctx, newer)) // a replay rewrites the same values
		if got := must(s.GetUser(ctx, "user_a"))(t); got.FirstName != "Grace" || !got.UpdatedAt.Equal(at(300)) {
			t.Fatalf("got %s at %v, want Grace at %v", got.FirstName, got.UpdatedAt, at(300))
		}

		on, oo := org("org_1", "new", 300), org("org_1", "old", 100)
		wantTrue(t)(s.UpsertOrganization(ctx, on))
		wantFalse(t)(s.UpsertOrganization(ctx, oo))
		if got := must(s.GetOrganization(ctx, "org_1"))(t); got.Slug != "new" {
			t.Fatalf("slug = %q, want new", got.Slug)
		}

		wantTrue(t)(s.UpsertMembership(ctx, membership("mem_1", "org_1", "user_a", "org:admin", 300)))
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_1", "org_1", "user_a", "org:member", 100)))
		if got := must(s.GetMembership(ctx, "org_1", "user_a"))(t); got.Role != "org:admin" {
			t.Fatalf("role = %q, want org:admin", got.Role)
		}
	})
}

func TestTombstones(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)

		// A late update, even one newer than anything stored, does not
		// resurrect a deleted object.
		wantTrue(t)(s.DeleteUser(ctx, "user_b"))
		wantFalse(t)(s.UpsertUser(ctx, user("user_b", 1_000)))
		if _, err := s.GetUser(ctx, "user_b"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
		wantFalse(t)(s.DeleteUser(ctx, "user_b")) // duplicate delete

		wantTrue(t)(s.DeleteOrganization(ctx, "org_2"))
		wantFalse(t)(s.UpsertOrganization(ctx, org("org_2", "two", 1_000)))
		if _, err := s.GetOrganization(ctx, "org_2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted organization: %v", err)
		}

		wantTrue(t)(s.DeleteMembership(ctx, "mem_1a"))
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_1a", "org_1", "user_a", "org:admin", 1_000)))
		if _, err := s.GetMembership(ctx, "org_1", "user_a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted membership: %v", err)
		}

		// A deletion delivered before the creation.
		wantFalse(t)(s.DeleteUser(ctx, "user_c"))
		wantFalse(t)(s.UpsertUser(ctx, user("user_c", 0)))

		// A membership of a deleted user or organization is ignored, not
		// retried.
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_1x", "org_1", "user_b", "org:member", 1_000)))
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_2x", "org_2", "user_a", "org:member", 1_000)))
		if ids := memberIDs(t, s, "org_1"); len(ids) != 0 {
			t.Fatalf("org_1 members = %v, want none", ids)
		}
	})
}

func TestCascadeOrganizationDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		project(t, s, "user_a", "org_1", "a in org_1")
		project(t, s, "user_b", "org_1", "b in org_1")
		project(t, s, "user_a", "org_2", "a in org_2")
		project(t, s, "user_a", "", "a personal")

		wantTrue(t)(s.DeleteOrganization(ctx, "org_1"))
		if ids := memberIDs(t, s, "org_1"); len(ids) != 0 {
			t.Fatalf("members of deleted org: %v", ids)
		}
		if got := titles(must(s.ListProjects(ctx, "user_a", "org_1"))(t)); !slices.Equal(got, []string{"a personal"}) {
			t.Fatalf("user_a projects with org_1 = %v", got)
		}
		if got := titles(must(s.ListProjects(ctx, "user_a", "org_2"))(t)); !slices.Equal(got, []string{"a in org_2", "a personal"}) {
			t.Fatalf("user_a projects with org_2 = %v", got)
		}
		orgs := must(s.ListUserOrganizations(ctx, "user_b"))(t)
		if len(orgs) != 0 {
			t.Fatalf("user_b organizations = %+v", orgs)
		}
		for _, id := range []string{"user_a", "user_b"} { // users stay
			must(s.GetUser(ctx, id))(t)
		}
	})
}

func TestCascadeUserDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		project(t, s, "user_a", "org_1", "a in org_1")
		project(t, s, "user_b", "org_1", "b in org_1")
		project(t, s, "user_a", "", "a personal")
		project(t, s, "user_b", "", "b personal")

		wantTrue(t)(s.DeleteUser(ctx, "user_a"))
		if ids := memberIDs(t, s, "org_1"); !slices.Equal(ids, []string{"mem_1b"}) {
			t.Fatalf("org_1 members = %v, want [mem_1b]", ids)
		}
		if ids := memberIDs(t, s, "org_2"); len(ids) != 0 {
			t.Fatalf("org_2 members = %v, want none", ids)
		}
		if got := titles(must(s.ListProjects(ctx, "user_a", "org_1"))(t)); !slices.Equal(got, []string{"b in org_1"}) {
			t.Fatalf("projects after deleting user_a = %v", got)
		}
		if got := titles(must(s.ListProjects(ctx, "user_b", "org_1"))(t)); !slices.Equal(got, []string{"b in org_1", "b personal"}) {
			t.Fatalf("user_b projects = %v", got)
		}
		must(s.GetOrganization(ctx, "org_1"))(t) // organizations stay
	})
}

func TestUniqueSlug(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_1", "acme", 0)))
		_, err := s.UpsertOrganization(ctx, org("org_2", "acme", 10))
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate slug: %v, want ErrConflict", err)
		}
		// Svix's retry succeeds once org_1's rename has arrived.
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_1", "acme-old", 5)))
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_2", "acme", 10)))
		if got := must(s.GetOrganizationBySlug(ctx, "acme"))(t); got.ID != "org_2" {
			t.Fatalf("acme is %s", got.ID)
		}
		// Organizations without a slug do not collide.
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_3", "", 0)))
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_4", "", 0)))
		if _, err := s.GetOrganizationBySlug(ctx, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("empty slug: %v", err)
		}
	})
}

func TestMembershipMissingParent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		m := membership("mem_1", "org_1", "user_a", "org:admin", 0)
		if _, err := s.UpsertMembership(ctx, m); !errors.Is(err, store.ErrMissingParent) {
			t.Fatalf("no parents: %v, want ErrMissingParent", err)
		}
		wantTrue(t)(s.UpsertOrganization(ctx, org("org_1", "one", 0)))
		if _, err := s.UpsertMembership(ctx, m); !errors.Is(err, store.ErrMissingParent) {
			t.Fatalf("no user: %v, want ErrMissingParent", err)
		}
		wantTrue(t)(s.UpsertUser(ctx, user("user_a", 0)))
		wantTrue(t)(s.UpsertMembership(ctx, m)) // the retry
		if got := must(s.ListUserOrganizations(ctx, "user_a"))(t); len(got) != 1 || got[0].ID != "org_1" ||
			got[0].Role != "org:admin" || got[0].MembershipID != "mem_1" || got[0].Slug != "one" {
			t.Fatalf("organizations of user_a = %+v", got)
		}
	})
}

// A user removed from an organization and invited again gets a new
// membership id; the old id's late events must not touch the new row.
func TestMembershipReplacedByNewID(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		// mem_1a's deletion is late; the new membership arrives first.
		wantTrue(t)(s.UpsertMembership(ctx, membership("mem_1a2", "org_1", "user_a", "org:member", 500)))
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_1a", "org_1", "user_a", "org:admin", 100)))
		wantFalse(t)(s.DeleteMembership(ctx, "mem_1a"))
		got := must(s.GetMembership(ctx, "org_1", "user_a"))(t)
		if got.ID != "mem_1a2" || got.Role != "org:member" {
			t.Fatalf("membership = %+v", got)
		}
		wantTrue(t)(s.DeleteMembershipOf(ctx, "org_1", "user_a"))
		wantFalse(t)(s.DeleteMembershipOf(ctx, "org_1", "user_a"))
		wantFalse(t)(s.UpsertMembership(ctx, membership("mem_1a2", "org_1", "user_a", "org:member", 600)))
	})
}

func TestListMembers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		ms := must(s.ListMembers(ctx, "org_1"))(t)
		if len(ms) != 2 || ms[0].ID != "mem_1a" || ms[0].User.Email != "user_a@example.com" || ms[0].Role != "org:admin" ||
			ms[1].User.ID != "user_b" || string(ms[1].User.PublicMetadata) != `{"plan":"free"}` {
			t.Fatalf("members = %+v", ms)
		}
		orgs := must(s.ListUserOrganizations(ctx, "user_a"))(t)
		if len(orgs) != 2 || orgs[0].ID != "org_1" || orgs[0].Role != "org:admin" || orgs[1].ID != "org_2" {
			t.Fatalf("organizations = %+v", orgs)
		}
		if got := must(s.ListMembers(ctx, "org_x"))(t); got != nil {
			t.Fatalf("unknown org members = %+v", got)
		}
	})
}

func TestProjects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		p := must(s.CreateProject(ctx, store.NewProject{Title: "  Roadmap ", Description: "Q3", OwnerID: "user_a", OrganizationID: "org_1"}))(t)
		if p.Title != "Roadmap" || p.OwnerID != "user_a" || p.OrganizationID != "org_1" || p.CreatedAt.IsZero() || len(p.ID) < 10 {
			t.Fatalf("created %+v", p)
		}
		if got := must(s.GetProject(ctx, p.ID))(t); got != p {
			t.Fatalf("GetProject = %+v, want %+v", got, p)
		}
		project(t, s, "user_a", "", "a personal")
		project(t, s, "user_b", "", "b personal")
		project(t, s, "user_b", "org_1", "b in org_1")
		project(t, s, "user_a", "org_2", "a in org_2")

		for _, c := range []struct {
			user, org string
			want      []string
		}{
			{"user_a", "", []string{"a personal"}},
			{"user_a", "org_1", []string{"Roadmap", "a personal", "b in org_1"}},
			{"user_a", "org_2", []string{"a in org_2", "a personal"}},
			{"user_b", "org_1", []string{"Roadmap", "b in org_1", "b personal"}},
			{"user_x", "", nil},
		} {
			if got := titles(must(s.ListProjects(ctx, c.user, c.org))(t)); !slices.Equal(got, c.want) {
				t.Errorf("ListProjects(%s, %q) = %q, want %q", c.user, c.org, got, c.want)
			}
		}
		// Newest first.
		latest := project(t, s, "user_a", "", "latest")
		if got := must(s.ListProjects(ctx, "user_a", ""))(t); got[0].ID != latest.ID && !got[0].CreatedAt.Equal(latest.CreatedAt) {
			t.Fatalf("first listed %+v, want %s", got[0], latest.ID)
		}

		if _, err := s.GetProject(ctx, "proj_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetProject(missing) = %v", err)
		}
		for _, np := range []store.NewProject{
			{Title: " ", OwnerID: "user_a"},
			{Title: "x"},
			{Title: string(make([]byte, store.MaxTitleLen+1)), OwnerID: "user_a"},
			{Title: "bad \xff", OwnerID: "user_a"},
		} {
			if _, err := s.CreateProject(ctx, np); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CreateProject(%+v) = %v, want ErrInvalid", np, err)
			}
		}
		for _, np := range []store.NewProject{
			{Title: "x", OwnerID: "user_x"},
			{Title: "x", OwnerID: "user_a", OrganizationID: "org_x"},
		} {
			if _, err := s.CreateProject(ctx, np); !errors.Is(err, store.ErrMissingParent) {
				t.Errorf("CreateProject(%+v) = %v, want ErrMissingParent", np, err)
			}
		}
	})
}

func TestInvalidArguments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		u := user("user_a", 0)
		u.PublicMetadata = json.RawMessage(`{"plan":`)
		for name, err := range map[string]error{
			"user metadata": second(s.UpsertUser(ctx, u)),
			"user id":       second(s.UpsertUser(ctx, store.User{})),
			"org id":        second(s.UpsertOrganization(ctx, store.Organization{})),
			"membership":    second(s.UpsertMembership(ctx, store.Membership{ID: "mem_1"})),
			"delete":        second(s.DeleteUser(ctx, "")),
		} {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

// Concurrent upserts and one delete of the same user, in any interleaving,
// end with the user deleted: the delete and the upserts serialize on the
// object's lock row.
func TestConcurrentUpsertsAndDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		for round := range 5 {
			id := fmt.Sprintf("user_%d", round)
			var wg sync.WaitGroup
			errs := make(chan error, 21)
			for i := range 20 {
				wg.Go(func() {
					_, err := s.UpsertUser(ctx, user(id, i))
					errs <- err
				})
				if i == 10 {
					wg.Go(func() {
						_, err := s.DeleteUser(ctx, id)
						errs <- err
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.GetUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("round %d: user survived its deletion: %v", round, err)
			}
		}
	})
}

// Concurrent out-of-order upserts leave the newest version.
func TestConcurrentUpsertsNewestWins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				u := user("user_a", (i*7)%30) // a permutation of 0..29
				u.FirstName = fmt.Sprint((i * 7) % 30)
				if _, err := s.UpsertUser(ctx, u); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := must(s.GetUser(ctx, "user_a"))(t); got.FirstName != "29" || !got.UpdatedAt.Equal(at(29)) {
			t.Fatalf("got %s at %v, want 29", got.FirstName, got.UpdatedAt)
		}
	})
}

func TestPruneTombstones(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		seed(t, s)
		wantTrue(t)(s.DeleteUser(ctx, "user_b")) // cascades mem_1b
		// mem_1b's lock row; SQLite writes none (see Tx.lockObject).
		lockRows := int64(1)
		if b.Name == "sqlite" {
			lockRows = 0
		}
		if n := must(s.PruneTombstones(ctx, time.Now().Add(-time.Hour)))(t); n != lockRows {
			t.Fatalf("pruned %d rows, want %d (mem_1b's lock row)", n, lockRows)
		}
		wantFalse(t)(s.UpsertUser(ctx, user("user_b", 1_000))) // tombstone kept
		if n := must(s.PruneTombstones(ctx, time.Now().Add(time.Hour)))(t); n != 1 {
			t.Fatalf("pruned %d rows, want 1 (user_b's tombstone)", n)
		}
		wantTrue(t)(s.UpsertUser(ctx, user("user_b", 1_000))) // a pruned id is new again
	})
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, u := range []string{
		filepath.Join(dir, "plain.db"),
		"file:" + filepath.Join(dir, "uri.db"),
		"file:" + filepath.Join(dir, "uri-params.db") + "?cache=private",
	} {
		s, err := store.Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		var fk int
		if err := s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("Open(%q): foreign_keys = %d, %v", u, fk, err)
		}
		s.Close()
	}
	for _, u := range []string{"mysql://localhost/db", filepath.Join(dir, "what?.db")} {
		if _, err := store.Open(ctx, u); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", u, err)
		}
	}
}

// TestPreparedStatementsBounded shows SQLite's statement cache keyed by
// statement, not by arguments: 200 deliveries of distinct users, one of
// them repeated, prepare the same few statements (PostgreSQL prepares
// none of its own: pgx caches them), and a failed statement changes
// nothing.
func TestPreparedStatementsBounded(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Open(t), t.Context()
		for i := range 200 {
			if _, _, err := s.UpsertUserOnce(ctx, fmt.Sprintf("msg_%d", i), user(fmt.Sprintf("user_%d", i), i+1)); err != nil {
				t.Fatal(err)
			}
		}
		after := store.PreparedStatements(s)
		want := 3 // record the delivery, read the tombstone, upsert
		if b.Name == "postgres" {
			want = 0
		}
		if after != want {
			t.Fatalf("%d prepared statements after 200 deliveries, want %d", after, want)
		}
		if dup, applied, err := s.UpsertUserOnce(ctx, "msg_7", user("user_7", 8)); err != nil || !dup || applied {
			t.Fatalf("redelivery: duplicate %t, applied %t, err %v; want a duplicate", dup, applied, err)
		}
		if n := store.PreparedStatements(s); n != after {
			t.Fatalf("%d prepared statements after a redelivery, want %d", n, after)
		}
	})
}
