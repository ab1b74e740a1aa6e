package users_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/users"
)

// roleFixture is a users.Client on an emulator whose GET responses can be
// held back, and a second Client over the same emulator standing for
// "elsewhere" (the Dashboard, another service): it shares no cache.
type roleFixture struct {
	srv       *emulator.Server
	c         *users.Client
	elsewhere *users.Client
	hold      *bapitest.Hold
}

func newRoleFixture(t *testing.T, opts users.Options) roleFixture {
	t.Helper()
	srv := emulator.NewServer(t)
	err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{
		{ID: "user_a", PublicMetadata: json.RawMessage(`{"role":"admin","plan":"pro"}`)},
		{ID: "user_b", PublicMetadata: json.RawMessage(`{"role":"member"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hold := &bapitest.Hold{Base: srv.HTTPClient().Transport}
	b, err := bapi.NewBackend(bapi.Config{
		SecretKey:  srv.SecretKey(),
		APIURL:     srv.URL(),
		HTTPClient: &http.Client{Transport: hold},
		Retry:      bapi.RetryPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return roleFixture{srv: srv, c: users.New(b, opts), elsewhere: users.New(backendOf(t, srv), users.Options{}), hold: hold}
}

func (f roleFixture) role(t *testing.T, userID string) string {
	t.Helper()
	r, err := f.c.Role(context.Background(), userID)
	if err != nil {
		t.Fatalf("Role(%s): %v", userID, err)
	}
	return r
}

// warm looks the role up once and checks a second lookup is cached.
func (f roleFixture) warm(t *testing.T, userID, want string) {
	t.Helper()
	f.role(t, userID)
	n := f.srv.Calls(routeGet)
	if got := f.role(t, userID); got != want {
		t.Fatalf("Role(%s) = %q, want %q", userID, got, want)
	}
	if f.srv.Calls(routeGet) != n {
		t.Fatal("the second lookup was not cached")
	}
}

func TestRoleCachedAndFreshAfterOwnWrites(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(c *users.Client) error
		want  string
	}{
		{"SetRole", func(c *users.Client) error { return c.SetRole(ctx, "user_a", "member") }, "member"},
		{"SetRole empty", func(c *users.Client) error { return c.SetRole(ctx, "user_a", "") }, ""},
		{"UpdateMetadata", func(c *users.Client) error {
			_, err := c.UpdateMetadata(ctx, "user_a", users.Metadata{Public: metadata.NewPatch().Set("owner", "role")})
			return err
		}, "owner"},
		{"ReplaceMetadata", func(c *users.Client) error {
			_, err := c.ReplaceMetadata(ctx, "user_a", users.Metadata{Public: map[string]any{"role": "viewer"}})
			return err
		}, "viewer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRoleFixture(t, users.Options{})
			f.warm(t, "user_a", "admin")
			f.warm(t, "user_b", "member")
			if err := tc.write(f.c); err != nil {
				t.Fatal(err)
			}
			n := f.srv.Calls(routeGet)
			if got := f.role(t, "user_a"); got != tc.want {
				t.Fatalf("Role right after %s = %q, want %q", tc.name, got, tc.want)
			}
			if f.srv.Calls(routeGet) != n+1 {
				t.Fatal("the write did not drop the cached role")
			}
			// Other users' entries are kept.
			f.role(t, "user_b")
			if f.srv.Calls(routeGet) != n+1 {
				t.Fatal("another user's role was dropped")
			}
		})
	}
}

// Update, ban, lock and their inverses drop the entry too (the user
// changed); Delete makes the next lookup a not-found.
func TestRoleForgottenByEveryUserChange(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t, users.Options{})
	for _, w := range []struct {
		name string
		do   func() error
	}{
		{"Update", func() error {
			_, err := f.c.Update(ctx, "user_a", users.UpdateParams{FirstName: clerk.String("Ann")})
			return err
		}},
		{"Ban", func() error { _, err := f.c.Ban(ctx, "user_a"); return err }},
		{"Unban", func() error { _, err := f.c.Unban(ctx, "user_a"); return err }},
		{"Lock", func() error { _, err := f.c.Lock(ctx, "user_a"); return err }},
		{"Unlock", func() error { _, err := f.c.Unlock(ctx, "user_a"); return err }},
	} {
		f.warm(t, "user_a", "admin")
		if err := w.do(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		n := f.srv.Calls(routeGet)
		f.role(t, "user_a")
		if f.srv.Calls(routeGet) != n+1 {
			t.Fatalf("%s did not drop the cached role", w.name)
		}
	}
	f.warm(t, "user_a", "admin")
	if err := f.c.Delete(ctx, "user_a"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Role(ctx, "user_a"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("Role of a deleted user: %v, want ErrNotFound (not the cached role)", err)
	}
}

// A change made elsewhere is not seen until Forget (or the TTL); then it
// is, at once.
func TestRoleChangedElsewhereSeenAfterForget(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t, users.Options{})
	f.warm(t, "user_a", "admin")
	if err := f.elsewhere.SetRole(ctx, "user_a", "member"); err != nil {
		t.Fatal(err)
	}
	if got := f.role(t, "user_a"); got != "admin" {
		t.Fatalf("Role = %q: the cache should still hold the role from before the change elsewhere", got)
	}
	f.c.Forget("user_b") // another user: no effect on user_a
	if got := f.role(t, "user_a"); got != "admin" {
		t.Fatalf("Forget(user_b) dropped user_a: %q", got)
	}
	f.c.Forget("user_a")
	if got := f.role(t, "user_a"); got != "member" {
		t.Fatalf("Role after Forget = %q, want member", got)
	}
	f.c.Forget("user_nobody") // unknown users are fine
}

func TestRoleCacheTTL(t *testing.T) {
	ctx := context.Background()
	clk := bapitest.NewClock(time.Unix(1_700_000_000, 0))
	f := newRoleFixture(t, users.Options{RoleCacheTTL: 5 * time.Second, Now: clk.Now})
	f.warm(t, "user_a", "admin")
	if err := f.elsewhere.SetRole(ctx, "user_a", "member"); err != nil {
		t.Fatal(err)
	}
	clk.Add(4 * time.Second)
	if got := f.role(t, "user_a"); got != "admin" {
		t.Fatalf("expired early: %q", got)
	}
	clk.Add(time.Second)
	if got := f.role(t, "user_a"); got != "member" {
		t.Fatalf("not expired after the TTL: %q", got)
	}

	// The default TTL is 30s.
	clk2 := bapitest.NewClock(time.Unix(1_700_000_000, 0))
	g := newRoleFixture(t, users.Options{Now: clk2.Now})
	g.warm(t, "user_b", "member")
	if err := g.elsewhere.SetRole(ctx, "user_b", "admin"); err != nil {
		t.Fatal(err)
	}
	clk2.Add(users.DefaultRoleCacheTTL - time.Millisecond)
	if got := g.role(t, "user_b"); got != "member" {
		t.Fatalf("default TTL shorter than %v: %q", users.DefaultRoleCacheTTL, got)
	}
	clk2.Add(time.Millisecond)
	if got := g.role(t, "user_b"); got != "admin" {
		t.Fatalf("default TTL longer than %v: %q", users.DefaultRoleCacheTTL, got)
	}
}

func TestRoleCacheDisabled(t *testing.T) {
	f := newRoleFixture(t, users.Options{DisableRoleCache: true})
	f.role(t, "user_a")
	f.role(t, "user_a")
	if n := f.srv.Calls(routeGet); n != 2 {
		t.Fatalf("%d calls, want 2 with the cache off", n)
	}
}

// A lookup in flight while the role changes and the entry is forgotten
// answers its own caller with what it read, but does not put that stale
// value in the cache: the next lookup is fresh.
func TestRoleLookupInFlightDuringForgetNotCached(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f roleFixture) error
	}{
		{"changed elsewhere, then Forget", func(f roleFixture) error {
			if err := f.elsewhere.SetRole(context.Background(), "user_a", "member"); err != nil {
				return err
			}
			f.c.Forget("user_a")
			return nil
		}},
		{"SetRole through the Client", func(f roleFixture) error {
			return f.c.SetRole(context.Background(), "user_a", "member")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRoleFixture(t, users.Options{})
			held := f.hold.Arm(bapitest.Route(http.MethodGet, "/v1/users/user_a"))
			stale := make(chan string, 1)
			go func() {
				r, _ := f.c.Role(context.Background(), "user_a")
				stale <- r
			}()
			<-held.Answered() // the emulator answered "admin"; the answer is held
			if err := tc.change(f); err != nil {
				t.Fatal(err)
			}
			held.Release()
			if got := <-stale; got != "admin" {
				t.Fatalf("the in-flight lookup got %q, want what it read (admin)", got)
			}
			n := f.srv.Calls(routeGet)
			if got := f.role(t, "user_a"); got != "member" {
				t.Fatalf("Role after the change = %q: the stale in-flight answer was cached", got)
			}
			if f.srv.Calls(routeGet) != n+1 {
				t.Fatal("no fresh lookup")
			}
			// The fresh answer is cached in turn.
			if got := f.role(t, "user_a"); got != "member" || f.srv.Calls(routeGet) != n+1 {
				t.Fatalf("fresh answer not cached: %q", got)
			}
		})
	}
}

func TestForgetDropsCurrentToo(t *testing.T) {
	f := newRoleFixture(t, users.Options{CurrentCacheTTL: time.Minute})
	ctx := sessionContext(t, f.srv, "user_a")
	if _, err := f.c.Current(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.elsewhere.Update(context.Background(), "user_a", users.UpdateParams{FirstName: clerk.String("Zed")}); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.c.Current(ctx); u.FirstName != nil && *u.FirstName == "Zed" {
		t.Fatal("Current not cached")
	}
	f.c.Forget("user_a")
	if u, err := f.c.Current(ctx); err != nil || u.FirstName == nil || *u.FirstName != "Zed" {
		t.Fatalf("Current after Forget: %v %v", u, err)
	}
}

func TestDeleteCallsOnDelete(t *testing.T) {
	var got []string
	f := newRoleFixture(t, users.Options{OnDelete: func(id string) { got = append(got, id) }})
	ctx := context.Background()
	if err := f.c.Delete(ctx, "user_b"); err != nil {
		t.Fatal(err)
	}
	// A failed delete may still have happened: the hook runs too.
	if err := f.c.Delete(ctx, "user_b"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatal(err)
	}
	// Invalid input makes no call and changes nothing: no hook.
	if err := f.c.Delete(ctx, "../x"); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "user_b" || got[1] != "user_b" {
		t.Fatalf("OnDelete calls %v", got)
	}
}
