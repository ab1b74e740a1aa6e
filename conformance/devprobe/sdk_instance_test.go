package devprobe_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/domain"
	"github.com/clerk/clerk-sdk-go/v2/oauthapplication"
)

// TestClerkSDKGoInstanceScenario is TestClerkSDKGoScenario for the
// instance's own configuration: satellite domains and OAuth applications,
// through clerk-sdk-go v2.4.2's client packages against the built
// `clerkkit dev`.
func TestClerkSDKGoInstanceScenario(t *testing.T) {
	env := devEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(env["CLERK_API_URL"] + "/v1"), Key: clerk.String(env["CLERK_SECRET_KEY"]), HTTPClient: httpClient(t),
	}}

	t.Run("domains", func(t *testing.T) {
		domains := domain.NewClient(cfg)
		l, err := domains.List(ctx, &domain.ListParams{})
		must(t, err)
		check(t, l.TotalCount == 1 && len(l.Domains) == 1 && !l.Domains[0].IsSatellite && l.Domains[0].FrontendAPIURL != "", "primary domain %+v", l)
		d, err := domains.Create(ctx, &domain.CreateParams{Name: clerk.String("satellite.example.com"), IsSatellite: clerk.Bool(true)})
		must(t, err)
		check(t, d.ID != "" && d.Name == "satellite.example.com" && d.IsSatellite && d.FrontendAPIURL != "", "created %+v", d)
		u, err := domains.Update(ctx, d.ID, &domain.UpdateParams{Name: clerk.String("sat2.example.com")})
		must(t, err)
		check(t, u.ID == d.ID && u.Name == "sat2.example.com", "updated %+v", u)
		l, err = domains.List(ctx, &domain.ListParams{})
		must(t, err)
		check(t, l.TotalCount == 2 && slices.ContainsFunc(l.Domains, func(x *clerk.Domain) bool { return x.ID == d.ID && x.Name == "sat2.example.com" }),
			"list %+v", l)
		del, err := domains.Delete(ctx, d.ID)
		must(t, err)
		check(t, del.ID == d.ID && del.Deleted, "deleted %+v", del)
		_, err = domains.Delete(ctx, l.Domains[0].ID)
		check(t, err != nil, "the primary domain was deleted")
	})

	t.Run("OAuth applications", func(t *testing.T) {
		apps := oauthapplication.NewClient(cfg)
		a, err := apps.Create(ctx, &oauthapplication.CreateParams{Name: "Partner", CallbackURL: "https://partner.example/cb",
			Scopes: "profile email"})
		must(t, err)
		check(t, strings.HasPrefix(a.ID, "oa_") && a.Name == "Partner" && a.ClientID != "" && !a.Public && a.Scopes == "profile email" &&
			a.CallbackURL == "https://partner.example/cb" && a.ClientSecret != nil && *a.ClientSecret != "" &&
			a.AuthorizeURL != "" && a.TokenFetchURL != "", "created %+v", a)
		g, err := apps.Get(ctx, a.ID)
		must(t, err)
		check(t, g.ClientID == a.ClientID && (g.ClientSecret == nil || *g.ClientSecret == ""), "got %+v", g)
		u, err := apps.Update(ctx, a.ID, &oauthapplication.UpdateParams{Name: clerk.String("Partner 2"), Scopes: clerk.String("profile")})
		must(t, err)
		check(t, u.Name == "Partner 2" && u.Scopes == "profile", "updated %+v", u)
		l, err := apps.List(ctx, &oauthapplication.ListParams{})
		must(t, err)
		check(t, l.TotalCount == 1 && l.OAuthApplications[0].ID == a.ID, "list %+v", l)
		r, err := apps.RotateClientSecret(ctx, a.ID)
		must(t, err)
		check(t, r.ClientSecret != nil && *r.ClientSecret != "" && *r.ClientSecret != *a.ClientSecret, "rotated secret")
		d, err := apps.DeleteOAuthApplication(ctx, a.ID)
		must(t, err)
		check(t, d.ID == a.ID && d.Deleted, "deleted %+v", d)
		_, err = apps.Get(ctx, a.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
	})
}
