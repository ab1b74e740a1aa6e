package organizations_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
	"github.com/clerkkit/clerkkit/organizations"
)

func org(id string) map[string]any {
	return map[string]any{"object": "organization", "id": id, "name": "Org " + id, "slug": id, "public_metadata": map[string]any{}}
}

func TestAllUsesTotalCount(t *testing.T) {
	srv := bapitest.New(t)
	srv.Handle("GET /v1/organizations", bapitest.Pages("data", 1000, func(i int) any { return org(fmt.Sprintf("org_%d", i)) }))
	c := organizations.New(srv.Backend(), organizations.Options{})
	n := 0
	for o, err := range c.All(context.Background(), organizations.ListParams{Query: "acme", IncludeMembersCount: true}) {
		if err != nil || o.ID != fmt.Sprintf("org_%d", n) {
			t.Fatalf("%d: %v %v", n, o, err)
		}
		n++
	}
	if n != 1000 || srv.Calls() != 2 {
		t.Fatalf("%d orgs over %d calls", n, srv.Calls())
	}
	if q := srv.Last().Query; q.Get("query") != "acme" || q.Get("include_members_count") != "true" || q.Get("offset") != "500" {
		t.Fatalf("query %v", q)
	}
}

func TestCreateAndInviteRequests(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("POST /v1/organizations", org("org_1"))
	srv.JSON("POST /v1/organizations/{org}/invitations", map[string]any{"object": "organization_invitation", "id": "orginv_1", "status": "pending"})
	srv.JSON("POST /v1/organizations/{org}/invitations/{inv}/revoke", map[string]any{"object": "organization_invitation", "id": "orginv_1", "status": "revoked"})
	c := organizations.New(srv.Backend(), organizations.Options{})
	ctx := context.Background()
	if _, err := c.Create(ctx, organizations.CreateParams{Name: "Acme", Slug: "acme", CreatedBy: "user_1", PublicMetadata: map[string]any{"plan": "pro"}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Last().Body; got != `{"name":"Acme","slug":"acme","created_by":"user_1","public_metadata":{"plan":"pro"}}` {
		t.Fatalf("create body %s", got)
	}
	inv, err := c.CreateInvitation(ctx, "org_1", organizations.InvitationParams{EmailAddress: "ann@example.com", Role: "member", InviterUserID: "user_1"})
	if err != nil || inv.ID != "orginv_1" {
		t.Fatal(inv, err)
	}
	if r := srv.Last(); r.Path != "/v1/organizations/org_1/invitations" || r.Body != `{"email_address":"ann@example.com","role":"org:member","inviter_user_id":"user_1"}` {
		t.Fatalf("%+v", r)
	}
	if _, err := c.RevokeInvitation(ctx, "org_1", "orginv_1", ""); err != nil {
		t.Fatal(err)
	}
	if r := srv.Last(); r.Path != "/v1/organizations/org_1/invitations/orginv_1/revoke" {
		t.Fatalf("%+v", r)
	}
}

func TestAllInvitationsFilter(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("GET /v1/organizations/{org}/invitations", map[string]any{"data": []any{map[string]any{"id": "orginv_1", "status": "pending"}}, "total_count": 1})
	c := organizations.New(srv.Backend(), organizations.Options{})
	n := 0
	for inv, err := range c.AllInvitations(context.Background(), "org_1", organizations.InvitationListParams{Statuses: []string{organizations.StatusPending}}) {
		if err != nil || inv.Status != "pending" {
			t.Fatal(inv, err)
		}
		n++
	}
	if q := srv.Last().Query; n != 1 || q.Get("status") != "pending" || q.Get("limit") != "500" {
		t.Fatalf("n=%d query %v", n, q)
	}
}

func TestInvalidInputMakesNoRequest(t *testing.T) {
	srv := bapitest.New(t)
	c := organizations.New(srv.Backend(), organizations.Options{})
	ctx := context.Background()
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	add(c.Create(ctx, organizations.CreateParams{}))
	add(c.Create(ctx, organizations.CreateParams{Name: "   "}))
	add(c.Create(ctx, organizations.CreateParams{Name: "A", Slug: "a/b"}))
	add(c.Create(ctx, organizations.CreateParams{Name: "A", CreatedBy: "user 1"}))
	add(c.Create(ctx, organizations.CreateParams{Name: "A", MaxAllowedMemberships: -1}))
	add(c.Create(ctx, organizations.CreateParams{Name: "A", PrivateMetadata: 1}))
	add(c.Get(ctx, ""))
	add(c.Get(ctx, "acme?x=1"))
	add(c.List(ctx, organizations.ListParams{Limit: 501}))
	add(c.List(ctx, organizations.ListParams{UserIDs: []string{"../x"}}))
	for _, err := range c.All(ctx, organizations.ListParams{Offset: -2}) {
		add(nil, err)
	}
	add(c.Update(ctx, "org/1", organizations.UpdateParams{}))
	add(c.Update(ctx, "org_1", organizations.UpdateParams{Name: clerk.String("")}))
	add(c.Update(ctx, "org_1", organizations.UpdateParams{Slug: clerk.String("a b")}))
	add(c.UpdateMetadata(ctx, "org_1", organizations.Metadata{}))
	add(c.UpdateMetadata(ctx, "org#1", organizations.Metadata{Public: map[string]any{}}))
	add(c.ReplaceMetadata(ctx, "org_1", organizations.Metadata{Public: "x"}))
	add(nil, c.Delete(ctx, "org_1/memberships"))
	invite := func(orgID, email, role, inviter string) (any, error) {
		return c.CreateInvitation(ctx, orgID, organizations.InvitationParams{EmailAddress: email, Role: role, InviterUserID: inviter})
	}
	add(invite("org_1", "", "member", ""))
	add(invite("org_1", "ann", "member", ""))
	add(invite("org_1", "ann@example.com", "", ""))
	add(invite("org_1", "ann@example.com", "member", "user/1"))
	add(invite("org 1", "ann@example.com", "member", ""))
	add(c.CreateInvitation(ctx, "org_1", organizations.InvitationParams{EmailAddress: "a@b.c", Role: "member", ExpiresInDays: 400}))
	add(c.GetInvitation(ctx, "org_1", ""))
	add(c.ListInvitations(ctx, "org_1", organizations.InvitationListParams{Statuses: []string{"open"}}))
	add(c.ListInvitations(ctx, "org_1", organizations.InvitationListParams{Limit: 1000}))
	add(c.RevokeInvitation(ctx, "org_1", "inv/../x", ""))
	for _, err := range c.AllInvitations(ctx, "", organizations.InvitationListParams{}) {
		add(nil, err)
	}
	for _, err := range c.AllInvitations(ctx, "org_1", organizations.InvitationListParams{Limit: -1}) {
		add(nil, err)
	}
	for i, err := range errs {
		if !errors.Is(err, clerkerr.ErrInvalidInput) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("%d requests", srv.Calls())
	}
}

func TestDeleteCallsOnDelete(t *testing.T) {
	srv := bapitest.New(t)
	srv.JSON("DELETE /v1/organizations/{org}", map[string]any{"object": "organization", "id": "org_1", "deleted": true})
	srv.Handle("DELETE /v1/organizations/org_gone", func(w http.ResponseWriter, r *http.Request) {
		bapitest.JSON(w, 404, map[string]any{"errors": []any{map[string]any{"code": "resource_not_found", "message": "not found"}}})
	})
	var got []string
	c := organizations.New(srv.Backend(), organizations.Options{OnDelete: func(id string) { got = append(got, id) }})
	ctx := context.Background()
	if err := c.Delete(ctx, "org_1"); err != nil {
		t.Fatal(err)
	}
	// A failed call may still have deleted the organization: OnDelete runs.
	if err := c.Delete(ctx, "org_gone"); !errors.Is(err, clerkerr.ErrNotFound) {
		t.Fatalf("deleting a missing organization: %v", err)
	}
	// Input rejected before any request: nothing was deleted.
	if err := c.Delete(ctx, "org/1"); !errors.Is(err, clerkerr.ErrInvalidInput) {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "org_1" || got[1] != "org_gone" {
		t.Fatalf("OnDelete calls %v", got)
	}
	// The zero Options have no hook.
	if err := organizations.New(srv.Backend(), organizations.Options{}).Delete(ctx, "org_1"); err != nil {
		t.Fatal(err)
	}
}
