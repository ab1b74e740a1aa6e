package devprobe_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/actortoken"
	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/client"
	"github.com/clerk/clerk-sdk-go/v2/domain"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwttemplate"
	"github.com/clerk/clerk-sdk-go/v2/m2m_token"
	"github.com/clerk/clerk-sdk-go/v2/machine"
	"github.com/clerk/clerk-sdk-go/v2/machinescope"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/redirecturl"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/clerk/clerk-sdk-go/v2/signintoken"
	"github.com/clerk/clerk-sdk-go/v2/testingtoken"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/clerk/clerk-sdk-go/v2/waitlistentry"
)

// TestClerkSDKGoScenario runs clerk-sdk-go v2.4.2's own client packages
// against the built `clerkkit dev`, configured as a service would be from
// the lines it prints (clerk.ClientConfig per client, CLERK_API_URL + /v1
// and CLERK_SECRET_KEY; never clerk.SetKey), through every group the
// emulator serves that the SDK has a client for: a create, read, update
// and delete, or the group's natural round trip, checking what comes back.
//
// Groups the emulator serves that clerk-sdk-go v2.4.2 has no client for,
// so not run here (testdata/clerkjs/scenario.mjs runs most of them through
// @clerk/backend): API keys, organization roles, organization permissions,
// role sets, instance-wide organization memberships, user email address
// and phone number replacement (PUT /v1/users/{id}/email_address,
// /phone_number), email address and phone number verification, TOTP
// verification, password removal, trusted devices, TOTP and backup code
// verification (verify_totp), users bulk ban and
// unban, session refresh, organization invitations bulk, instance
// settings reads (instancesettings only updates).
func TestClerkSDKGoScenario(t *testing.T) {
	env := devEnv(t, "--seed", scenarioSeed(t))
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	httpc := httpClient(t)
	config := func(key string) *clerk.ClientConfig {
		return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
			URL: clerk.String(env["CLERK_API_URL"] + "/v1"), Key: clerk.String(key), HTTPClient: httpc,
		}}
	}
	cfg := config(env["CLERK_SECRET_KEY"])

	var alice *clerk.User
	t.Run("users", func(t *testing.T) {
		users := user.NewClient(cfg)
		var err error
		alice, err = users.Create(ctx, &user.CreateParams{
			EmailAddresses: &[]string{"alice@example.com"}, FirstName: clerk.String("Alice"),
			Password: clerk.String("correct horse battery"), PublicMetadata: rawJSON(`{"plan":"pro"}`),
		})
		must(t, err)
		check(t, strings.HasPrefix(alice.ID, "user_") && *alice.FirstName == "Alice" && alice.PasswordEnabled &&
			len(alice.EmailAddresses) == 1 && alice.EmailAddresses[0].EmailAddress == "alice@example.com", "created %+v", alice)
		got, err := users.Get(ctx, alice.ID)
		must(t, err)
		check(t, got.ID == alice.ID && *got.PrimaryEmailAddressID == alice.EmailAddresses[0].ID, "got %+v", got)
		up, err := users.Update(ctx, alice.ID, &user.UpdateParams{LastName: clerk.String("Liddell")})
		must(t, err)
		check(t, up.LastName != nil && *up.LastName == "Liddell", "updated last name %v", up.LastName)
		up, err = users.UpdateMetadata(ctx, alice.ID, &user.UpdateMetadataParams{PublicMetadata: rawJSON(`{"seats":3}`)})
		must(t, err)
		sameJSON(t, "merged public metadata", up.PublicMetadata, `{"plan":"pro","seats":3}`)
		list, err := users.List(ctx, &user.ListParams{EmailAddresses: []string{"alice@example.com"}})
		must(t, err)
		check(t, list.TotalCount == 1 && len(list.Users) == 1 && list.Users[0].ID == alice.ID, "list %+v", list)
		n, err := users.Count(ctx, &user.ListParams{})
		must(t, err)
		check(t, n.TotalCount == 3, "count %d, want the 2 demo users and alice", n.TotalCount)
		v, err := users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: alice.ID, Password: "correct horse battery"})
		must(t, err)
		check(t, v.Verified, "verify_password %+v", v)
		_, err = users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: alice.ID, Password: "wrong"})
		apiErr(t, err, http.StatusUnprocessableEntity, "form_password_incorrect")
		b, err := users.Ban(ctx, alice.ID)
		must(t, err)
		check(t, b.Banned, "ban: banned false")
		b, err = users.Unban(ctx, alice.ID)
		must(t, err)
		check(t, !b.Banned, "unban: banned true")
		l, err := users.Lock(ctx, alice.ID)
		must(t, err)
		check(t, l.Locked, "lock: locked false")
		l, err = users.Unlock(ctx, alice.ID)
		must(t, err)
		check(t, !l.Locked, "unlock: locked true")
		img, err := users.UpdateProfileImage(ctx, alice.ID, &user.UpdateProfileImageParams{File: bytesFile(onePixelPNG)})
		must(t, err)
		check(t, img.HasImage && img.ImageURL != nil && *img.ImageURL != "", "profile image: %v %v", img.HasImage, img.ImageURL)
		img, err = users.DeleteProfileImage(ctx, alice.ID)
		must(t, err)
		check(t, !img.HasImage, "profile image deleted: has_image true")
		_, err = users.Get(ctx, "user_missing")
		apiErr(t, err, http.StatusNotFound, "resource_not_found")

		// A throwaway user, deleted.
		tmp, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"tmp@example.com"}})
		must(t, err)
		del, err := users.Delete(ctx, tmp.ID)
		must(t, err)
		check(t, del.ID == tmp.ID && del.Deleted && del.Object == "user", "deleted %+v", del)
		_, err = users.Get(ctx, tmp.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
	})
	if alice == nil {
		t.Fatal("no user to go on with")
	}

	t.Run("email addresses and phone numbers", func(t *testing.T) {
		emails := emailaddress.NewClient(cfg)
		e, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String(alice.ID),
			EmailAddress: clerk.String("alice@work.example"), Verified: clerk.Bool(true)})
		must(t, err)
		check(t, strings.HasPrefix(e.ID, "idn_") && e.EmailAddress == "alice@work.example" && e.Verification != nil &&
			e.Verification.Status == "verified", "created %+v", e)
		got, err := emails.Get(ctx, e.ID)
		must(t, err)
		check(t, got.EmailAddress == "alice@work.example", "got %+v", got)
		_, err = emails.Update(ctx, e.ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)})
		must(t, err)
		u, err := user.NewClient(cfg).Get(ctx, alice.ID)
		must(t, err)
		check(t, u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == e.ID, "primary email %v, want %s", u.PrimaryEmailAddressID, e.ID)
		_, err = emails.Update(ctx, alice.EmailAddresses[0].ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)})
		must(t, err)
		del, err := emails.Delete(ctx, e.ID)
		must(t, err)
		check(t, del.ID == e.ID && del.Deleted, "deleted %+v", del)
		_, err = emails.Get(ctx, e.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")

		phones := phonenumber.NewClient(cfg)
		p, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(alice.ID),
			PhoneNumber: clerk.String("+15555550100"), Verified: clerk.Bool(true)})
		must(t, err)
		check(t, strings.HasPrefix(p.ID, "idn_") && p.PhoneNumber == "+15555550100", "created %+v", p)
		up, err := phones.Update(ctx, p.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
		must(t, err)
		check(t, up.ReservedForSecondFactor, "reserved_for_second_factor false")
		got2, err := phones.Get(ctx, p.ID)
		must(t, err)
		check(t, got2.ID == p.ID && got2.ReservedForSecondFactor, "got %+v", got2)
		del, err = phones.Delete(ctx, p.ID)
		must(t, err)
		check(t, del.ID == p.ID && del.Deleted, "deleted %+v", del)
	})

	t.Run("MFA, web3 wallets, external accounts and their tokens, passkeys", func(t *testing.T) {
		users := user.NewClient(cfg)
		ada, err := users.Get(ctx, seedAccountsUserID)
		must(t, err)
		check(t, ada.TOTPEnabled && ada.BackupCodeEnabled && ada.TwoFactorEnabled, "seeded MFA: totp %v backup %v 2fa %v",
			ada.TOTPEnabled, ada.BackupCodeEnabled, ada.TwoFactorEnabled)
		check(t, len(ada.Web3Wallets) == 1 && ada.Web3Wallets[0].Web3Wallet == seedWeb3Wallet, "web3 wallets %+v", ada.Web3Wallets)
		check(t, len(ada.ExternalAccounts) == 1 && ada.ExternalAccounts[0].ID == seedExternalID &&
			ada.ExternalAccounts[0].Provider == "oauth_google" && ada.ExternalAccounts[0].ProviderUserID == "g-1001",
			"external accounts %+v", ada.ExternalAccounts)
		toks, err := users.ListOAuthAccessTokens(ctx, &user.ListOAuthAccessTokensParams{ID: seedAccountsUserID, Provider: "oauth_google"})
		must(t, err)
		check(t, toks.TotalCount == 1 && toks.OAuthAccessTokens[0].Token == seedOAuthToken &&
			toks.OAuthAccessTokens[0].ExternalAccountID == seedExternalID && slices.Equal(toks.OAuthAccessTokens[0].Scopes, []string{"email", "profile"}),
			"oauth access tokens %+v", toks)

		m, err := users.DeleteBackupCode(ctx, seedAccountsUserID)
		must(t, err)
		check(t, m.UserID == seedAccountsUserID, "delete backup codes answered %+v", m)
		ada, err = users.Get(ctx, seedAccountsUserID)
		must(t, err)
		check(t, !ada.BackupCodeEnabled && ada.TOTPEnabled, "after deleting backup codes: backup %v totp %v", ada.BackupCodeEnabled, ada.TOTPEnabled)
		m, err = users.DeleteTOTP(ctx, seedAccountsUserID)
		must(t, err)
		check(t, m.UserID == seedAccountsUserID, "delete TOTP answered %+v", m)
		ada, err = users.Get(ctx, seedAccountsUserID)
		must(t, err)
		check(t, !ada.TOTPEnabled && !ada.TwoFactorEnabled, "after deleting TOTP: totp %v 2fa %v", ada.TOTPEnabled, ada.TwoFactorEnabled)
		m, err = users.DeleteMFA(ctx, &user.DeleteMFAParams{ID: seedAccountsUserID})
		must(t, err)
		check(t, m.UserID == seedAccountsUserID, "disable MFA answered %+v", m)

		d, err := users.DeleteWeb3Wallet(ctx, seedAccountsUserID, ada.Web3Wallets[0].ID)
		must(t, err)
		check(t, d.ID == ada.Web3Wallets[0].ID && d.Deleted, "deleted web3 wallet %+v", d)
		d, err = users.DeleteExternalAccount(ctx, &user.DeleteExternalAccountParams{UserID: seedAccountsUserID, ID: seedExternalID})
		must(t, err)
		check(t, d.ID == seedExternalID && d.Deleted, "deleted external account %+v", d)
		toks, err = users.ListOAuthAccessTokens(ctx, &user.ListOAuthAccessTokensParams{ID: seedAccountsUserID, Provider: "oauth_google"})
		must(t, err)
		check(t, toks.TotalCount == 0, "the deleted account's tokens remain: %+v", toks)
		d, err = users.DeletePasskey(ctx, seedAccountsUserID, seedPasskeyID)
		must(t, err)
		check(t, d.ID == seedPasskeyID && d.Deleted, "deleted passkey %+v", d)
		_, err = users.DeletePasskey(ctx, seedAccountsUserID, seedPasskeyID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
		ada, err = users.Get(ctx, seedAccountsUserID)
		must(t, err)
		check(t, len(ada.Web3Wallets) == 0 && len(ada.ExternalAccounts) == 0, "after deletes: %+v %+v", ada.Web3Wallets, ada.ExternalAccounts)
	})

	var acme *clerk.Organization
	t.Run("organizations, memberships, invitations, domains", func(t *testing.T) {
		orgs := organization.NewClient(cfg)
		var err error
		acme, err = orgs.Get(ctx, "acme") // the demo seed's, by slug
		must(t, err)
		check(t, acme.ID == "org_demo_acme" && acme.Name == "Acme Inc", "by slug %+v", acme)
		o, err := orgs.Create(ctx, &organization.CreateParams{Name: clerk.String("Wonderland"), Slug: clerk.String("wonderland"),
			CreatedBy: clerk.String(alice.ID)})
		must(t, err)
		check(t, strings.HasPrefix(o.ID, "org_") && o.Slug == "wonderland" && o.CreatedBy == alice.ID, "created %+v", o)
		up, err := orgs.Update(ctx, o.ID, &organization.UpdateParams{Name: clerk.String("Wonderland Ltd"), MaxAllowedMemberships: clerk.Int64(10)})
		must(t, err)
		check(t, up.Name == "Wonderland Ltd" && up.MaxAllowedMemberships == 10, "updated %+v", up)
		up, err = orgs.UpdateMetadata(ctx, o.ID, &organization.UpdateMetadataParams{PublicMetadata: rawJSON(`{"tier":"gold"}`)})
		must(t, err)
		sameJSON(t, "organization public metadata", up.PublicMetadata, `{"tier":"gold"}`)
		logo, err := orgs.UpdateLogo(ctx, o.ID, &organization.UpdateLogoParams{File: bytesFile(onePixelPNG), UploaderUserID: clerk.String(alice.ID)})
		must(t, err)
		check(t, logo.HasImage && logo.ImageURL != nil, "logo: %v %v", logo.HasImage, logo.ImageURL)
		logo, err = orgs.DeleteLogo(ctx, o.ID)
		must(t, err)
		check(t, !logo.HasImage, "logo deleted: has_image true")
		list, err := orgs.List(ctx, &organization.ListParams{Query: clerk.String("wonder")})
		must(t, err)
		check(t, list.TotalCount == 1 && list.Organizations[0].ID == o.ID, "list %+v", list)

		members := organizationmembership.NewClient(cfg)
		m, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID,
			UserID: clerk.String("user_demo_member"), Role: clerk.String("org:member")})
		must(t, err)
		check(t, m.Role == "org:member" && m.Organization.ID == o.ID && m.PublicUserData.UserID == "user_demo_member", "membership %+v", m)
		m, err = members.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: o.ID, UserID: "user_demo_member", Role: clerk.String("org:admin")})
		must(t, err)
		check(t, m.Role == "org:admin", "updated role %s", m.Role)
		ml, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: o.ID})
		must(t, err)
		check(t, ml.TotalCount == 2, "memberships %d, want the creator's and the member's", ml.TotalCount)
		um, err := user.NewClient(cfg).ListOrganizationMemberships(ctx, "user_demo_member", &user.ListOrganizationMembershipsParams{})
		must(t, err)
		check(t, um.TotalCount == 3, "user_demo_member's memberships %d, want Acme, Globex (its creator) and Wonderland", um.TotalCount)
		m, err = members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: o.ID, UserID: "user_demo_member"})
		must(t, err)
		check(t, m.PublicUserData.UserID == "user_demo_member", "deleted membership %+v", m)

		invs := organizationinvitation.NewClient(cfg)
		inv, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID,
			EmailAddress: clerk.String("hatter@example.com"), Role: clerk.String("org:member"), InviterUserID: clerk.String(alice.ID)})
		must(t, err)
		check(t, strings.HasPrefix(inv.ID, "orginv_") && inv.Status == "pending" && inv.EmailAddress == "hatter@example.com", "invitation %+v", inv)
		gi, err := invs.Get(ctx, &organizationinvitation.GetParams{OrganizationID: o.ID, ID: inv.ID})
		must(t, err)
		check(t, gi.ID == inv.ID, "got %+v", gi)
		il, err := invs.List(ctx, &organizationinvitation.ListParams{OrganizationID: o.ID, Statuses: &[]string{"pending"}})
		must(t, err)
		check(t, il.TotalCount == 1, "pending invitations %d", il.TotalCount)
		all, err := invs.ListFromInstance(ctx, &organizationinvitation.ListFromInstanceParams{})
		must(t, err)
		check(t, all.TotalCount >= 1, "instance invitations %d", all.TotalCount)
		rv, err := invs.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: o.ID, ID: inv.ID, RequestingUserID: clerk.String(alice.ID)})
		must(t, err)
		check(t, rv.Status == "revoked", "revoked status %s", rv.Status)

		doms := organizationdomain.NewClient(cfg)
		d, err := doms.Create(ctx, o.ID, &organizationdomain.CreateParams{Name: clerk.String("wonderland.example"),
			EnrollmentMode: clerk.String("automatic_invitation"), Verified: clerk.Bool(true)})
		must(t, err)
		check(t, d.OrganizationID == o.ID && d.Name == "wonderland.example" && d.EnrollmentMode == "automatic_invitation", "domain %+v", d)
		d, err = doms.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: o.ID, DomainID: d.ID, EnrollmentMode: clerk.String("manual_invitation")})
		must(t, err)
		check(t, d.EnrollmentMode == "manual_invitation", "updated enrollment mode %s", d.EnrollmentMode)
		dl, err := doms.List(ctx, o.ID, &organizationdomain.ListParams{})
		must(t, err)
		check(t, dl.TotalCount == 1 && dl.OrganizationDomains[0].ID == d.ID, "domains %+v", dl)
		dd, err := doms.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: o.ID, DomainID: d.ID})
		must(t, err)
		check(t, dd.ID == d.ID && dd.Deleted, "deleted %+v", dd)

		del, err := orgs.Delete(ctx, o.ID)
		must(t, err)
		check(t, del.ID == o.ID && del.Deleted, "deleted %+v", del)
		_, err = orgs.Get(ctx, o.ID)
		apiErr(t, err, http.StatusNotFound, "resource_not_found")
	})

	t.Run("sessions, JWT templates, JWKS", func(t *testing.T) {
		sessions := session.NewClient(cfg)
		s, err := sessions.Create(ctx, &session.CreateParams{UserID: alice.ID})
		must(t, err)
		check(t, strings.HasPrefix(s.ID, "sess_") && s.UserID == alice.ID && s.Status == "active", "session %+v", s)
		gs, err := sessions.Get(ctx, s.ID)
		must(t, err)
		check(t, gs.ID == s.ID && gs.Status == "active", "got %+v", gs)
		sl, err := sessions.List(ctx, &session.ListParams{UserID: clerk.String(alice.ID)})
		must(t, err)
		check(t, sl.TotalCount == 1 && sl.Sessions[0].ID == s.ID, "list %+v", sl)
		tok, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: s.ID})
		must(t, err)
		claims := jwtClaims(t, tok.JWT)
		check(t, claims["sub"] == alice.ID && claims["sid"] == s.ID, "session token claims %v", claims)

		templates := jwttemplate.NewClient(cfg)
		tpl, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: clerk.String("backend"),
			Claims: json.RawMessage(`{"aud":"api.example","email":"{{user.primary_email_address}}"}`), Lifetime: clerk.Int64(120)})
		must(t, err)
		check(t, strings.HasPrefix(tpl.ID, "jtmp_") && tpl.Name == "backend" && tpl.Lifetime == 120 && tpl.AllowedClockSkew == 5, "template %+v", tpl)
		tt, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: s.ID, TemplateName: "backend"})
		must(t, err)
		claims = jwtClaims(t, tt.JWT)
		check(t, claims["aud"] == "api.example" && claims["email"] == "alice@example.com" && claims["sub"] == alice.ID &&
			claims["exp"].(float64)-claims["iat"].(float64) == 120, "template token claims %v", claims)
		gt, err := templates.Get(ctx, tpl.ID)
		must(t, err)
		check(t, gt.Name == "backend", "got %+v", gt)
		ut, err := templates.Update(ctx, tpl.ID, &jwttemplate.UpdateParams{Name: clerk.String("backend"),
			Claims: json.RawMessage(`{"aud":"api2.example"}`), Lifetime: clerk.Int64(300)})
		must(t, err)
		check(t, ut.Lifetime == 300, "updated lifetime %d", ut.Lifetime)
		sameJSON(t, "updated claims", ut.Claims, `{"aud":"api2.example"}`)
		tl, err := templates.List(ctx, &jwttemplate.ListParams{})
		must(t, err)
		check(t, tl.TotalCount == 1 && tl.JWTTemplates[0].ID == tpl.ID, "templates %+v", tl)
		dt, err := templates.Delete(ctx, tpl.ID)
		must(t, err)
		check(t, dt.ID == tpl.ID && dt.Deleted, "deleted %+v", dt)
		_, err = sessions.CreateToken(ctx, &session.CreateTokenParams{ID: s.ID, TemplateName: "backend"})
		apiErr(t, err, http.StatusNotFound, "resource_not_found")

		keys, err := jwks.NewClient(cfg).Get(ctx, &jwks.GetParams{})
		must(t, err)
		kid, _ := jwtHeader(t, tok.JWT)["kid"].(string)
		check(t, len(keys.Keys) >= 1 && slices.ContainsFunc(keys.Keys, func(k *clerk.JSONWebKey) bool { return k.KeyID == kid }),
			"JWKS has no key %q", kid)

		clients := client.NewClient(cfg)
		cl, err := clients.Get(ctx, s.ClientID)
		must(t, err)
		check(t, cl.ID == s.ClientID && slices.Contains(cl.SessionIDs, s.ID), "client %+v", cl)
		// Not client.List: the deprecated call asks GET /v1/clients without
		// paginated=true and expects {data, total_count}, where the spec (and
		// the emulator) answer a bare array.

		rs, err := sessions.Revoke(ctx, &session.RevokeParams{ID: s.ID})
		must(t, err)
		check(t, rs.Status == "revoked", "revoked status %s", rs.Status)
		_, err = sessions.CreateToken(ctx, &session.CreateTokenParams{ID: s.ID})
		check(t, err != nil, "a revoked session minted a token")
	})

	t.Run("instance invitations, allowlist, blocklist, redirect URLs, waitlist", func(t *testing.T) {
		invs := invitation.NewClient(cfg)
		inv, err := invs.Create(ctx, &invitation.CreateParams{EmailAddress: "queen@example.com", PublicMetadata: rawJSON(`{"from":"sdk"}`)})
		must(t, err)
		check(t, strings.HasPrefix(inv.ID, "inv_") && inv.Status == "pending" && inv.EmailAddress == "queen@example.com", "invitation %+v", inv)
		bulk, err := invs.BulkCreate(ctx, &invitation.BulkCreateParams{Invitations: []*invitation.CreateParams{
			{EmailAddress: "knave@example.com"}, {EmailAddress: "king@example.com"}}})
		must(t, err)
		check(t, len(bulk.Invitations) == 2, "bulk %d invitations", len(bulk.Invitations))
		il, err := invs.List(ctx, &invitation.ListParams{Statuses: []string{"pending"}})
		must(t, err)
		check(t, il.TotalCount == 3, "pending invitations %d, want 3", il.TotalCount)
		rv, err := invs.Revoke(ctx, inv.ID)
		must(t, err)
		check(t, rv.Status == "revoked" && rv.Revoked, "revoked %+v", rv)

		allow := allowlistidentifier.NewClient(cfg)
		a, err := allow.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("*@wonderland.example")})
		must(t, err)
		check(t, strings.HasPrefix(a.ID, "alid_") && a.Identifier == "*@wonderland.example", "allowlist %+v", a)
		al, err := allow.List(ctx, &allowlistidentifier.ListParams{})
		must(t, err)
		check(t, al.TotalCount == 1 && al.AllowlistIdentifiers[0].ID == a.ID, "allowlist %+v", al)
		ad, err := allow.Delete(ctx, a.ID)
		must(t, err)
		check(t, ad.ID == a.ID && ad.Deleted, "deleted %+v", ad)

		block := blocklistidentifier.NewClient(cfg)
		b, err := block.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("spam@example.com")})
		must(t, err)
		check(t, strings.HasPrefix(b.ID, "blid_") && b.IdentifierType == "email_address", "blocklist %+v", b)
		bl, err := block.List(ctx, &blocklistidentifier.ListParams{})
		must(t, err)
		check(t, bl.TotalCount == 1, "blocklist %d", bl.TotalCount)
		bd, err := block.Delete(ctx, b.ID)
		must(t, err)
		check(t, bd.ID == b.ID && bd.Deleted, "deleted %+v", bd)

		redirects := redirecturl.NewClient(cfg)
		r, err := redirects.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("https://app.example/callback")})
		must(t, err)
		check(t, strings.HasPrefix(r.ID, "ru_") && r.URL == "https://app.example/callback", "redirect URL %+v", r)
		gr, err := redirects.Get(ctx, r.ID)
		must(t, err)
		check(t, gr.URL == r.URL, "got %+v", gr)
		rl, err := redirects.List(ctx, &redirecturl.ListParams{})
		must(t, err)
		check(t, rl.TotalCount == 1, "redirect URLs %d", rl.TotalCount)
		rd, err := redirects.Delete(ctx, r.ID)
		must(t, err)
		check(t, rd.ID == r.ID && rd.Deleted, "deleted %+v", rd)

		wait := waitlistentry.NewClient(cfg)
		w, err := wait.Create(ctx, &waitlistentry.CreateParams{EmailAddress: "dodo@example.com"})
		must(t, err)
		check(t, w.EmailAddress == "dodo@example.com" && w.Status == "pending", "waitlist entry %+v", w)
		wl, err := wait.List(ctx, &waitlistentry.ListParams{Statuses: []string{"pending"}})
		must(t, err)
		check(t, wl.TotalCount == 1 && wl.WaitlistEntries[0].ID == w.ID, "waitlist %+v", wl)
	})

	t.Run("sign-in, testing and actor tokens", func(t *testing.T) {
		sit, err := signintoken.NewClient(cfg).Create(ctx, &signintoken.CreateParams{UserID: clerk.String(alice.ID), ExpiresInSeconds: clerk.Int64(600)})
		must(t, err)
		check(t, sit.UserID == alice.ID && sit.Status == "pending" && sit.Token != "" && sit.URL != nil, "sign-in token %+v", sit)
		rs, err := signintoken.NewClient(cfg).Revoke(ctx, sit.ID)
		must(t, err)
		check(t, rs.Status == "revoked", "revoked status %s", rs.Status)

		tt, err := testingtoken.NewClient(cfg).Create(ctx)
		must(t, err)
		check(t, tt.Token != "" && tt.ExpiresAt > time.Now().Unix(), "testing token %+v", tt)

		at, err := actortoken.NewClient(cfg).Create(ctx, &actortoken.CreateParams{UserID: clerk.String("user_demo_member"),
			Actor: json.RawMessage(`{"sub":"user_demo_admin"}`), ExpiresInSeconds: clerk.Int64(600)})
		must(t, err)
		check(t, at.UserID == "user_demo_member" && at.Status == "pending" && at.Token != "", "actor token %+v", at)
		sameJSON(t, "actor", at.Actor, `{"sub":"user_demo_admin"}`)
		ra, err := actortoken.NewClient(cfg).Revoke(ctx, at.ID)
		must(t, err)
		check(t, ra.Status == "revoked", "revoked status %s", ra.Status)
	})

	t.Run("domains", func(t *testing.T) {
		dl, err := domain.NewClient(cfg).List(ctx, &domain.ListParams{})
		must(t, err)
		check(t, dl.TotalCount >= 1 && len(dl.Domains) >= 1 && dl.Domains[0].Name != "" && dl.Domains[0].FrontendAPIURL != "", "domains %+v", dl)
	})

	t.Run("machines, scopes, M2M tokens", func(t *testing.T) {
		machines := machine.NewClient(cfg)
		worker, err := machines.Create(ctx, &machine.CreateParams{Name: "worker", DefaultTokenTTL: clerk.Int64(600)})
		must(t, err)
		check(t, strings.HasPrefix(worker.ID, "mch_") && worker.Name == "worker" && worker.DefaultTokenTTL == 600 &&
			strings.HasPrefix(worker.SecretKey, "ak_"), "machine %+v", worker.MachineWithScopedMachines.Machine)
		api, err := machines.Create(ctx, &machine.CreateParams{Name: "api"})
		must(t, err)
		sc, err := machinescope.NewClient(cfg).CreateScope(ctx, worker.ID, &machinescope.CreateScopeParams{ToMachineID: api.ID})
		must(t, err)
		check(t, sc.FromMachineID == worker.ID && sc.ToMachineID == api.ID, "scope %+v", sc)
		gm, err := machines.Get(ctx, worker.ID)
		must(t, err)
		check(t, len(gm.ScopedMachines) == 1 && gm.ScopedMachines[0].ID == api.ID, "scoped machines %+v", gm.ScopedMachines)
		um, err := machines.Update(ctx, worker.ID, &machine.UpdateParams{Name: clerk.String("worker-2")})
		must(t, err)
		check(t, um.Name == "worker-2", "updated name %s", um.Name)
		sk, err := machines.GetSecretKey(ctx, worker.ID)
		must(t, err)
		check(t, sk.Secret == worker.SecretKey, "secret key differs from the one created")
		ml, err := machines.List(ctx, &machine.ListParams{Query: clerk.String("worker")})
		must(t, err)
		check(t, ml.TotalCount == 1 && ml.Machines[0].ID == worker.ID, "machines %+v", ml)

		// M2M tokens are created with the machine's own secret key.
		m2m := m2m_token.NewClient(config(worker.SecretKey))
		tok, err := m2m.Create(ctx, &m2m_token.CreateParams{SecondsUntilExpiration: clerk.Int64(300)})
		must(t, err)
		check(t, tok.Subject == worker.ID && strings.HasPrefix(tok.Token, "mt_") && slices.Contains(tok.Scopes, api.ID), "m2m token %+v", tok.M2MToken)
		v, err := m2m_token.NewClient(config(api.SecretKey)).Verify(ctx, &m2m_token.VerifyParams{Token: tok.Token})
		must(t, err)
		check(t, v.ID == tok.ID && v.Subject == worker.ID && !v.Revoked, "verified %+v", v)
		tl, err := m2m_token.NewClient(cfg).List(ctx, &m2m_token.ListParams{Subject: clerk.String(worker.ID)})
		must(t, err)
		check(t, tl.TotalCount == 1 && tl.M2MTokens[0].ID == tok.ID, "m2m tokens %+v", tl)
		rv, err := m2m.Revoke(ctx, tok.ID, &m2m_token.RevokeParams{RevocationReason: clerk.String("rotated")})
		must(t, err)
		check(t, rv.Revoked && rv.RevocationReason != nil && *rv.RevocationReason == "rotated", "revoked %+v", rv)

		ds, err := machinescope.NewClient(cfg).DeleteScope(ctx, worker.ID, api.ID)
		must(t, err)
		check(t, ds.Deleted && ds.ToMachineID == api.ID, "deleted scope %+v", ds)
		for _, id := range []string{worker.ID, api.ID} {
			d, err := machines.Delete(ctx, id)
			must(t, err)
			check(t, d.ID == id && d.Deleted, "deleted %+v", d)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

// apiErr checks that err is clerk-sdk-go's API error of status and code.
func apiErr(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *clerk.APIErrorResponse
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *clerk.APIErrorResponse", err, err)
	}
	if e.HTTPStatusCode != status || len(e.Errors) == 0 || e.Errors[0].Code != code {
		t.Fatalf("error %s: want status %d, code %s", e.Error(), status, code)
	}
}

func rawJSON(s string) *json.RawMessage { r := json.RawMessage(s); return &r }

// sameJSON compares two JSON values, ignoring spelling.
func sameJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("%s = %s, want %s", what, gb, wb)
	}
}

// jwtClaims decodes a JWT's payload (the signature is the emulator's
// business; the verifier tests check it).
func jwtClaims(t *testing.T, tok string) map[string]any { return jwtPart(t, tok, 1) }

func jwtHeader(t *testing.T, tok string) map[string]any { return jwtPart(t, tok, 0) }

func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// bytesFile is b as the multipart.File clerk-sdk-go uploads.
func bytesFile(b []byte) multipart.File { return nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
