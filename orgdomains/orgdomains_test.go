package orgdomains_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/orgdomains"
)

const org = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk"

func TestPages(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/organizations/{id}/domains", bapitest.Pages("data", 700, func(i int) any { return map[string]any{"id": fmt.Sprintf("orgdmn_%d", i)} }))
	c := orgdomains.New(srv.Backend(), orgdomains.Options{})
	n := 0
	for d, err := range c.All(context.Background(), org, orgdomains.ListParams{EnrollmentModes: []string{"-enterprise_sso"}}) {
		if err != nil || d.ID != fmt.Sprintf("orgdmn_%d", n) {
			t.Fatalf("%d: %v %+v", n, err, d)
		}
		n++
	}
	if q := srv.Last().Query; n != 700 || srv.Calls() != 2 || q.Get("enrollment_mode") != "-enterprise_sso" || q.Get("offset") != "500" || srv.Last().Path != "/v1/organizations/"+org+"/domains" {
		t.Fatalf("%d domains over %d calls, last %+v", n, srv.Calls(), srv.Last())
	}
}

func TestInvalidInputMakesNoCall(t *testing.T) {
	srv := emulator.NewServer(t)
	cl, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	c := cl.OrgDomains
	ctx := context.Background()
	nope := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for _, id := range []string{"", "org_", "user_1", "org_1/x", "org_1?x", "acme"} {
		_, err := c.Create(ctx, id, orgdomains.CreateParams{Name: "acme.com"})
		nope("Create "+id, err)
		_, err = c.Update(ctx, id, "orgdmn_1", orgdomains.UpdateParams{})
		nope("Update "+id, err)
		nope("Delete "+id, c.Delete(ctx, id, "orgdmn_1"))
		_, err = c.List(ctx, id, orgdomains.ListParams{})
		nope("List "+id, err)
		for _, err := range c.All(ctx, id, orgdomains.ListParams{}) {
			nope("All "+id, err)
		}
	}
	for _, id := range []string{"", "orgdmn_1/x", "..", "a b"} {
		_, err := c.Update(ctx, org, id, orgdomains.UpdateParams{})
		nope("Update domain "+id, err)
		nope("Delete domain "+id, c.Delete(ctx, org, id))
	}
	for _, name := range []string{"", " ", "acme", "acme..com", "-acme.com", "acme-.com", "ac me.com", "acme.com/x", "a@acme.com", ".acme.com"} {
		_, err := c.Create(ctx, org, orgdomains.CreateParams{Name: name})
		nope("Create name "+name, err)
	}
	_, err = c.Create(ctx, org, orgdomains.CreateParams{Name: "acme.com", EnrollmentMode: "enterprise_sso"})
	nope("Create enterprise_sso", err)
	_, err = c.Update(ctx, org, "orgdmn_1", orgdomains.UpdateParams{EnrollmentMode: "automatic"})
	nope("Update mode", err)
	for name, p := range map[string]orgdomains.ListParams{
		"mode":   {EnrollmentModes: []string{"automatic"}},
		"--mode": {EnrollmentModes: []string{"--manual_invitation"}},
		"limit":  {Limit: 501},
		"offset": {Offset: -1},
	} {
		_, err := c.List(ctx, org, p)
		nope("List "+name, err)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d requests reached the emulator", n)
	}
}

func TestEmulatorLifecycle(t *testing.T) {
	srv := emulator.NewServer(t)
	if err := srv.Seed(emulator.SeedData{Organizations: []emulator.SeedOrganization{{ID: org, Name: "Acme"}}}); err != nil {
		t.Fatal(err)
	}
	cl, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := cl.OrgDomains
	ctx := context.Background()
	no := false
	d, err := c.Create(ctx, org, orgdomains.CreateParams{Name: "acme.com", Verified: &no})
	if err != nil || d.Name != "acme.com" || d.OrganizationID != org || d.EnrollmentMode != orgdomains.ManualInvitation {
		t.Fatalf("create: %v %+v", err, d)
	}
	// Automatic enrollment needs a verified domain: the API says so.
	_, err = c.Update(ctx, org, d.ID, orgdomains.UpdateParams{EnrollmentMode: orgdomains.AutomaticInvitation})
	if !errors.Is(err, clerkerr.ErrValidation) {
		t.Fatalf("automatic on an unverified domain: %v", err)
	}
	yes := true
	if d, err = c.Update(ctx, org, d.ID, orgdomains.UpdateParams{EnrollmentMode: orgdomains.AutomaticSuggestion, Verified: &yes}); err != nil || d.EnrollmentMode != orgdomains.AutomaticSuggestion {
		t.Fatalf("update: %v %+v", err, d)
	}
	for i := range 4 {
		if _, err := c.Create(ctx, org, orgdomains.CreateParams{Name: fmt.Sprintf("acme%d.com", i), Verified: &no}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, err := range c.All(ctx, org, orgdomains.ListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	verified, err := c.List(ctx, org, orgdomains.ListParams{Verified: &yes})
	if n != 5 || err != nil || verified.TotalCount != 1 || verified.OrganizationDomains[0].ID != d.ID {
		t.Fatalf("%d domains; verified: %v %+v", n, err, verified)
	}
	manual, err := c.List(ctx, org, orgdomains.ListParams{EnrollmentModes: []string{"-automatic_suggestion"}})
	if err != nil || manual.TotalCount != 4 {
		t.Fatalf("excluding automatic_suggestion: %v %+v", err, manual)
	}
	if err := c.Delete(ctx, org, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, org, d.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := c.Create(ctx, "org_missing", orgdomains.CreateParams{Name: "x.com"}); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("unknown organization: %v", err)
	}
}
