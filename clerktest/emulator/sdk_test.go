package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// sdkConfig is how a service points clerk-sdk-go v2 at a Server: per
// client, never through clerk.SetKey.
func sdkConfig(srv *emulator.Server) *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL:        clerk.String(srv.URL() + "/v1"),
		Key:        clerk.String(srv.SecretKey()),
		HTTPClient: srv.HTTPClient(),
	}}
}

func raw(s string) *json.RawMessage { r := json.RawMessage(s); return &r }

// sameJSON compares two JSON values, ignoring spelling.
func sameJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want %s", what, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("%s = %s, want %s", what, gb, wb)
	}
}

// apiError returns err as clerk-sdk-go's API error, failing if it is not.
func sdkError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *clerk.APIErrorResponse
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *clerk.APIErrorResponse", err, err)
	}
	if e.HTTPStatusCode != status || len(e.Errors) != 1 || e.Errors[0].Code != code || e.TraceID == "" {
		t.Fatalf("error %s: want status %d, code %s and a trace id", e.Error(), status, code)
	}
}

// TestClerkSDKScenario runs clerk-sdk-go v2.4.2's own clients through a
// full scenario against a Server, and verifies the minted session token
// with auth.Verifier.
func TestClerkSDKScenario(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	if err := srv.Seed(emulator.SeedData{Roles: []emulator.SeedRole{
		{Key: "org:editor", Name: "Editor", Permissions: []string{"org:posts:edit", "org:posts:read", "org:billing:read"}},
	}}); err != nil {
		t.Fatal(err)
	}
	cfg := sdkConfig(srv)
	users := user.NewClient(cfg)
	orgs := organization.NewClient(cfg)
	members := organizationmembership.NewClient(cfg)
	invitations := organizationinvitation.NewClient(cfg)
	sessions := session.NewClient(cfg)

	// Users.
	alice, err := users.Create(ctx, &user.CreateParams{
		EmailAddresses:  &[]string{"Alice@Example.com", "alice@work.example"},
		FirstName:       clerk.String("Alice"),
		LastName:        clerk.String("Liddell"),
		Username:        clerk.String("alice_l"),
		ExternalID:      clerk.String("ext-1"),
		Password:        clerk.String("correct horse battery"),
		PublicMetadata:  raw(`{"plan":"pro","prefs":{"theme":"dark","lang":"en"}}`),
		PrivateMetadata: raw(`{"stripe":"cus_1"}`),
		UnsafeMetadata:  raw(`{"onboarded":false}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if alice.Object != "user" || len(alice.ID) < 10 || alice.ID[:5] != "user_" || *alice.FirstName != "Alice" ||
		*alice.LastName != "Liddell" || *alice.Username != "alice_l" || *alice.ExternalID != "ext-1" ||
		!alice.PasswordEnabled || alice.Banned || alice.Locked || alice.CreatedAt == 0 || alice.CreatedAt != alice.UpdatedAt {
		t.Fatalf("created user: %+v", alice)
	}
	if len(alice.EmailAddresses) != 2 || alice.EmailAddresses[0].EmailAddress != "alice@example.com" ||
		*alice.PrimaryEmailAddressID != alice.EmailAddresses[0].ID || alice.EmailAddresses[0].ID[:4] != "idn_" ||
		alice.EmailAddresses[0].Verification.Status != "verified" || alice.EmailAddresses[0].Verification.Strategy != "admin" {
		t.Fatalf("email addresses: %+v (primary %v)", alice.EmailAddresses, alice.PrimaryEmailAddressID)
	}
	sameJSON(t, "public metadata", alice.PublicMetadata, `{"plan":"pro","prefs":{"theme":"dark","lang":"en"}}`)
	sameJSON(t, "private metadata", alice.PrivateMetadata, `{"stripe":"cus_1"}`)
	sameJSON(t, "unsafe metadata", alice.UnsafeMetadata, `{"onboarded":false}`)

	bob, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"bob@example.com"}, FirstName: clerk.String("Bob")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"ALICE@example.com"}})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")

	got, err := users.Get(ctx, alice.ID)
	if err != nil || got.ID != alice.ID || *got.Username != "alice_l" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	_, err = users.Get(ctx, "user_missing")
	sdkError(t, err, http.StatusNotFound, "resource_not_found")

	list, err := users.List(ctx, &user.ListParams{EmailAddresses: []string{"bob@example.com"}})
	if err != nil || list.TotalCount != 1 || len(list.Users) != 1 || list.Users[0].ID != bob.ID {
		t.Fatalf("List by email: %+v, %v", list, err)
	}
	list, err = users.List(ctx, &user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(1)}})
	if err != nil || list.TotalCount != 2 || len(list.Users) != 1 || list.Users[0].ID != bob.ID {
		t.Fatalf("List newest first, limit 1: %+v, %v", list, err)
	}
	count, err := users.Count(ctx, &user.ListParams{Query: clerk.String("lidd")})
	if err != nil || count.Object != "total_count" || count.TotalCount != 1 {
		t.Fatalf("Count: %+v, %v", count, err)
	}

	upd, err := users.Update(ctx, alice.ID, &user.UpdateParams{
		FirstName:      clerk.String("Alicia"),
		PublicMetadata: raw(`{"plan":"team"}`), // PATCH /users replaces metadata whole
	})
	if err != nil || *upd.FirstName != "Alicia" || *upd.LastName != "Liddell" {
		t.Fatalf("Update: %+v, %v", upd, err)
	}
	sameJSON(t, "replaced public metadata", upd.PublicMetadata, `{"plan":"team"}`)
	sameJSON(t, "untouched private metadata", upd.PrivateMetadata, `{"stripe":"cus_1"}`)

	upd, err = users.UpdateMetadata(ctx, alice.ID, &user.UpdateMetadataParams{
		PublicMetadata:  raw(`{"prefs":{"theme":"light","a":{"b":{"c":1}}}}`),
		PrivateMetadata: raw(`{"stripe":null,"seats":3}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "merged public metadata", upd.PublicMetadata, `{"plan":"team","prefs":{"theme":"light","a":{"b":{"c":1}}}}`)
	sameJSON(t, "merged private metadata", upd.PrivateMetadata, `{"seats":3}`)
	upd, err = users.UpdateMetadata(ctx, alice.ID, &user.UpdateMetadataParams{PublicMetadata: raw(`{"prefs":{"a":{"b":{"c":null}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "null removal at depth 3", upd.PublicMetadata, `{"plan":"team","prefs":{"theme":"light","a":{"b":{}}}}`)

	for _, step := range []struct {
		name string
		call func(context.Context, string) (*clerk.User, error)
		want func(*clerk.User) bool
	}{
		{"Ban", users.Ban, func(u *clerk.User) bool { return u.Banned }},
		{"Unban", users.Unban, func(u *clerk.User) bool { return !u.Banned }},
		{"Lock", users.Lock, func(u *clerk.User) bool { return u.Locked && *u.LockoutExpiresInSeconds == 3600 }},
		{"Unlock", users.Unlock, func(u *clerk.User) bool { return !u.Locked && u.LockoutExpiresInSeconds == nil }},
	} {
		u, err := step.call(ctx, bob.ID)
		if err != nil || !step.want(u) {
			t.Fatalf("%s: %+v, %v", step.name, u, err)
		}
	}

	// Organizations.
	acme, err := orgs.Create(ctx, &organization.CreateParams{
		Name: clerk.String("Acme Inc"), Slug: clerk.String("acme"), CreatedBy: clerk.String(alice.ID),
		MaxAllowedMemberships: clerk.Int64(10),
		PublicMetadata:        raw(`{"tier":"gold","limits":{"seats":10}}`), PrivateMetadata: raw(`{"crm":"42"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if acme.Object != "organization" || acme.ID[:4] != "org_" || acme.Name != "Acme Inc" || acme.Slug != "acme" ||
		acme.CreatedBy != alice.ID || acme.MaxAllowedMemberships != 10 || !acme.AdminDeleteEnabled || acme.ImageURL == nil {
		t.Fatalf("created org: %+v", acme)
	}
	_, err = orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Other"), Slug: clerk.String("acme")})
	sdkError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	bySlug, err := orgs.GetWithParams(ctx, "acme", &organization.GetParams{IncludeMembersCount: clerk.Bool(true)})
	if err != nil || bySlug.ID != acme.ID || bySlug.MembersCount == nil || *bySlug.MembersCount != 1 {
		t.Fatalf("Get by slug: %+v, %v", bySlug, err)
	}
	if _, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Globex")}); err != nil {
		t.Fatal(err)
	}
	olist, err := orgs.List(ctx, &organization.ListParams{Query: clerk.String("acm")})
	if err != nil || olist.TotalCount != 1 || olist.Organizations[0].ID != acme.ID {
		t.Fatalf("List orgs: %+v, %v", olist, err)
	}
	olist, err = orgs.List(ctx, &organization.ListParams{UserIDs: []string{alice.ID}})
	if err != nil || olist.TotalCount != 1 {
		t.Fatalf("List orgs of alice: %+v, %v", olist, err)
	}
	uo, err := orgs.Update(ctx, acme.ID, &organization.UpdateParams{Name: clerk.String("Acme Corp")})
	if err != nil || uo.Name != "Acme Corp" || uo.Slug != "acme" {
		t.Fatalf("Update org: %+v, %v", uo, err)
	}
	uo, err = orgs.UpdateMetadata(ctx, acme.ID, &organization.UpdateMetadataParams{PublicMetadata: raw(`{"limits":{"seats":20,"projects":3},"tier":null}`)})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "merged org metadata", uo.PublicMetadata, `{"limits":{"seats":20,"projects":3}}`)
	sameJSON(t, "org private metadata", uo.PrivateMetadata, `{"crm":"42"}`)

	// Memberships.
	m, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: acme.ID, UserID: clerk.String(bob.ID), Role: clerk.String("org:member")})
	if err != nil {
		t.Fatal(err)
	}
	if m.Object != "organization_membership" || m.ID[:7] != "orgmem_" || m.Role != "org:member" || m.RoleName != "Member" ||
		m.Organization == nil || m.Organization.ID != acme.ID || m.PublicUserData == nil || m.PublicUserData.UserID != bob.ID ||
		*m.PublicUserData.FirstName != "Bob" || m.PublicUserData.Identifier != "bob@example.com" ||
		!slices.Equal(m.Permissions, []string{"org:sys_memberships:read"}) {
		t.Fatalf("membership: %+v", m)
	}
	_, err = members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: acme.ID, UserID: clerk.String(bob.ID), Role: clerk.String("org:member")})
	sdkError(t, err, http.StatusUnprocessableEntity, "already_a_member_in_organization")
	mlist, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: acme.ID})
	if err != nil || mlist.TotalCount != 2 || len(mlist.OrganizationMemberships) != 2 ||
		mlist.OrganizationMemberships[0].PublicUserData.UserID != bob.ID || mlist.OrganizationMemberships[1].Role != "org:admin" {
		t.Fatalf("List memberships: %+v, %v", mlist, err)
	}
	mlist, err = members.List(ctx, &organizationmembership.ListParams{OrganizationID: acme.ID, Roles: []string{"org:admin"}})
	if err != nil || mlist.TotalCount != 1 || mlist.OrganizationMemberships[0].PublicUserData.UserID != alice.ID {
		t.Fatalf("List admins: %+v, %v", mlist, err)
	}
	m, err = members.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: acme.ID, UserID: bob.ID, Role: clerk.String("org:editor")})
	if err != nil || m.Role != "org:editor" || m.RoleName != "Editor" ||
		!slices.Equal(m.Permissions, []string{"org:posts:edit", "org:posts:read", "org:billing:read"}) {
		t.Fatalf("Update membership: %+v, %v", m, err)
	}

	// Invitations.
	inv, err := invitations.Create(ctx, &organizationinvitation.CreateParams{
		OrganizationID: acme.ID, EmailAddress: clerk.String("carol@example.com"), Role: clerk.String("org:member"),
		InviterUserID: clerk.String(alice.ID), PublicMetadata: raw(`{"team":"red"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Object != "organization_invitation" || inv.ID[:7] != "orginv_" || inv.Status != "pending" ||
		inv.EmailAddress != "carol@example.com" || inv.OrganizationID != acme.ID || inv.RoleName != "Member" ||
		inv.ExpiresAt == nil || *inv.ExpiresAt != inv.CreatedAt+30*24*3600*1000 {
		t.Fatalf("invitation: %+v", inv)
	}
	inv2, err := invitations.Create(ctx, &organizationinvitation.CreateParams{
		OrganizationID: acme.ID, EmailAddress: clerk.String("dave@example.com"), Role: clerk.String("org:admin"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ilist, err := invitations.List(ctx, &organizationinvitation.ListParams{OrganizationID: acme.ID, Statuses: &[]string{"pending"}})
	if err != nil || ilist.TotalCount != 2 || ilist.OrganizationInvitations[0].ID != inv2.ID {
		t.Fatalf("List invitations: %+v, %v", ilist, err)
	}
	gi, err := invitations.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme.ID, ID: inv.ID})
	if err != nil || gi.ID != inv.ID {
		t.Fatalf("Get invitation: %+v, %v", gi, err)
	}
	rev, err := invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: acme.ID, ID: inv2.ID, RequestingUserID: clerk.String(alice.ID)})
	if err != nil || rev.Status != "revoked" {
		t.Fatalf("Revoke: %+v, %v", rev, err)
	}
	_, err = invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: acme.ID, ID: inv2.ID})
	sdkError(t, err, http.StatusBadRequest, "organization_invitation_not_pending")
	// Carol signs up with the invited address; that alone accepts nothing.
	carol, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"carol@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if gi, _ := invitations.Get(ctx, &organizationinvitation.GetParams{OrganizationID: acme.ID, ID: inv.ID}); gi.Status != "pending" {
		t.Fatalf("invitation status after sign-up: %s", gi.Status)
	}
	if err := srv.AcceptInvitation(inv.ID, carol.ID); err != nil {
		t.Fatal(err)
	}
	ilist, err = invitations.List(ctx, &organizationinvitation.ListParams{OrganizationID: acme.ID, Statuses: &[]string{"accepted"}})
	if err != nil || ilist.TotalCount != 1 || ilist.OrganizationInvitations[0].ID != inv.ID {
		t.Fatalf("accepted invitations: %+v, %v", ilist, err)
	}
	all, err := invitations.ListFromInstance(ctx, &organizationinvitation.ListFromInstanceParams{Query: clerk.String("example.com")})
	if err != nil || all.TotalCount != 2 || all.OrganizationInvitations[1].ID != inv.ID ||
		all.OrganizationInvitations[1].PublicOrganizationData == nil || all.OrganizationInvitations[1].PublicOrganizationData.Slug != "acme" {
		t.Fatalf("ListFromInstance: %+v, %v", all, err)
	}
	mlist, err = members.List(ctx, &organizationmembership.ListParams{OrganizationID: acme.ID, UserIDs: []string{carol.ID}})
	if err != nil || mlist.TotalCount != 1 || mlist.OrganizationMemberships[0].Role != "org:member" {
		t.Fatalf("carol's membership: %+v, %v", mlist, err)
	}
	sameJSON(t, "metadata carried from the invitation", mlist.OrganizationMemberships[0].PublicMetadata, `{"team":"red"}`)

	// Sessions and tokens: Bob's session has no active organization, though
	// he just joined Acme (none was asked for).
	sess, err := sessions.Create(ctx, &session.CreateParams{UserID: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sess.Object != "session" || sess.ID[:5] != "sess_" || sess.UserID != bob.ID || sess.Status != "active" ||
		sess.LastActiveOrganizationID != "" || sess.ExpireAt <= sess.CreatedAt {
		t.Fatalf("session: %+v", sess)
	}
	gs, err := sessions.Get(ctx, sess.ID)
	if err != nil || gs.ID != sess.ID {
		t.Fatalf("Get session: %+v, %v", gs, err)
	}
	slist, err := sessions.List(ctx, &session.ListParams{UserID: clerk.String(bob.ID)})
	if err != nil || slist.TotalCount != 1 || slist.Sessions[0].ID != sess.ID {
		t.Fatalf("List sessions: %+v, %v", slist, err)
	}
	// clerk-sdk-go's CreateParams has no active organization: switch to
	// Acme as Clerk's frontend would.
	if err := srv.SetActiveOrganization(sess.ID, acme.ID); err != nil {
		t.Fatal(err)
	}
	tok, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: sess.ID})
	if err != nil || tok.Object != "token" || tok.JWT == "" {
		t.Fatalf("CreateToken: %+v, %v", tok, err)
	}

	// JWKS, through the SDK.
	keys, err := jwks.NewClient(cfg).Get(ctx, &jwks.GetParams{})
	if err != nil || len(keys.Keys) != 1 || keys.Keys[0].KeyID != srv.Issuer().KeyID() || keys.Keys[0].Algorithm != "RS256" {
		t.Fatalf("JWKS: %+v, %v", keys, err)
	}

	// The token verifies with clerkkit's verifier, org claims included.
	v, err := auth.NewVerifier(srv.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(ctx, tok.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != bob.ID || s.SessionID != sess.ID || s.Version != 2 || s.OrgID != acme.ID || s.OrgSlug != "acme" ||
		s.OrgRole != "org:editor" {
		t.Fatalf("verified session: %+v", s)
	}
	if want := []string{"org:posts:edit", "org:posts:read", "org:billing:read"}; !sameSet(s.OrgPermissions, want) {
		t.Fatalf("permissions %v, want %v (system permissions never in tokens)", s.OrgPermissions, want)
	}
	if !s.Has(auth.Check{Permission: "org:posts:edit"}) || s.Has(auth.Check{Permission: "org:sys_memberships:read"}) {
		t.Fatal("Has disagrees with the token's permissions")
	}

	// Deletions.
	del, err := members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: acme.ID, UserID: bob.ID})
	if err != nil || del.ID != m.ID || del.Role != "org:editor" {
		t.Fatalf("Delete membership: %+v, %v", del, err)
	}
	dOrg, err := orgs.Delete(ctx, acme.ID)
	if err != nil || dOrg.Object != "organization" || dOrg.ID != acme.ID || dOrg.Slug != "acme" || !dOrg.Deleted {
		t.Fatalf("Delete org: %+v, %v", dOrg, err)
	}
	_, err = orgs.Get(ctx, acme.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	dUser, err := users.Delete(ctx, alice.ID)
	if err != nil || dUser.Object != "user" || dUser.ID != alice.ID || !dUser.Deleted {
		t.Fatalf("Delete user: %+v, %v", dUser, err)
	}
	_, err = users.Get(ctx, alice.ID)
	sdkError(t, err, http.StatusNotFound, "resource_not_found")
	// The address is free again.
	if _, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"alice@example.com"}}); err != nil {
		t.Fatal(err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
