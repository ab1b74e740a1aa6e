package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SeedData is data to load into a Server with Seed. It decodes from JSON
// (the keys are those of the Backend API), for example a file given to
// `clerkkit dev --seed FILE`:
//
//	{
//	  "roles": [{"key": "org:editor", "name": "Editor", "permissions": ["org:posts:edit"]}],
//	  "users": [{"id": "user_alice", "email_addresses": ["alice@example.com"], "first_name": "Alice",
//	             "public_metadata": {"plan": "pro"}},
//	            {"id": "user_bob", "email_addresses": ["bob@example.com"], "first_name": "Bob"}],
//	  "organizations": [{"id": "org_acme", "name": "Acme", "slug": "acme", "created_by": "user_alice"}],
//	  "memberships": [{"organization_id": "acme", "user_id": "user_bob", "role": "org:editor"}],
//	  "plans": [{"id": "cplan_pro", "name": "Pro", "payer_type": "user", "amount": 2000, "features": [{"name": "Exports"}]}],
//	  "subscriptions": [{"payer": "user_alice", "items": [{"plan": "pro"}]}],
//	  "redirect_urls": ["http://localhost:3000/callback"]
//	}
//
// Every resource group a local setup needs preloaded has a key: custom
// permissions, roles and role sets, users (with their email addresses,
// phone numbers, MFA, web3 wallets, external accounts, passkeys and
// trusted devices), organizations (with their domains), memberships,
// machines, API keys, JWT templates, Billing plans, subscriptions and
// discounts, satellite domains, OAuth applications, allowlist and
// blocklist identifiers, redirect URLs and waitlist entries. What the
// Backend API can create in one call but a seed cannot (sessions,
// invitations, tokens) is left to the API.
//
// Decoding is strict: a key that is not one of the fields' (a typo such as
// "email" for "email_addresses", or a different case) is a *SeedKeyError
// rather than silently ignored. Metadata values are free-form JSON objects.
type SeedData struct {
	// Roles are custom organization roles, or extra custom permissions
	// for the default roles org:admin and org:member.
	Roles []SeedRole `json:"roles,omitempty"`
	// Permissions are custom organization permissions, created before
	// Roles, which can then name them (a permission a role names that no
	// entry declares is created with its key as its name).
	Permissions []SeedPermission `json:"permissions,omitempty"`
	// Users are created first, in order (later ones are newer).
	Users []SeedUser `json:"users,omitempty"`
	// Organizations are created next, in order.
	Organizations []SeedOrganization `json:"organizations,omitempty"`
	// Memberships are created next.
	Memberships []SeedMembership `json:"memberships,omitempty"`
	// Machines are created next, in order (a machine can be scoped to
	// those before it).
	Machines []SeedMachine `json:"machines,omitempty"`
	// APIKeys are created last, for the users, organizations and machines
	// above or already there.
	APIKeys []SeedAPIKey `json:"api_keys,omitempty"`
	// JWTTemplates are JWT templates to create (see POST /jwt_templates).
	JWTTemplates []SeedJWTTemplate `json:"jwt_templates,omitempty"`
	// Plans are Billing plans for users or organizations (GET
	// /v1/commerce/plans), created after the above.
	Plans []SeedPlan `json:"plans,omitempty"`
	// Subscriptions are the Billing subscriptions of the users and
	// organizations above or already there, to the plans above or already
	// there.
	Subscriptions []SeedSubscription `json:"subscriptions,omitempty"`
	// Discounts are Billing discounts that can be applied to
	// subscription items (POST
	// /v1/billing/subscription_items/{id}/discounts).
	Discounts []SeedDiscount `json:"discounts,omitempty"`
	// RoleSets are role sets of the roles above, created right after them
	// (so that Organizations can use them).
	RoleSets []SeedRoleSet `json:"role_sets,omitempty"`
	// SatelliteDomains are the instance's satellite domains (POST
	// /v1/domains); this and the keys below are created last, in this
	// order.
	SatelliteDomains []SeedSatelliteDomain `json:"satellite_domains,omitempty"`
	// OAuthApplications are the instance's OAuth applications.
	OAuthApplications []SeedOAuthApplication `json:"oauth_applications,omitempty"`
	// AllowlistIdentifiers and BlocklistIdentifiers are email addresses,
	// "*@domain" patterns, E.164 phone numbers or web3 wallets that may
	// (or may not) sign up.
	AllowlistIdentifiers []string `json:"allowlist_identifiers,omitempty"`
	BlocklistIdentifiers []string `json:"blocklist_identifiers,omitempty"`
	// RedirectURLs are the instance's redirect URLs (native app schemes
	// such as myapp://callback included).
	RedirectURLs []string `json:"redirect_urls,omitempty"`
	// WaitlistEntries are the waitlist's entries.
	WaitlistEntries []SeedWaitlistEntry `json:"waitlist_entries,omitempty"`
}

// SeedJWTTemplate is a JWT template to create, signed with the instance's
// key (custom signing keys are for the Backend API).
type SeedJWTTemplate struct {
	// ID is the template's id, which must start with "jtmp_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Name is required and unique; sessions mint tokens from it with POST
	// /v1/sessions/{id}/tokens/{name}.
	Name string `json:"name"`
	// Claims is a JSON object of claims with shortcodes such as
	// "{{user.primary_email_address}}"; required.
	Claims json.RawMessage `json:"claims"`
	// Lifetime is the tokens' lifetime in seconds (30..315360000). Default
	// 60.
	Lifetime int64 `json:"lifetime,omitempty"`
	// AllowedClockSkew is subtracted from iat for nbf, in seconds
	// (0..300). Default 5.
	AllowedClockSkew *int64 `json:"allowed_clock_skew,omitempty"`
}

// UnmarshalJSON decodes seed data strictly: every object key must be one
// of the corresponding struct's JSON keys, exactly; otherwise it returns a
// *SeedKeyError naming the key and where it is.
func (d *SeedData) UnmarshalJSON(b []byte) error {
	if err := checkSeedKeys(b, reflect.TypeFor[SeedData](), ""); err != nil {
		return err
	}
	type plain SeedData // without this method
	return json.Unmarshal(b, (*plain)(d))
}

// SeedKeyError reports a key in seed data that SeedData does not have.
type SeedKeyError struct {
	// Key is the unknown key, e.g. "email".
	Key string
	// Path is where the object with the key is, e.g. "users[1]"; "" is
	// the top level.
	Path string
	// Known are the keys allowed there.
	Known []string
}

// Error returns e.g. `emulator: seed data: unknown key "email" in
// users[1] (known keys: id, email_addresses, …)`.
func (e *SeedKeyError) Error() string {
	return "emulator: seed data: " + e.Detail()
}

// Detail is Error without the package prefix, for tools that name the
// file themselves.
func (e *SeedKeyError) Detail() string {
	where := "at the top level"
	if e.Path != "" {
		where = "in " + e.Path
	}
	return fmt.Sprintf("unknown key %q %s (known keys: %s)", e.Key, where, strings.Join(e.Known, ", "))
}

// checkSeedKeys returns a *SeedKeyError for the first key of raw (arrays
// in order, an object's keys sorted) that t, a seed type, does not have. Malformed JSON and mismatched types are left
// to json.Unmarshal to report.
func checkSeedKeys(raw json.RawMessage, t reflect.Type, path string) error {
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		fields := map[string]reflect.Type{}
		var known []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
			known = append(known, name)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			ft, ok := fields[k]
			if !ok {
				return &SeedKeyError{Key: k, Path: path, Known: known}
			}
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if err := checkSeedKeys(obj[k], ft, sub); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage: free-form
			return nil
		}
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return nil
		}
		for i, el := range arr {
			if err := checkSeedKeys(el, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// SeedRole is an organization role. Tokens of members with the role carry
// its permissions (system permissions, org:sys_*, are never seeded: the
// default roles have Clerk's).
type SeedRole struct {
	// Key is the role key, "org:<name>", e.g. "org:editor". Seeding
	// "org:admin" or "org:member" adds Permissions to that default role
	// (and renames it when Name is set).
	Key string `json:"key"`
	// Name is the display name (role_name), e.g. "Editor". Default: Key
	// without "org:".
	Name string `json:"name,omitempty"`
	// Permissions are custom permissions, "org:<feature>:<permission>".
	Permissions []string `json:"permissions,omitempty"`
	// Description is the role's description; empty means null.
	Description string `json:"description,omitempty"`
}

// SeedUser is a user to create.
type SeedUser struct {
	// ID is the user id, which must start with "user_". Default: a random
	// one.
	ID string `json:"id,omitempty"`
	// EmailAddresses are the verified email addresses; the first is the
	// primary one.
	EmailAddresses []string `json:"email_addresses,omitempty"`
	// UnverifiedEmailAddresses are more email addresses, not verified
	// (see POST /v1/email_addresses/{id}/prepare_verification).
	UnverifiedEmailAddresses []string `json:"unverified_email_addresses,omitempty"`
	// PhoneNumbers are the verified phone numbers, in E.164 format
	// ("+15555550100"); the first is the primary one.
	PhoneNumbers []string `json:"phone_numbers,omitempty"`
	// UnverifiedPhoneNumbers are more phone numbers, not verified.
	UnverifiedPhoneNumbers []string `json:"unverified_phone_numbers,omitempty"`
	// TOTPSecret, a base32 secret of at least 16 characters, enables TOTP
	// (RFC 6238: 30-second steps, six digits, SHA-1) as a second factor:
	// POST /v1/users/{id}/verify_totp accepts the codes an authenticator
	// app set up with it shows (see TOTPCode).
	TOTPSecret string `json:"totp_secret,omitempty"`
	// BackupCodes are the user's unused backup codes, each accepted once
	// by verify_totp.
	BackupCodes []string `json:"backup_codes,omitempty"`
	// Web3Wallets are Ethereum addresses (0x and 40 hexadecimal digits),
	// verified; the first is the primary one.
	Web3Wallets []string `json:"web3_wallets,omitempty"`
	// ExternalAccounts are OAuth accounts the user signed in with (the
	// Server has no OAuth flow: they exist only seeded), whose access
	// tokens GET /v1/users/{id}/oauth_access_tokens/{provider} answers.
	ExternalAccounts []SeedExternalAccount `json:"external_accounts,omitempty"`
	// Passkeys are the user's passkeys (seeded only).
	Passkeys []SeedPasskey `json:"passkeys,omitempty"`
	// TrustedDevices are the user's active trusted devices (seeded only).
	TrustedDevices []SeedTrustedDevice `json:"trusted_devices,omitempty"`
	// Username must follow Clerk's rules (4 to 64 letters, digits, "-"
	// and "_"); it is stored in lower case.
	Username string `json:"username,omitempty"`
	// FirstName and LastName are the user's names; empty means null.
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	// ExternalID is the user's id in another system; it must be unique.
	ExternalID string `json:"external_id,omitempty"`
	// PublicMetadata, PrivateMetadata and UnsafeMetadata are JSON
	// objects; absent means {}.
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata,omitempty"`
	// Banned creates the user banned.
	Banned bool `json:"banned,omitempty"`
	// Password, at least 8 characters, lets the user sign in with the
	// primary email address and it on the hosted sign-in page (every
	// seeded user can also be chosen there without one). It is kept only
	// as a salted hash, never logged nor answered (password_enabled
	// becomes true).
	Password string `json:"password,omitempty"`
}

// SeedExternalAccount is an external (OAuth) account of a seeded user.
type SeedExternalAccount struct {
	// ID is the account's id, which must start with "eac_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Provider is the OAuth provider, "oauth_<name>" (e.g.
	// "oauth_google"); required.
	Provider string `json:"provider"`
	// ProviderUserID is the user's id at the provider; required.
	ProviderUserID string `json:"provider_user_id"`
	// EmailAddress, FirstName, LastName and Username are what the
	// provider tells of the user.
	EmailAddress string `json:"email_address,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	// Scopes are the approved scopes.
	Scopes []string `json:"scopes,omitempty"`
	// AccessToken is the provider's access token, answered by
	// oauth_access_tokens; empty: the account has none.
	AccessToken string `json:"access_token,omitempty"`
}

// SeedPasskey is a passkey of a seeded user.
type SeedPasskey struct {
	// ID is the passkey's id, which must start with "idn_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Name is required, e.g. "MacBook Touch ID".
	Name string `json:"name"`
}

// SeedTrustedDevice is a trusted device of a seeded user.
type SeedTrustedDevice struct {
	// ID is the device's id. Default: a random "td_…" one.
	ID string `json:"id,omitempty"`
	// Platform is "ios" or "android"; required.
	Platform string `json:"platform"`
	// AppIdentifier is the app's bundle or package id; required.
	AppIdentifier string `json:"app_identifier"`
	// Name is the device's name; empty means null.
	Name string `json:"name,omitempty"`
}

// SeedOrganization is an organization to create.
type SeedOrganization struct {
	// ID is the organization id, which must start with "org_". Default: a
	// random one.
	ID string `json:"id,omitempty"`
	// Name is required.
	Name string `json:"name"`
	// Slug defaults to one derived from Name.
	Slug string `json:"slug,omitempty"`
	// CreatedBy, a user id, makes that user an org:admin member.
	CreatedBy string `json:"created_by,omitempty"`
	// MaxAllowedMemberships limits the members; 0 is unlimited.
	MaxAllowedMemberships int `json:"max_allowed_memberships,omitempty"`
	// PublicMetadata and PrivateMetadata are JSON objects; absent means {}.
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	// RoleSetKey is the role set the organization uses (its members can
	// only have its roles); default: the initial one, role_set:default.
	RoleSetKey string `json:"role_set_key,omitempty"`
	// Domains are the organization's domains.
	Domains []SeedOrgDomain `json:"domains,omitempty"`
}

// SeedMembership makes a user a member of an organization.
type SeedMembership struct {
	// OrganizationID is the organization's id or slug.
	OrganizationID string `json:"organization_id"`
	// UserID is the member's user id.
	UserID string `json:"user_id"`
	// Role defaults to "org:member".
	Role string `json:"role,omitempty"`
	// PublicMetadata and PrivateMetadata are JSON objects; absent means {}.
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
}

// SeedMachine is a machine to create (see POST /machines).
type SeedMachine struct {
	// ID is the machine id, which must start with "mch_". Default: a
	// random one. (Clerk's ids, and the spec's patterns, have 27
	// characters after the prefix.)
	ID string `json:"id,omitempty"`
	// Name is required.
	Name string `json:"name"`
	// SecretKey is the machine's secret key, which must start with "ak_"
	// and be unique, so that a local setup can keep it in its
	// configuration. Default: a random one (GET
	// /machines/{id}/secret_key tells it).
	SecretKey string `json:"secret_key,omitempty"`
	// DefaultTokenTTL is the lifetime, in seconds, of its M2M tokens.
	// Default 3600.
	DefaultTokenTTL int64 `json:"default_token_ttl,omitempty"`
	// ScopedMachines are the ids of the machines (seeded before it or
	// already there) that it may call.
	ScopedMachines []string `json:"scoped_machines,omitempty"`
}

// SeedAPIKey is an API key to create (see POST /api_keys).
type SeedAPIKey struct {
	// ID is the key's id, "ak_" and 32 hex digits. Default: a random one.
	ID string `json:"id,omitempty"`
	// Secret is the key's secret, which must start with "ak_" and be
	// unique. Default: a random one (GET /api_keys/{id}/secret tells it).
	Secret string `json:"secret,omitempty"`
	// Name is required, at least 3 characters.
	Name string `json:"name"`
	// Subject is the user, organization or machine id the key acts as;
	// required.
	Subject string `json:"subject"`
	// Description is free text; empty means null.
	Description string `json:"description,omitempty"`
	// Scopes are the key's scopes, e.g. "projects:read".
	Scopes []string `json:"scopes,omitempty"`
	// Claims is a JSON object of custom claims; absent means null.
	Claims json.RawMessage `json:"claims,omitempty"`
	// CreatedBy is the id of the user who created the key; empty means
	// null.
	CreatedBy string `json:"created_by,omitempty"`
}

// Seed adds d to the Server, with the validation the Backend API applies
// to the same creations (unique email addresses and slugs, valid metadata,
// existing roles…). It adds all of d or, on an error, nothing.
func (s *Server) Seed(d SeedData) error {
	s.mu.Lock()
	defer s.unlock(nil)
	st, x := s.st.clone(), s.ext.clone()
	now := s.clock.Now()
	for i, sp := range d.Permissions {
		b := &permissionBody{Name: &sp.Name, Key: &sp.Key, Description: optString(sp.Description)}
		if _, e := st.addPermissionRec(b, now); e != nil {
			return fmt.Errorf("emulator: Seed: permissions[%d]: %w", i, e.err())
		}
	}
	for i, r := range d.Roles {
		if err := st.seedRole(r, now); err != nil {
			return fmt.Errorf("emulator: Seed: roles[%d]: %w", i, err)
		}
	}
	if err := s.seedRoleSets(st, d.RoleSets, now); err != nil {
		return fmt.Errorf("emulator: Seed: %w", err)
	}
	for i, su := range d.Users {
		if su.ID != "" && (!strings.HasPrefix(su.ID, "user_") || len(su.ID) == len("user_") || st.users[su.ID] != nil) {
			return fmt.Errorf("emulator: Seed: users[%d]: id %q must be new and start with user_", i, su.ID)
		}
		b := &createUserBody{
			id: su.ID, EmailAddress: slices.Clone(su.EmailAddresses), Username: optString(su.Username),
			FirstName: optString(su.FirstName), LastName: optString(su.LastName), ExternalID: optString(su.ExternalID),
			PublicMetadata: su.PublicMetadata, PrivateMetadata: su.PrivateMetadata, UnsafeMetadata: su.UnsafeMetadata,
			Banned: &su.Banned,
		}
		if su.Password != "" {
			b.Password = &su.Password
		}
		b.PhoneNumber = slices.Clone(su.PhoneNumbers)
		b.TOTPSecret = optString(su.TOTPSecret)
		b.BackupCodes = slices.Clone(su.BackupCodes)
		b.unverifiedEmails, b.unverifiedPhones = su.UnverifiedEmailAddresses, su.UnverifiedPhoneNumbers
		b.Web3Wallet = slices.Clone(su.Web3Wallets)
		if err := seedAccounts(b, su, now); err != nil {
			return fmt.Errorf("emulator: Seed: users[%d]: %w", i, err)
		}
		if _, e := st.addUser(b, now); e != nil {
			return fmt.Errorf("emulator: Seed: users[%d]: %w", i, e.err())
		}
	}
	for i, so := range d.Organizations {
		if so.ID != "" && (!strings.HasPrefix(so.ID, "org_") || len(so.ID) == len("org_") || st.orgs[so.ID] != nil) {
			return fmt.Errorf("emulator: Seed: organizations[%d]: id %q must be new and start with org_", i, so.ID)
		}
		name := so.Name
		b := &createOrgBody{
			id: so.ID, Name: &name, Slug: optString(so.Slug), CreatedBy: optString(so.CreatedBy),
			MaxAllowedMemberships: &so.MaxAllowedMemberships,
			PublicMetadata:        so.PublicMetadata, PrivateMetadata: so.PrivateMetadata,
			RoleSetKey: optString(so.RoleSetKey),
		}
		o, e := st.addOrg(b, now)
		if e != nil {
			return fmt.Errorf("emulator: Seed: organizations[%d]: %w", i, e.err())
		}
		for j, sd := range so.Domains {
			db := &createOrgDomainBody{Name: &sd.Name, EnrollmentMode: optString(sd.EnrollmentMode), Verified: &sd.Verified}
			if _, e := st.addOrgDomain(o, db, now); e != nil {
				return fmt.Errorf("emulator: Seed: organizations[%d]: domains[%d]: %w", i, j, e.err())
			}
		}
	}
	for i, sm := range d.Memberships {
		if err := st.seedMembership(sm, now); err != nil {
			return fmt.Errorf("emulator: Seed: memberships[%d]: %w", i, err)
		}
	}
	for i, sm := range d.Machines {
		if err := st.seedMachine(sm, now); err != nil {
			return fmt.Errorf("emulator: Seed: machines[%d]: %w", i, err)
		}
	}
	for i, sk := range d.APIKeys {
		if err := st.seedAPIKey(sk, now); err != nil {
			return fmt.Errorf("emulator: Seed: api_keys[%d]: %w", i, err)
		}
	}
	for i, jt := range d.JWTTemplates {
		if err := st.seedTemplate(jt, now); err != nil {
			return fmt.Errorf("emulator: Seed: jwt_templates[%d]: %w", i, err)
		}
	}
	if err := x.seedBilling(st, d, now); err != nil {
		return fmt.Errorf("emulator: Seed: %w", err)
	}
	if err := s.seedInstance(st, x, d, now); err != nil {
		return fmt.Errorf("emulator: Seed: %w", err)
	}
	s.st, s.ext = st, x
	return nil
}

// oauthProviderPattern is the providers of external accounts.
var oauthProviderPattern = regexp.MustCompile(`^oauth_(?:(?:token_)|(?:custom_))?[a-z]+$`)

// seedAccounts validates su's external accounts, passkeys and trusted
// devices into b (unique ids: within the seed, they are the user's).
func seedAccounts(b *createUserBody, su SeedUser, now time.Time) error {
	ids := map[string]bool{}
	id := func(field string, i int, given, prefix string) (string, error) {
		if given == "" {
			return randomID(prefix), nil
		}
		if !strings.HasPrefix(given, prefix) || len(given) == len(prefix) || ids[given] {
			return "", fmt.Errorf("%s[%d]: id %q must be unique and start with %s", field, i, given, prefix)
		}
		ids[given] = true
		return given, nil
	}
	for i, a := range su.ExternalAccounts {
		if !oauthProviderPattern.MatchString(a.Provider) || a.ProviderUserID == "" {
			return fmt.Errorf("external_accounts[%d]: provider (oauth_<name>) and provider_user_id are required", i)
		}
		aid, err := id("external_accounts", i, a.ID, "eac_")
		if err != nil {
			return err
		}
		b.accounts = append(b.accounts, &accountRec{id: aid, identificationID: randomID("idn_"), provider: a.Provider,
			providerUserID: a.ProviderUserID, email: strings.ToLower(a.EmailAddress), firstName: a.FirstName, lastName: a.LastName,
			username: a.Username, scopes: slices.Clone(a.Scopes), token: a.AccessToken, createdAt: now})
	}
	for i, p := range su.Passkeys {
		if p.Name == "" {
			return fmt.Errorf("passkeys[%d]: name is required", i)
		}
		pid, err := id("passkeys", i, p.ID, "idn_")
		if err != nil {
			return err
		}
		b.passkeys = append(b.passkeys, &passkeyRec{id: pid, name: p.Name, lastUsedAt: now})
	}
	for i, d := range su.TrustedDevices {
		if (d.Platform != "ios" && d.Platform != "android") || d.AppIdentifier == "" {
			return fmt.Errorf("trusted_devices[%d]: platform (ios or android) and app_identifier are required", i)
		}
		did, err := id("trusted_devices", i, d.ID, "td_")
		if err != nil {
			return err
		}
		b.devices = append(b.devices, &deviceRec{id: did, platform: d.Platform, appID: d.AppIdentifier, name: d.Name,
			createdAt: now, updatedAt: now})
	}
	return nil
}

func (st *state) seedMachine(sm SeedMachine, now time.Time) error {
	if sm.ID != "" && (!strings.HasPrefix(sm.ID, "mch_") || len(sm.ID) == len("mch_") || st.mach.machines[sm.ID] != nil) {
		return fmt.Errorf("id %q must be new and start with mch_", sm.ID)
	}
	if sm.SecretKey != "" {
		if err := st.checkSeedSecret(sm.SecretKey); err != nil {
			return fmt.Errorf("secret_key: %w", err)
		}
	}
	name := sm.Name
	b := &createMachineBody{id: sm.ID, secret: sm.SecretKey, Name: &name, ScopedMachines: sm.ScopedMachines}
	if sm.DefaultTokenTTL != 0 {
		b.DefaultTokenTTL = &sm.DefaultTokenTTL
	}
	if _, e := st.addMachine(b, now); e != nil {
		return e.err()
	}
	return nil
}

func (st *state) seedAPIKey(sk SeedAPIKey, now time.Time) error {
	if sk.ID != "" && (!apiKeyIDPattern.MatchString(sk.ID) || st.mach.apiKeys[sk.ID] != nil) {
		return fmt.Errorf("id %q must be new, ak_ and 32 hex digits", sk.ID)
	}
	if sk.Secret != "" {
		if err := st.checkSeedSecret(sk.Secret); err != nil {
			return fmt.Errorf("secret: %w", err)
		}
	}
	name, subject := sk.Name, sk.Subject
	b := &createAPIKeyBody{id: sk.ID, secret: sk.Secret, Name: &name, Subject: &subject, Description: optString(sk.Description),
		Scopes: sk.Scopes, Claims: sk.Claims, CreatedBy: optString(sk.CreatedBy)}
	if _, e := st.addAPIKey(b, now); e != nil {
		return e.err()
	}
	return nil
}

// apiKeyIDPattern is the spec's pattern of API key ids.
var apiKeyIDPattern = regexp.MustCompile(`^ak_[0-9A-Fa-f]{32}$`)

// checkSeedSecret requires a seeded secret to look like Clerk's (ak_ and
// at least 16 more characters) and to be no other machine's or API key's.
func (st *state) checkSeedSecret(secret string) error {
	if !strings.HasPrefix(secret, "ak_") || len(secret) < len("ak_")+16 {
		return errors.New("must start with ak_ and have at least 16 characters after it")
	}
	for _, m := range st.mach.machines {
		if m.secret == secret {
			return errors.New("is already machine " + m.id + "'s secret key")
		}
	}
	for _, k := range st.mach.apiKeys {
		if k.secret == secret {
			return errors.New("is already API key " + k.id + "'s secret")
		}
	}
	return nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (st *state) seedRole(r SeedRole, now time.Time) error {
	name, ok := strings.CutPrefix(r.Key, "org:")
	if !ok || name == "" || strings.ContainsAny(name, ":, ") {
		return fmt.Errorf("role key %q must be org:<name>", r.Key)
	}
	for _, p := range r.Permissions {
		rest, _ := strings.CutPrefix(p, "org:")
		feature, perm, ok2 := strings.Cut(rest, ":")
		if !strings.HasPrefix(p, "org:") || !ok2 || feature == "" || perm == "" || strings.ContainsAny(rest, ", ") ||
			strings.Contains(perm, ":") {
			return fmt.Errorf("permission %q must be org:<feature>:<permission>", p)
		}
		if strings.HasPrefix(feature, "sys_") {
			return fmt.Errorf("permission %q: system permissions cannot be seeded", p)
		}
	}
	role := st.roles[r.Key]
	if role == nil {
		role = &roleRec{key: r.Key, name: name}
		st.stampRole(role, now)
		st.roles[r.Key] = role
		if rs := st.initialRoleSet(); rs != nil { // so that members can have it
			rs.roles = append(rs.roles, r.Key)
		}
	}
	if r.Name != "" {
		role.name = r.Name
	}
	if r.Description != "" {
		d := r.Description
		role.description = &d
	}
	for _, p := range r.Permissions {
		role.addPermission(st.ensurePermission(p, now))
	}
	return nil
}

func (st *state) seedMembership(sm SeedMembership, now time.Time) error {
	o, e := st.org(sm.OrganizationID, true)
	if e != nil {
		return e.err()
	}
	u, e := st.user(sm.UserID)
	if e != nil {
		return e.err()
	}
	role := sm.Role
	if role == "" {
		role = "org:member"
	}
	if e := st.checkRole(&role); e != nil {
		return e.err()
	}
	if e := st.checkNewMember(o, u); e != nil {
		return e.err()
	}
	pub, priv, e := metadataParams(sm.PublicMetadata, sm.PrivateMetadata)
	if e != nil {
		return e.err()
	}
	st.addMember(o, u, role, pub, priv, now)
	return nil
}

// clone returns a deep copy of st, for changes that must apply whole or
// not at all. Stored metadata, strings and ints are never modified in
// place, so they are shared.
func (st *state) clone() *state {
	c := *st
	c.users = make(map[string]*userRec, len(st.users))
	for id, u := range st.users {
		cu := *u
		cu.emails = make([]*emailRec, len(u.emails))
		for i, e := range u.emails {
			ce := *e
			if e.otp != nil {
				otp := *e.otp
				ce.otp = &otp
			}
			cu.emails[i] = &ce
		}
		cu.phones = make([]*phoneRec, len(u.phones))
		for i, p := range u.phones {
			cp := *p
			if p.otp != nil {
				otp := *p.otp
				cp.otp = &otp
			}
			cu.phones[i] = &cp
		}
		cu.backupCodes = slices.Clone(u.backupCodes)
		cu.web3, cu.accounts, cu.passkeys = slices.Clone(u.web3), slices.Clone(u.accounts), slices.Clone(u.passkeys)
		cu.devices = make([]*deviceRec, len(u.devices)) // revoked in place
		for i, d := range u.devices {
			cd := *d
			cu.devices[i] = &cd
		}
		c.users[id] = &cu
	}
	c.emails, c.usernames, c.externalIDs, c.slugs = maps.Clone(st.emails), maps.Clone(st.usernames), maps.Clone(st.externalIDs), maps.Clone(st.slugs)
	c.orgs = cloneRecs(st.orgs)
	c.invitations = cloneRecs(st.invitations)
	c.sessions = cloneRecs(st.sessions)
	c.roles = make(map[string]*roleRec, len(st.roles))
	for k, r := range st.roles {
		cr := *r
		cr.system, cr.custom = slices.Clone(r.system), slices.Clone(r.custom)
		c.roles[k] = &cr
	}
	c.mach = st.mach.clone()
	c.tok = st.tok.clone()
	c.phones = maps.Clone(st.phones)
	c.perms = cloneRecs(st.perms)
	c.inst = st.inst.clone()
	c.orgDomains = cloneRecs(st.orgDomains)
	c.roleSets = make(map[string]*roleSetRec, len(st.roleSets))
	for k, rs := range st.roleSets {
		crs := *rs
		crs.roles = slices.Clone(rs.roles)
		c.roleSets[k] = &crs
	}
	c.members = make(map[string]map[string]*memberRec, len(st.members))
	for org, ms := range st.members {
		c.members[org] = cloneRecs(ms)
	}
	return &c
}

func cloneRecs[T any](m map[string]*T) map[string]*T {
	out := make(map[string]*T, len(m))
	for k, v := range m {
		cv := *v
		out[k] = &cv
	}
	return out
}
