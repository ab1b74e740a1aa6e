package organizations_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/organizations"
)

func emulated(t *testing.T) (*emulator.Server, *clerkkit.Client) {
	t.Helper()
	srv := emulator.NewServer(t)
	c, err := clerkkit.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestEmulatorCreateGetUpdateDelete(t *testing.T) {
	srv, c := emulated(t)
	if err := srv.Seed(emulator.SeedData{Users: []emulator.SeedUser{{ID: "user_owner", EmailAddresses: []string{"owner@example.com"}}}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	org, err := c.Organizations.Create(ctx, organizations.CreateParams{
		Name: "Acme", Slug: "acme", CreatedBy: "user_owner",
		PublicMetadata: map[string]any{"plan": "pro"}, PrivateMetadata: map[string]any{"billing": map[string]any{"id": "cus_1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != "Acme" || org.Slug != "acme" || bapitest.Normalized(t, org.PublicMetadata) != `{"plan":"pro"}` {
		t.Fatalf("%+v", org)
	}
	// The creator is its first admin.
	m, err := c.Memberships.Get(ctx, org.ID, "user_owner")
	if err != nil || m.Role != "org:admin" {
		t.Fatalf("creator membership %v, %v", m, err)
	}
	for _, key := range []string{org.ID, "acme"} {
		got, err := c.Organizations.Get(ctx, key)
		if err != nil || got.ID != org.ID {
			t.Fatalf("Get(%q) = %v, %v", key, got, err)
		}
	}
	_, err = c.Organizations.Create(ctx, organizations.CreateParams{Name: "Other", Slug: "acme"})
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Code() == "" {
		t.Fatalf("duplicate slug: %v", err)
	}
	org, err = c.Organizations.Update(ctx, org.ID, organizations.UpdateParams{Name: clerk.String("Acme Inc"), MaxAllowedMemberships: clerk.Int64(50)})
	if err != nil || org.Name != "Acme Inc" || org.MaxAllowedMemberships != 50 {
		t.Fatalf("Update = %+v, %v", org, err)
	}
	if err := c.Organizations.Delete(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Organizations.Get(ctx, org.ID); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestEmulatorMetadata(t *testing.T) {
	srv, c := emulated(t)
	err := srv.Seed(emulator.SeedData{Organizations: []emulator.SeedOrganization{{
		ID: "org_md", Name: "MD",
		PublicMetadata:  json.RawMessage(`{"limits":{"seats":5,"projects":{"max":3,"used":1}},"tier":"pro"}`),
		PrivateMetadata: json.RawMessage(`{"crm":"x"}`),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	org, err := c.Organizations.UpdateMetadata(ctx, "org_md", organizations.Metadata{
		Public: metadata.NewPatch().Set(10, "limits", "projects", "max").Remove("limits", "seats"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := bapitest.Normalized(t, org.PublicMetadata); got != `{"limits":{"projects":{"max":10,"used":1}},"tier":"pro"}` {
		t.Fatalf("merged %s", got)
	}
	if bapitest.Normalized(t, org.PrivateMetadata) != `{"crm":"x"}` {
		t.Fatalf("private changed: %s", org.PrivateMetadata)
	}
	org, err = c.Organizations.ReplaceMetadata(ctx, "org_md", organizations.Metadata{Private: map[string]any{}})
	if err != nil || bapitest.Normalized(t, org.PrivateMetadata) != `{}` || bapitest.Normalized(t, org.PublicMetadata) == `{}` {
		t.Fatalf("replace: %+v %v", org, err)
	}
}

func TestEmulatorAllAcrossPages(t *testing.T) {
	srv, c := emulated(t)
	var seed emulator.SeedData
	for i := range 620 {
		seed.Organizations = append(seed.Organizations, emulator.SeedOrganization{ID: fmt.Sprintf("org_%04d", i), Name: fmt.Sprintf("Org %d", i)})
	}
	if err := srv.Seed(seed); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	seen := map[string]bool{}
	for o, err := range c.Organizations.All(context.Background(), organizations.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[o.ID] = true
	}
	if len(seen) != 620 || srv.Calls("GET /v1/organizations") != 2 {
		t.Fatalf("%d orgs over %d calls", len(seen), srv.Calls("GET /v1/organizations"))
	}
	list, err := c.Organizations.List(context.Background(), organizations.ListParams{Limit: 7})
	if err != nil || len(list.Organizations) != 7 || list.TotalCount != 620 {
		t.Fatalf("List: %v, %v", list, err)
	}
}

func TestEmulatorInvitationAcceptedBecomesMembership(t *testing.T) {
	srv, c := emulated(t)
	err := srv.Seed(emulator.SeedData{
		Users: []emulator.SeedUser{
			{ID: "user_admin", EmailAddresses: []string{"admin@example.com"}},
			{ID: "user_ann", EmailAddresses: []string{"ann@example.com"}},
		},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", Slug: "acme", CreatedBy: "user_admin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inv, err := c.Organizations.CreateInvitation(ctx, "org_acme", organizations.InvitationParams{
		EmailAddress: "ann@example.com", Role: "admin", InviterUserID: "user_admin",
		PublicMetadata: map[string]any{"team": "red"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != "pending" || inv.Role != "org:admin" || inv.EmailAddress != "ann@example.com" {
		t.Fatalf("%+v", inv)
	}
	var pending []string
	for p, err := range c.Organizations.AllInvitations(ctx, "org_acme", organizations.InvitationListParams{Statuses: []string{organizations.StatusPending}}) {
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, p.ID)
	}
	if len(pending) != 1 || pending[0] != inv.ID {
		t.Fatalf("pending %v", pending)
	}
	if _, err := c.Memberships.Get(ctx, "org_acme", "user_ann"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("member before accepting: %v", err)
	}
	if err := srv.AcceptInvitation(inv.ID, "user_ann"); err != nil {
		t.Fatal(err)
	}
	m, err := c.Memberships.Get(ctx, "org_acme", "user_ann")
	if err != nil || m.Role != "org:admin" || bapitest.Normalized(t, m.PublicMetadata) != `{"team":"red"}` {
		t.Fatalf("membership %+v, %v", m, err)
	}
	got, err := c.Organizations.GetInvitation(ctx, "org_acme", inv.ID)
	if err != nil || got.Status != "accepted" {
		t.Fatalf("invitation %+v, %v", got, err)
	}
	for range c.Organizations.AllInvitations(ctx, "org_acme", organizations.InvitationListParams{Statuses: []string{organizations.StatusPending}}) {
		t.Fatal("still pending")
	}
	n := 0
	for _, err := range c.Organizations.AllInvitations(ctx, "org_acme", organizations.InvitationListParams{Statuses: []string{organizations.StatusAccepted}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d accepted", n)
	}
}

func TestEmulatorRevokeInvitation(t *testing.T) {
	srv, c := emulated(t)
	err := srv.Seed(emulator.SeedData{
		Users:         []emulator.SeedUser{{ID: "user_admin"}, {ID: "user_bob", EmailAddresses: []string{"bob@example.com"}}},
		Organizations: []emulator.SeedOrganization{{ID: "org_acme", Name: "Acme", CreatedBy: "user_admin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inv, err := c.Organizations.CreateInvitation(ctx, "org_acme", organizations.InvitationParams{EmailAddress: "bob@example.com", Role: "org:member"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err = c.Organizations.RevokeInvitation(ctx, "org_acme", inv.ID, "user_admin")
	if err != nil || inv.Status != "revoked" {
		t.Fatalf("%+v %v", inv, err)
	}
	if err := srv.AcceptInvitation(inv.ID, "user_bob"); err == nil {
		t.Fatal("a revoked invitation was accepted")
	}
	_, err = c.Organizations.RevokeInvitation(ctx, "org_acme", inv.ID, "")
	var apiErr *clerkerr.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("revoking twice: %v", err)
	}
}

func TestEmulatorBadInputMakesNoCall(t *testing.T) {
	srv, c := emulated(t)
	srv.ResetCalls()
	ctx := context.Background()
	if _, err := c.Organizations.Get(ctx, "acme/memberships"); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error(err)
	}
	if _, err := c.Organizations.Create(ctx, organizations.CreateParams{}); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error(err)
	}
	if _, err := c.Organizations.CreateInvitation(ctx, "org_1", organizations.InvitationParams{EmailAddress: "ann@", Role: "org:member"}); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error(err)
	}
	if _, err := c.Organizations.List(ctx, organizations.ListParams{Limit: 501}); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error(err)
	}
	if _, err := c.Organizations.RevokeInvitation(ctx, "org_1", "orginv_1?x", ""); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Error(err)
	}
	if n := srv.Calls(""); n != 0 {
		t.Fatalf("%d calls", n)
	}
}
