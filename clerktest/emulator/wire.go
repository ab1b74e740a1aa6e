// The wire format: Clerk's JSON encodings of the records, field for
// field as in the Backend API spec (2025-04-10).

package emulator

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

// imageURL is the default-image URL Clerk gives users and organizations
// without an image of their own.
func (st *state) imageURL(id string) string {
	b, _ := json.Marshal(map[string]string{"type": "default", "iid": st.instanceID, "rid": id})
	return "https://img.clerk.com/" + base64.RawURLEncoding.EncodeToString(b)
}

type verificationJSON struct {
	Object   string  `json:"object"`
	Status   string  `json:"status"`
	Strategy string  `json:"strategy"`
	Attempts *int    `json:"attempts"`
	ExpireAt *int64  `json:"expire_at"`
	Channel  *string `json:"channel,omitempty"` // phone codes (identifiers.go)
}

type emailJSON struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	EmailAddress         string            `json:"email_address"`
	Reserved             bool              `json:"reserved"`
	Verification         *verificationJSON `json:"verification"`
	LinkedTo             []any             `json:"linked_to"`
	MatchesSSOConnection bool              `json:"matches_sso_connection"`
	CreatedAt            int64             `json:"created_at"`
	UpdatedAt            int64             `json:"updated_at"`
}

type userJSON struct {
	ID                            string          `json:"id"`
	Object                        string          `json:"object"`
	ExternalID                    *string         `json:"external_id"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	Locale                        *string         `json:"locale"`
	ProfileImageURL               string          `json:"profile_image_url"`
	ImageURL                      string          `json:"image_url"`
	HasImage                      bool            `json:"has_image"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	EmailAddresses                []emailJSON     `json:"email_addresses"`
	PhoneNumbers                  []any           `json:"phone_numbers"`
	Web3Wallets                   []any           `json:"web3_wallets"`
	Passkeys                      []any           `json:"passkeys"`
	PasswordEnabled               bool            `json:"password_enabled"`
	TwoFactorEnabled              bool            `json:"two_factor_enabled"`
	TOTPEnabled                   bool            `json:"totp_enabled"`
	BackupCodeEnabled             bool            `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64          `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64          `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt         *int64          `json:"password_last_updated_at"`
	ExternalAccounts              []any           `json:"external_accounts"`
	SAMLAccounts                  []any           `json:"saml_accounts"`
	EnterpriseAccounts            []any           `json:"enterprise_accounts"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64          `json:"verification_attempts_remaining"`
	UpdatedAt                     int64           `json:"updated_at"`
	CreatedAt                     int64           `json:"created_at"`
	DeleteSelfEnabled             bool            `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int            `json:"create_organizations_limit"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	LegalAcceptedAt               *int64          `json:"legal_accepted_at"`
	BypassClientTrust             bool            `json:"bypass_client_trust"`
}

// maxVerificationAttempts is verification_attempts_remaining of a user
// who has not failed any: Clerk's default lockout threshold.
const maxVerificationAttempts = 100

func (st *state) userJSON(u *userRec, now time.Time) userJSON {
	emails, phones := st.identifiersJSON(u, now)
	var primary, primaryPhone *string
	if u.primaryEmailID != "" {
		primary = &u.primaryEmailID
	}
	if u.primaryPhoneID != "" {
		primaryPhone = &u.primaryPhoneID
	}
	var primaryWeb3 *string
	if u.primaryWeb3ID != "" {
		primaryWeb3 = &u.primaryWeb3ID
	}
	web3, accounts, passkeys := accountsJSON(u)
	img := st.userImageURL(u)
	attempts := int64(maxVerificationAttempts)
	locked, lockout := u.locked(now)
	var lastActive *int64
	if !u.lastActiveAt.IsZero() {
		day := u.lastActiveAt.UTC().Truncate(24 * time.Hour) // Clerk keeps day precision
		lastActive = msPtr(day)
	}
	return userJSON{
		ID: u.id, Object: "user", ExternalID: u.externalID, PrimaryEmailAddressID: primary, PrimaryPhoneNumberID: primaryPhone, PrimaryWeb3WalletID: primaryWeb3,
		Username: u.username, FirstName: u.firstName, LastName: u.lastName, Locale: u.locale,
		ProfileImageURL: img, ImageURL: img, HasImage: u.imageURL != "",
		PublicMetadata: u.public, PrivateMetadata: u.private, UnsafeMetadata: u.unsafe,
		EmailAddresses: emails, PhoneNumbers: phones, Web3Wallets: web3, Passkeys: passkeys,
		PasswordEnabled: u.passwordEnabled, PasswordLastUpdatedAt: msPtr(u.passwordUpdated),
		TwoFactorEnabled: u.twoFactorEnabled(), TOTPEnabled: u.totpEnabled(), BackupCodeEnabled: len(u.backupCodes) > 0,
		MFAEnabledAt: msPtr(u.mfaEnabledAt), MFADisabledAt: msPtr(u.mfaDisabledAt),
		ExternalAccounts: accounts, SAMLAccounts: []any{}, EnterpriseAccounts: []any{},
		LastSignInAt: msPtr(u.lastSignInAt), Banned: u.banned, Locked: locked,
		LockoutExpiresInSeconds: lockout, VerificationAttemptsRemaining: &attempts,
		UpdatedAt: ms(u.updatedAt), CreatedAt: ms(u.createdAt),
		DeleteSelfEnabled: u.deleteSelf, CreateOrganizationEnabled: u.createOrg,
		CreateOrganizationsLimit: u.createOrgsLimit, LastActiveAt: lastActive,
		LegalAcceptedAt: msPtr(u.legalAcceptedAt), BypassClientTrust: u.bypassTrust,
	}
}

type orgJSON struct {
	Object                  string          `json:"object"`
	ID                      string          `json:"id"`
	Name                    string          `json:"name"`
	Slug                    string          `json:"slug"`
	ImageURL                string          `json:"image_url"`
	HasImage                bool            `json:"has_image"`
	MembersCount            *int            `json:"members_count,omitempty"`
	PendingInvitationsCount *int            `json:"pending_invitations_count,omitempty"`
	MaxAllowedMemberships   int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled      bool            `json:"admin_delete_enabled"`
	PublicMetadata          json.RawMessage `json:"public_metadata"`
	PrivateMetadata         json.RawMessage `json:"private_metadata"`
	CreatedBy               string          `json:"created_by,omitempty"`
	CreatedAt               int64           `json:"created_at"`
	UpdatedAt               int64           `json:"updated_at"`
}

func (st *state) orgJSON(o *orgRec, withCounts bool, now time.Time) orgJSON {
	j := orgJSON{
		Object: "organization", ID: o.id, Name: o.name, Slug: o.slug, ImageURL: st.imageURL(o.id),
		MaxAllowedMemberships: o.maxMembers, AdminDeleteEnabled: o.adminDelete,
		PublicMetadata: o.public, PrivateMetadata: o.private, CreatedBy: o.createdBy,
		CreatedAt: ms(o.createdAt), UpdatedAt: ms(o.updatedAt),
	}
	if o.logoURL != "" {
		j.ImageURL, j.HasImage = o.logoURL, true
	}
	if withCounts {
		n := len(st.members[o.id])
		pending := 0
		for _, inv := range st.invitations {
			if inv.orgID == o.id && inv.statusAt(now) == "pending" {
				pending++
			}
		}
		j.MembersCount, j.PendingInvitationsCount = &n, &pending
	}
	return j
}

type publicUserDataJSON struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ProfileImageURL *string `json:"profile_image_url"`
	ImageURL        string  `json:"image_url"`
	HasImage        bool    `json:"has_image"`
	Identifier      *string `json:"identifier"`
	Username        *string `json:"username"`
	Banned          bool    `json:"banned"`
}

type membershipJSON struct {
	Object          string             `json:"object"`
	ID              string             `json:"id"`
	Role            string             `json:"role"`
	RoleName        string             `json:"role_name"`
	Permissions     []string           `json:"permissions"`
	PublicMetadata  json.RawMessage    `json:"public_metadata"`
	PrivateMetadata json.RawMessage    `json:"private_metadata"`
	Organization    orgJSON            `json:"organization"`
	PublicUserData  publicUserDataJSON `json:"public_user_data"`
	CreatedAt       int64              `json:"created_at"`
	UpdatedAt       int64              `json:"updated_at"`
}

func (st *state) membershipJSON(m *memberRec, now time.Time) membershipJSON {
	role := st.roles[m.role]
	roleName, perms := m.role, []string{}
	if role != nil {
		roleName, perms = role.name, role.permissions()
	}
	u := st.users[m.userID]
	img := st.imageURL(u.id)
	ident := u.identifier()
	return membershipJSON{
		Object: "organization_membership", ID: m.id, Role: m.role, RoleName: roleName, Permissions: perms,
		PublicMetadata: m.public, PrivateMetadata: m.private,
		Organization: st.orgJSON(st.orgs[m.orgID], false, now),
		PublicUserData: publicUserDataJSON{
			UserID: u.id, FirstName: u.firstName, LastName: u.lastName, ProfileImageURL: &img,
			ImageURL: img, Identifier: &ident, Username: u.username, Banned: u.banned,
		},
		CreatedAt: ms(m.createdAt), UpdatedAt: ms(m.updatedAt),
	}
}

type inviterJSON struct {
	UserID     string  `json:"user_id"`
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
}

type publicOrgJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url"`
	HasImage bool   `json:"has_image"`
}

type invitationJSON struct {
	Object                 string          `json:"object"`
	ID                     string          `json:"id"`
	EmailAddress           string          `json:"email_address"`
	Role                   string          `json:"role"`
	RoleName               string          `json:"role_name"`
	OrganizationID         string          `json:"organization_id"`
	InviterID              *string         `json:"inviter_id"`
	PublicInviterData      *inviterJSON    `json:"public_inviter_data"`
	Status                 string          `json:"status"`
	PublicMetadata         json.RawMessage `json:"public_metadata"`
	PrivateMetadata        json.RawMessage `json:"private_metadata"`
	URL                    *string         `json:"url"`
	ExpiresAt              *int64          `json:"expires_at"`
	CreatedAt              int64           `json:"created_at"`
	UpdatedAt              int64           `json:"updated_at"`
	PublicOrganizationData *publicOrgJSON  `json:"public_organization_data,omitempty"`
}

func (st *state) invitationJSON(inv *invRec, withOrg bool, now time.Time) invitationJSON {
	roleName := inv.role
	if r := st.roles[inv.role]; r != nil {
		roleName = r.name
	}
	j := invitationJSON{
		Object: "organization_invitation", ID: inv.id, EmailAddress: inv.email, Role: inv.role, RoleName: roleName,
		OrganizationID: inv.orgID, Status: inv.statusAt(now), PublicMetadata: inv.public, PrivateMetadata: inv.private,
		ExpiresAt: msPtr(inv.expiresAt), CreatedAt: ms(inv.createdAt), UpdatedAt: ms(inv.updatedAt),
	}
	if inv.inviterID != "" {
		id := inv.inviterID
		j.InviterID = &id
		if u := st.users[id]; u != nil {
			j.PublicInviterData = &inviterJSON{
				UserID: u.id, FirstName: u.firstName, LastName: u.lastName, ImageURL: st.imageURL(u.id),
				Identifier: u.identifier(),
			}
		}
	}
	if withOrg {
		if o := st.orgs[inv.orgID]; o != nil {
			j.PublicOrganizationData = &publicOrgJSON{ID: o.id, Name: o.name, Slug: o.slug, ImageURL: st.imageURL(o.id)}
		}
	}
	return j
}

type sessionJSON struct {
	Object                   string  `json:"object"`
	ID                       string  `json:"id"`
	UserID                   string  `json:"user_id"`
	ClientID                 string  `json:"client_id"`
	Actor                    any     `json:"actor"`
	Status                   string  `json:"status"`
	LastActiveOrganizationID *string `json:"last_active_organization_id"`
	LastActiveAt             int64   `json:"last_active_at"`
	LatestActivity           any     `json:"latest_activity"`
	ExpireAt                 int64   `json:"expire_at"`
	AbandonAt                int64   `json:"abandon_at"`
	UpdatedAt                int64   `json:"updated_at"`
	CreatedAt                int64   `json:"created_at"`
}

func (st *state) sessionJSON(se *sessRec, now time.Time) sessionJSON {
	var org *string
	if se.activeOrg != "" {
		o := se.activeOrg
		org = &o
	}
	return sessionJSON{
		Object: "session", ID: se.id, UserID: se.userID, ClientID: se.clientID, Status: se.statusAt(now), Actor: actorJSON(se.actor),
		LastActiveOrganizationID: org, LastActiveAt: ms(se.lastActiveAt), ExpireAt: ms(se.expireAt),
		AbandonAt: ms(se.abandonAt), UpdatedAt: ms(se.updatedAt), CreatedAt: ms(se.createdAt),
	}
}

// listResponse is the {"data":[…],"total_count":N} shape.
type listResponse[T any] struct {
	Data       []T `json:"data"`
	TotalCount int `json:"total_count"`
}

// userImageURL is the user's profile image: its own, or Clerk's default.
func (st *state) userImageURL(u *userRec) string {
	if u.imageURL != "" {
		return u.imageURL
	}
	return st.imageURL(u.id)
}

// actorJSON is the actor member of a session: the impersonator's object,
// or null.
func actorJSON(actor json.RawMessage) any {
	if actor == nil {
		return nil
	}
	return actor
}
