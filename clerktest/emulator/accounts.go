// A user's other records: web3 wallets (POST /v1/users web3_wallet, or
// seeded), external OAuth accounts with their access tokens, passkeys and
// trusted devices (seeded: the Server has no OAuth, WebAuthn or device
// enrolment flows), and the endpoints that read or delete them.

package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

func (s *Server) registerAccountRoutes() {
	s.handle("DELETE /v1/users/{user_id}/web3_wallets/{web3_wallet_identification_id}", s.deleteWeb3Wallet)
	s.handle("DELETE /v1/users/{user_id}/external_accounts/{external_account_id}", s.deleteExternalAccount)
	s.handle("DELETE /v1/users/{user_id}/passkeys/{passkey_identification_id}", s.deletePasskey)
	s.handle("GET /v1/users/{user_id}/oauth_access_tokens/{provider}", s.listOAuthAccessTokens)
	s.handle("GET /v1/users/{user_id}/trusted_devices", s.listTrustedDevices)
	s.handle("DELETE /v1/users/{user_id}/trusted_devices/{trusted_device_id}", s.revokeTrustedDevice)
}

// web3Rec is a web3 wallet of a user, verified by the admin.
type web3Rec struct {
	id        string
	address   string // lower case
	createdAt time.Time
}

// accountRec is an external (OAuth) account of a user.
type accountRec struct {
	id, identificationID string
	provider             string // oauth_<name>
	providerUserID       string
	email                string
	firstName, lastName  string
	username             string
	scopes               []string
	token                string // the provider's access token
	createdAt            time.Time
}

// passkeyRec is a passkey of a user.
type passkeyRec struct {
	id, name   string
	lastUsedAt time.Time
}

// deviceRec is a trusted device of a user.
type deviceRec struct {
	id, platform, appID, name string
	revokedAt, lastUsedAt     time.Time
	createdAt, updatedAt      time.Time
}

// checkWeb3Free lower-cases addr and requires it to be an Ethereum
// address (web3Pattern) no user has.
func (st *state) checkWeb3Free(addr string) (string, *apiError) {
	if !web3Pattern.MatchString(addr) {
		return "", errFormat("web3_wallet", "web3_wallet must be an Ethereum address, 0x and 40 hexadecimal digits.")
	}
	a := strings.ToLower(addr)
	for _, u := range st.users {
		if slices.ContainsFunc(u.web3, func(w *web3Rec) bool { return w.address == a }) {
			return "", errTaken("web3_wallet", "web3 wallet")
		}
	}
	return a, nil
}

type web3JSON struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Web3Wallet   string            `json:"web3_wallet"`
	Verification *verificationJSON `json:"verification"`
	CreatedAt    int64             `json:"created_at"`
	UpdatedAt    int64             `json:"updated_at"`
}

type oauthVerificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int   `json:"attempts"`
	ExpireAt int64  `json:"expire_at"`
}

type accountJSON struct {
	Object               string                `json:"object"`
	ID                   string                `json:"id"`
	Provider             string                `json:"provider"`
	IdentificationID     string                `json:"identification_id"`
	ProviderUserID       string                `json:"provider_user_id"`
	ApprovedScopes       string                `json:"approved_scopes"`
	EmailAddress         string                `json:"email_address"`
	EmailAddressVerified *bool                 `json:"email_address_verified"`
	FirstName            string                `json:"first_name"`
	LastName             string                `json:"last_name"`
	ImageURL             *string               `json:"image_url"`
	Username             *string               `json:"username"`
	PhoneNumber          *string               `json:"phone_number"`
	PublicMetadata       json.RawMessage       `json:"public_metadata"`
	Label                *string               `json:"label"`
	CreatedAt            int64                 `json:"created_at"`
	UpdatedAt            int64                 `json:"updated_at"`
	Verification         oauthVerificationJSON `json:"verification"`
}

type passkeyVerificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int   `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

type passkeyJSON struct {
	ID           string                  `json:"id"`
	Object       string                  `json:"object"`
	Name         string                  `json:"name"`
	LastUsedAt   int64                   `json:"last_used_at"`
	Verification passkeyVerificationJSON `json:"verification"`
}

// accountsJSON are the web3_wallets, external_accounts and passkeys of a
// User.
func accountsJSON(u *userRec) (web3, accounts, passkeys []any) {
	web3, accounts, passkeys = []any{}, []any{}, []any{}
	for _, w := range u.web3 {
		web3 = append(web3, web3JSON{ID: w.id, Object: "web3_wallet", Web3Wallet: w.address, Verification: adminVerification(),
			CreatedAt: ms(w.createdAt), UpdatedAt: ms(w.createdAt)})
	}
	for _, a := range u.accounts {
		verified := true
		j := accountJSON{
			Object: "external_account", ID: a.id, Provider: a.provider, IdentificationID: a.identificationID,
			ProviderUserID: a.providerUserID, ApprovedScopes: strings.Join(a.scopes, " "), EmailAddress: a.email,
			EmailAddressVerified: &verified, FirstName: a.firstName, LastName: a.lastName,
			PublicMetadata: json.RawMessage("{}"), CreatedAt: ms(a.createdAt), UpdatedAt: ms(a.createdAt),
			Verification: oauthVerificationJSON{Object: "verification_oauth", Status: "verified", Strategy: a.provider,
				ExpireAt: ms(a.createdAt.Add(codeLifetime))},
		}
		if a.username != "" {
			j.Username = &a.username
		}
		accounts = append(accounts, j)
	}
	for _, p := range u.passkeys {
		passkeys = append(passkeys, passkeyJSON{ID: p.id, Object: "passkey", Name: p.name, LastUsedAt: ms(p.lastUsedAt),
			Verification: passkeyVerificationJSON{Object: "verification_passkey", Status: "verified", Strategy: "passkey"}})
	}
	return web3, accounts, passkeys
}

// deleteUserRecord removes the record of u that has the path's id param
// (user.updated), answering {object, id, deleted}.
func deleteUserRecord[T any](c *call, u *userRec, param, object, kind string, list *[]*T, id func(*T) string, after func(*T)) (any, *apiError) {
	want := c.r.PathValue(param)
	i := slices.IndexFunc(*list, func(r *T) bool { return id(r) == want })
	if i < 0 {
		return nil, errNotFound(kind, want)
	}
	r := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	if after != nil {
		after(r)
	}
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return deletedJSON{Object: object, ID: want, Deleted: true}, nil
}

// deleteWeb3Wallet is DELETE /v1/users/{user_id}/web3_wallets/{id}.
func (s *Server) deleteWeb3Wallet(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	return deleteUserRecord(c, u, "web3_wallet_identification_id", "web3_wallet", "web3 wallet", &u.web3,
		func(w *web3Rec) string { return w.id }, func(w *web3Rec) {
			if u.primaryWeb3ID == w.id {
				u.primaryWeb3ID = ""
			}
		})
}

// deleteExternalAccount is DELETE /v1/users/{user_id}/external_accounts/{id}:
// its access tokens go with it.
func (s *Server) deleteExternalAccount(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	return deleteUserRecord(c, u, "external_account_id", "external_account", "external account", &u.accounts,
		func(a *accountRec) string { return a.id }, nil)
}

// deletePasskey is DELETE /v1/users/{user_id}/passkeys/{id}.
func (s *Server) deletePasskey(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	return deleteUserRecord(c, u, "passkey_identification_id", "passkey", "passkey", &u.passkeys,
		func(p *passkeyRec) string { return p.id }, nil)
}

type oauthAccessTokenJSON struct {
	Object            string          `json:"object"`
	ExternalAccountID string          `json:"external_account_id"`
	ProviderUserID    string          `json:"provider_user_id"`
	Token             string          `json:"token"`
	ExpiresAt         *int64          `json:"expires_at"`
	Provider          string          `json:"provider"`
	PublicMetadata    json.RawMessage `json:"public_metadata"`
	Label             *string         `json:"label"`
	Scopes            []string        `json:"scopes,omitempty"`
}

// listOAuthAccessTokens is GET /v1/users/{user_id}/oauth_access_tokens/
// {provider}: the access tokens of the user's external accounts of the
// provider ("oauth_google"; "google" is read as it), oldest first, a bare
// array or with paginated=true (as clerk-sdk-go asks) {data,
// total_count}. The tokens never expire (expires_at null): the Server
// refreshes nothing.
func (s *Server) listOAuthAccessTokens(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	provider := c.r.PathValue("provider")
	if !strings.HasPrefix(provider, "oauth_") {
		provider = "oauth_" + provider
	}
	var accounts []*accountRec
	for _, a := range u.accounts {
		if a.provider == provider && a.token != "" {
			accounts = append(accounts, a)
		}
	}
	return listOrPage(c, accounts, func(a *accountRec) oauthAccessTokenJSON {
		return oauthAccessTokenJSON{Object: "oauth_access_token", ExternalAccountID: a.id, ProviderUserID: a.providerUserID,
			Token: a.token, Provider: a.provider, PublicMetadata: json.RawMessage("{}"), Scopes: a.scopes}
	})
}

type deviceJSON struct {
	Object        string  `json:"object"`
	ID            string  `json:"id"`
	Platform      string  `json:"platform"`
	AppIdentifier string  `json:"app_identifier"`
	Name          *string `json:"name"`
	Algorithm     string  `json:"algorithm"`
	Status        string  `json:"status"`
	CreatedAt     int64   `json:"created_at"`
	UpdatedAt     int64   `json:"updated_at"`
	LastUsedAt    *int64  `json:"last_used_at"`
	RevokedAt     *int64  `json:"revoked_at"`
}

func (d *deviceRec) json() deviceJSON {
	j := deviceJSON{Object: "trusted_device", ID: d.id, Platform: d.platform, AppIdentifier: d.appID, Algorithm: "ES256",
		Status: "active", CreatedAt: ms(d.createdAt), UpdatedAt: ms(d.updatedAt), LastUsedAt: msPtr(d.lastUsedAt), RevokedAt: msPtr(d.revokedAt)}
	if d.name != "" {
		j.Name = &d.name
	}
	if !d.revokedAt.IsZero() {
		j.Status = "revoked"
	}
	return j
}

// listTrustedDevices is GET /v1/users/{user_id}/trusted_devices: the
// user's active trusted devices, oldest first, {data, total_count}.
func (s *Server) listTrustedDevices(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	out := listResponse[deviceJSON]{Data: []deviceJSON{}}
	for _, d := range u.devices {
		if d.revokedAt.IsZero() {
			out.Data = append(out.Data, d.json())
		}
	}
	out.TotalCount = len(out.Data)
	return out, nil
}

// revokeTrustedDevice is DELETE /v1/users/{user_id}/trusted_devices/{id}:
// the device, revoked; 404 for a device already revoked, as it is no
// longer an active one.
func (s *Server) revokeTrustedDevice(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	id := c.r.PathValue("trusted_device_id")
	for _, d := range u.devices {
		if d.id == id && d.revokedAt.IsZero() {
			d.revokedAt, d.updatedAt = c.now, c.now
			return d.json(), nil
		}
	}
	return nil, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: "No active trusted device was found with id " + id}
}
