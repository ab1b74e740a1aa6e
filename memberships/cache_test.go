package memberships_test

import (
	"context"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/memberships"
	"github.com/clerkkit/clerkkit/metadata"
)

// cacheFixture is a clerkkit.Client on the emulator whose responses can be
// held back, and a second Client standing for "elsewhere" (the Dashboard,
// another service), which shares no cache with it.
type cacheFixture struct {
	srv       *emulator.Server
	c         *clerkkit.Client
	elsewhere *clerkkit.Client
	v         *auth.Verifier
	hold      *bapitest.Hold
}

func newCacheFixture(t *testing.T) cacheFixture {
	t.Helper()
	srv, elsewhere, v := emulated(t, acmeSeed())
	hold := &bapitest.Hold{Base: srv.HTTPClient().Transport}
	c, err := clerkkit.New(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL(), HTTPClient: &http.Client{Transport: hold}})
	if err != nil {
		t.Fatal(err)
	}
	return cacheFixture{srv: srv, c: c, elsewhere: elsewhere, v: v, hold: hold}
}

// ctx is userID signed in with no active organization: every check on an
// organization goes to the Backend API (through the cache).
func (f cacheFixture) ctx(t *testing.T, userID string) context.Context {
	t.Helper()
	return signedIn(t, f.srv, f.v, userID, "")
}

// check runs the Require check and returns whether it allowed, failing on
// anything but an answer.
func check(t *testing.T, f func(context.Context, string) error, ctx context.Context, orgID string) bool {
	t.Helper()
	err := f(ctx, orgID)
	if err != nil && !errors.Is(err, clerkerr.ErrForbidden) {
		t.Fatalf("check on %s: %v", orgID, err)
	}
	return err == nil
}

// expect checks the answer and whether it took a Backend API call.
func (f cacheFixture) expect(t *testing.T, what string, allowed bool, call bool, run func() bool) {
	t.Helper()
	n := f.srv.Calls(routeMembers)
	if got := run(); got != allowed {
		t.Fatalf("%s: allowed = %v, want %v", what, got, allowed)
	}
	if made := f.srv.Calls(routeMembers) != n; made != call {
		t.Fatalf("%s: Backend API call made = %v, want %v", what, made, call)
	}
}

func TestMembershipCacheOwnWritesSeenAtOnce(t *testing.T) {
	f := newCacheFixture(t)
	m := f.c.Memberships
	ctx := f.ctx(t, "user_mem")
	bg := context.Background()
	member := func(org string) func() bool { return func() bool { return check(t, m.RequireOrgMember, ctx, org) } }
	admin := func(org string) func() bool { return func() bool { return check(t, m.RequireOrgAdmin, ctx, org) } }

	f.expect(t, "cold member check", true, true, member("org_acme"))
	f.expect(t, "warm admin check", false, false, admin("org_acme"))

	if _, err := m.UpdateRole(bg, "org_acme", "user_mem", "admin"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "admin check right after UpdateRole", true, true, admin("org_acme"))
	f.expect(t, "then cached", true, false, admin("org_acme"))

	if _, err := m.UpdateMetadata(bg, "org_acme", "user_mem", memberships.Metadata{Public: metadata.NewPatch().Set(1, "seat")}); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "check after UpdateMetadata", true, true, admin("org_acme"))

	if err := m.Remove(bg, "org_acme", "user_mem"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "member check right after Remove", false, true, member("org_acme"))

	f.expect(t, "cold check on beta", false, true, member("org_beta"))
	if _, err := m.Add(bg, "org_beta", "user_mem", "member"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "member check right after Add", true, true, member("org_beta"))
}

// A change made elsewhere stays cached until a Forget hook is called; the
// hooks drop exactly what they name.
func TestMembershipChangedElsewhereSeenAfterForget(t *testing.T) {
	f := newCacheFixture(t)
	m := f.c.Memberships
	bg := context.Background()
	mem, ed := f.ctx(t, "user_mem"), f.ctx(t, "user_ed")
	adminMem := func() bool { return check(t, m.RequireOrgAdmin, mem, "org_acme") }
	memberEd := func() bool { return check(t, m.RequireOrgMember, ed, "org_acme") }
	f.expect(t, "cold", false, true, adminMem)
	f.expect(t, "cold ed", true, true, memberEd)

	changed, err := f.elsewhere.Memberships.UpdateRole(bg, "org_acme", "user_mem", "admin")
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, "changed elsewhere, still cached", false, false, adminMem)
	m.Forget("org_beta", "user_mem")
	m.Forget("org_acme", "user_ed")
	f.expect(t, "other pairs forgotten: still cached", false, false, adminMem)
	m.Forget("org_acme", "user_mem")
	f.expect(t, "after Forget", true, true, adminMem)

	// ForgetMembership takes the webhook's membership object.
	if _, err := f.elsewhere.Memberships.UpdateRole(bg, "org_acme", "user_mem", "member"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "changed back elsewhere, cached", true, false, adminMem)
	m.ForgetMembership(changed)
	f.expect(t, "after ForgetMembership", false, true, adminMem)
	m.ForgetMembership(nil) // harmless

	// ForgetUser drops the user's entries in every organization, only hers.
	f.expect(t, "warm ed", true, true, memberEd)
	if err := f.elsewhere.Memberships.Remove(bg, "org_acme", "user_ed"); err != nil {
		t.Fatal(err)
	}
	m.ForgetUser("user_mem")
	f.expect(t, "ForgetUser(user_mem) kept ed's", true, false, memberEd)
	m.ForgetUser("user_ed")
	f.expect(t, "after ForgetUser(user_ed)", false, true, memberEd)

	// ForgetOrganization drops every entry of the organization.
	if _, err := f.elsewhere.Memberships.Add(bg, "org_acme", "user_ed", "admin"); err != nil {
		t.Fatal(err)
	}
	m.ForgetOrganization("org_beta")
	f.expect(t, "ForgetOrganization(beta) kept acme's", false, false, memberEd)
	m.ForgetOrganization("org_acme")
	f.expect(t, "after ForgetOrganization(acme)", true, true, memberEd)

	// clerkkit.Client.ForgetUser drops the memberships too.
	if err := f.elsewhere.Memberships.Remove(bg, "org_acme", "user_ed"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "removed elsewhere, cached", true, false, memberEd)
	f.c.ForgetUser("user_ed")
	f.expect(t, "after Client.ForgetUser", false, true, memberEd)
}

// Deleting a user or an organization through the same clerkkit.Client
// drops their cached memberships.
func TestMembershipCacheDroppedByDeletes(t *testing.T) {
	f := newCacheFixture(t)
	m := f.c.Memberships
	bg := context.Background()
	ed, mem := f.ctx(t, "user_ed"), f.ctx(t, "user_mem")
	f.expect(t, "cold ed", true, true, func() bool { return check(t, m.RequireOrgMember, ed, "org_acme") })
	f.expect(t, "cold mem", true, true, func() bool { return check(t, m.RequireOrgMember, mem, "org_acme") })

	if err := f.c.Users.Delete(bg, "user_ed"); err != nil {
		t.Fatal(err)
	}
	// The token is still valid for a while; the membership is gone at once.
	f.expect(t, "deleted user", false, true, func() bool { return check(t, m.RequireOrgMember, ed, "org_acme") })
	f.expect(t, "other user kept", true, false, func() bool { return check(t, m.RequireOrgMember, mem, "org_acme") })

	if err := f.c.Organizations.Delete(bg, "org_acme"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, "deleted organization", false, true, func() bool { return check(t, m.RequireOrgMember, mem, "org_acme") })
}

// A lookup in flight while the membership changes and is forgotten answers
// its caller with what it read, but does not cache it.
func TestMembershipLookupInFlightDuringForgetNotCached(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f cacheFixture) error
	}{
		{"changed elsewhere, then Forget", func(f cacheFixture) error {
			_, err := f.elsewhere.Memberships.UpdateRole(context.Background(), "org_acme", "user_mem", "admin")
			f.c.Memberships.Forget("org_acme", "user_mem")
			return err
		}},
		{"UpdateRole through the Client", func(f cacheFixture) error {
			_, err := f.c.Memberships.UpdateRole(context.Background(), "org_acme", "user_mem", "admin")
			return err
		}},
		{"changed elsewhere, then ForgetUser", func(f cacheFixture) error {
			_, err := f.elsewhere.Memberships.UpdateRole(context.Background(), "org_acme", "user_mem", "admin")
			f.c.Memberships.ForgetUser("user_mem")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCacheFixture(t)
			m := f.c.Memberships
			ctx := f.ctx(t, "user_mem")
			held := f.hold.Arm(bapitest.Route(http.MethodGet, "/v1/organizations/org_acme/memberships"))
			stale := make(chan error, 1)
			go func() { stale <- m.RequireOrgAdmin(ctx, "org_acme") }()
			<-held.Answered() // the emulator answered "org:member"; the answer is held
			if err := tc.change(f); err != nil {
				t.Fatal(err)
			}
			held.Release()
			if err := <-stale; !errors.Is(err, clerkerr.ErrForbidden) {
				t.Fatalf("the in-flight check: %v, want what it read (forbidden)", err)
			}
			f.expect(t, "check after the change", true, true, func() bool { return check(t, m.RequireOrgAdmin, ctx, "org_acme") })
			f.expect(t, "fresh answer cached", true, false, func() bool { return check(t, m.RequireOrgAdmin, ctx, "org_acme") })
		})
	}
}
