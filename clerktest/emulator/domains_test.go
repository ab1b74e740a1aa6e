package emulator_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/domain"

	"github.com/clerkkit/clerkkit/clerktest"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// TestDomainsSDK adds, lists, changes and deletes satellite domains with
// clerk-sdk-go's domain client; the primary domain cannot be deleted nor
// renamed.
func TestDomainsSDK(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	dc := domain.NewClient(sdkConfig(srv))

	list, err := dc.List(ctx, &domain.ListParams{})
	if err != nil || list.TotalCount != 1 || len(list.Domains) != 1 || list.Domains[0].IsSatellite {
		t.Fatalf("list: %+v, %v", list, err)
	}
	primary := list.Domains[0]
	if primary.ID != srv.Issuer().DomainID() || primary.FrontendAPIURL != srv.Issuer().IssuerURL() {
		t.Fatalf("primary: %+v", primary)
	}

	sat, err := dc.Create(ctx, &domain.CreateParams{Name: clerk.String("Sat.Example.com"), IsSatellite: clerk.Bool(true)})
	if err != nil || sat.Name != "sat.example.com" || !sat.IsSatellite || sat.AccountPortalURL != nil ||
		sat.FrontendAPIURL != srv.Issuer().IssuerURL() {
		t.Fatalf("create: %+v, %v", sat, err)
	}
	local, err := dc.Create(ctx, &domain.CreateParams{Name: clerk.String("localhost:3001"), IsSatellite: clerk.Bool(true)})
	if err != nil || local.Name != "localhost:3001" {
		t.Fatalf("create with a port on a development instance: %+v, %v", local, err)
	}
	list, err = dc.List(ctx, &domain.ListParams{})
	if err != nil || list.TotalCount != 3 || list.Domains[0].ID != primary.ID || list.Domains[1].ID != sat.ID || list.Domains[2].ID != local.ID {
		t.Fatalf("list after create: %+v, %v", list, err)
	}

	for name, p := range map[string]*domain.CreateParams{
		"taken":             {Name: clerk.String("sat.example.com"), IsSatellite: clerk.Bool(true)},
		"the primary's":     {Name: clerk.String(primary.Name), IsSatellite: clerk.Bool(true)},
		"scheme":            {Name: clerk.String("https://a.example.com"), IsSatellite: clerk.Bool(true)},
		"path":              {Name: clerk.String("a.example.com/x"), IsSatellite: clerk.Bool(true)},
		"not a satellite":   {Name: clerk.String("b.example.com"), IsSatellite: clerk.Bool(false)},
		"no name":           {IsSatellite: clerk.Bool(true)},
		"no is_satellite":   {Name: clerk.String("b.example.com")},
		"proxy_url on dev":  {Name: clerk.String("b.example.com"), IsSatellite: clerk.Bool(true), ProxyURL: clerk.String("https://b.example.com/__clerk")},
		"empty name":        {Name: clerk.String(""), IsSatellite: clerk.Bool(true)},
		"invalid host name": {Name: clerk.String("-x-.example.com"), IsSatellite: clerk.Bool(true)},
	} {
		_, err := dc.Create(ctx, p)
		code := map[string]string{"taken": "form_identifier_exists", "the primary's": "form_identifier_exists",
			"not a satellite": "form_param_value_invalid", "no name": "form_param_missing", "no is_satellite": "form_param_missing",
			"proxy_url on dev": "form_param_value_invalid", "empty name": "form_param_missing"}[name]
		if code == "" {
			code = "form_param_format_invalid"
		}
		t.Run(name, func(t *testing.T) { sdkError(t, err, http.StatusUnprocessableEntity, code) })
	}

	upd, err := dc.Update(ctx, sat.ID, &domain.UpdateParams{Name: clerk.String("sat2.example.com"), IsSecondary: clerk.Bool(true)})
	if err != nil || upd.Name != "sat2.example.com" || upd.ID != sat.ID {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	_, err = dc.Update(ctx, sat.ID, &domain.UpdateParams{Name: clerk.String("localhost:3001")})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	_, err = dc.Update(ctx, "dmn_missing", &domain.UpdateParams{Name: clerk.String("x.example.com")})
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = dc.Update(ctx, primary.ID, &domain.UpdateParams{Name: clerk.String("other.example.com")})
	sdkError(t, err, http.StatusBadRequest, "operation_not_allowed")
	p2, err := dc.Update(ctx, primary.ID, &domain.UpdateParams{IsSecondary: clerk.Bool(false)})
	if err != nil || p2.ID != primary.ID || p2.Name != primary.Name {
		t.Fatalf("update primary: %+v, %v", p2, err)
	}

	_, err = dc.Delete(ctx, primary.ID)
	sdkError(t, err, http.StatusForbidden, "operation_not_allowed")
	del, err := dc.Delete(ctx, sat.ID)
	if err != nil || !del.Deleted || del.ID != sat.ID || del.Object != "domain" {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = dc.Delete(ctx, sat.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	list, err = dc.List(ctx, &domain.ListParams{})
	if err != nil || list.TotalCount != 2 || list.Domains[1].ID != local.ID {
		t.Fatalf("list after delete: %+v, %v", list, err)
	}
	if got := srv.Calls("GET /v1/domains"); got != 3 {
		t.Fatalf("Calls(GET /v1/domains) = %d, want 3", got)
	}
}

// TestDomainsProduction: production satellites need a fully qualified
// name and may have an https proxy URL, and have a Frontend API of their
// own; the primary's proxy URL can be set.
func TestDomainsProduction(t *testing.T) {
	a := newAPI(t, emulator.Options{SecretKey: "sk_live_" + "0123456789abcdefghijklmnopqrstuvwxyz", FrontendAPI: "clerk.example.com"})
	d := a.ok("POST", "/v1/domains", map[string]any{"name": "shop.example.org", "is_satellite": true, "proxy_url": "https://shop.example.org/__clerk"})
	if d["frontend_api_url"] != "https://clerk.shop.example.org" || d["proxy_url"] != "https://shop.example.org/__clerk" {
		t.Fatalf("create: %v", d)
	}
	for _, body := range []map[string]any{
		{"name": "localhost:3000", "is_satellite": true},
		{"name": "intranet", "is_satellite": true},
		{"name": "x.example.org", "is_satellite": true, "proxy_url": "http://x.example.org/__clerk"},
	} {
		if status, out := a.do("POST", "/v1/domains", body); status != http.StatusUnprocessableEntity {
			t.Fatalf("POST %v: %d %s", body, status, out)
		}
	}
	if status, out := a.do("POST", "/v1/domains", map[string]any{"name": "y.example.org", "is_satellite": true, "is_secondary": true}); status != http.StatusUnprocessableEntity {
		t.Fatalf("is_secondary on POST: %d %s", status, out)
	}
	if status, out := a.do("PATCH", "/v1/domains/"+d["id"].(string), map[string]any{"is_satellite": true}); status != http.StatusUnprocessableEntity {
		t.Fatalf("is_satellite on PATCH: %d %s", status, out)
	}
	if status, out := a.do("POST", "/v1/domains", "{"); status != http.StatusBadRequest {
		t.Fatalf("malformed: %d %s", status, out)
	}
	p := a.ok("PATCH", "/v1/domains/"+a.srv.Issuer().DomainID(), map[string]any{"proxy_url": "https://example.com/__clerk"})
	if p["proxy_url"] != "https://example.com/__clerk" {
		t.Fatalf("primary proxy: %v", p)
	}
	list := a.ok("GET", "/v1/domains", nil)
	data := list["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["proxy_url"] != "https://example.com/__clerk" {
		t.Fatalf("list: %v", list)
	}
	u := a.ok("PATCH", "/v1/domains/"+d["id"].(string), map[string]any{"proxy_url": nil})
	if u["proxy_url"] != nil {
		t.Fatalf("clear proxy: %v", u)
	}
}

// TestDomainsFaults: GET /v1/domains keeps the Issuer's fault injection
// and fetch counts.
func TestDomainsFaults(t *testing.T) {
	a := newAPI(t)
	a.ok("POST", "/v1/domains", map[string]any{"name": "sat.example.com", "is_satellite": true})
	a.srv.Issuer().InjectFault(clerktest.Fault{Route: "GET /v1/domains", Kind: clerktest.FaultEmptySet, Times: 1})
	if l := a.ok("GET", "/v1/domains", nil); l["total_count"] != float64(0) {
		t.Fatalf("empty set: %v", l)
	}
	a.srv.Issuer().InjectFault(clerktest.Fault{Route: "GET /v1/domains", Status: http.StatusServiceUnavailable, Times: 1})
	if status, out := a.do("GET", "/v1/domains", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("fault: %d %s", status, out)
	}
	if l := a.ok("GET", "/v1/domains", nil); l["total_count"] != float64(2) {
		t.Fatalf("after the faults: %v", l)
	}
	if n := a.srv.Issuer().DomainsFetches(); n != 3 {
		t.Fatalf("DomainsFetches = %d, want 3", n)
	}
	if status, _ := a.doAuth("GET", "/v1/domains", nil, "Bearer sk_test_wrong"); status != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", status)
	}
}
