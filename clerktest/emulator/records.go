package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/metadata"
)

// state is everything a Server stores. Server.mu guards it.
type state struct {
	instanceID  string
	seq         int64
	users       map[string]*userRec
	emails      map[string]string // lower-case address -> user id
	usernames   map[string]string // lower-case username -> user id
	externalIDs map[string]string // external id -> user id
	orgs        map[string]*orgRec
	slugs       map[string]string                // slug -> org id
	members     map[string]map[string]*memberRec // org id -> user id -> membership
	invitations map[string]*invRec
	sessions    map[string]*sessRec
	roles       map[string]*roleRec
	hooks       bool           // the Server has webhook endpoints: emit records events
	outbox      []webhookEvent // events of the change in progress, published by Server.unlock
}

func newState() *state {
	st := &state{
		instanceID:  randomID("ins_"),
		users:       map[string]*userRec{},
		emails:      map[string]string{},
		usernames:   map[string]string{},
		externalIDs: map[string]string{},
		orgs:        map[string]*orgRec{},
		slugs:       map[string]string{},
		members:     map[string]map[string]*memberRec{},
		invitations: map[string]*invRec{},
		sessions:    map[string]*sessRec{},
		roles:       map[string]*roleRec{},
	}
	for _, r := range defaultRoles() {
		st.roles[r.key] = r
	}
	return st
}

func (st *state) next() int64 { st.seq++; return st.seq }

// Default organization roles and their system permissions, as a new Clerk
// instance has them. System permissions (org:sys_*) are listed in
// membership objects but never put in session tokens.
func defaultRoles() []*roleRec {
	return []*roleRec{
		{key: "org:admin", name: "Admin", system: []string{
			"org:sys_profile:manage", "org:sys_profile:delete",
			"org:sys_memberships:read", "org:sys_memberships:manage",
			"org:sys_domains:read", "org:sys_domains:manage",
		}},
		{key: "org:member", name: "Member", system: []string{"org:sys_memberships:read"}},
	}
}

// roleRec is an organization role.
type roleRec struct {
	key    string   // "org:admin"
	name   string   // "Admin"
	system []string // org:sys_* permissions
	custom []string // org:<feature>:<perm> permissions, which tokens carry
}

func (r *roleRec) permissions() []string {
	return append(slices.Clone(r.system), r.custom...)
}

type userRec struct {
	seq             int64
	id              string
	externalID      *string
	username        *string
	firstName       *string
	lastName        *string
	locale          *string
	emails          []*emailRec
	primaryEmailID  string
	public          json.RawMessage
	private         json.RawMessage
	unsafe          json.RawMessage
	passwordEnabled bool
	passwordUpdated time.Time
	banned          bool
	lockedAt        time.Time // zero: not locked
	deleteSelf      bool
	createOrg       bool
	createOrgsLimit *int
	bypassTrust     bool
	legalAcceptedAt time.Time
	lastSignInAt    time.Time
	lastActiveAt    time.Time
	createdAt       time.Time
	updatedAt       time.Time
}

type emailRec struct {
	id        string
	address   string
	reserved  bool
	createdAt time.Time
	updatedAt time.Time
}

type orgRec struct {
	seq         int64
	id          string
	name        string
	slug        string
	createdBy   string
	maxMembers  int
	adminDelete bool
	public      json.RawMessage
	private     json.RawMessage
	createdAt   time.Time
	updatedAt   time.Time
}

type memberRec struct {
	seq       int64
	id        string
	orgID     string
	userID    string
	role      string
	public    json.RawMessage
	private   json.RawMessage
	createdAt time.Time
	updatedAt time.Time
}

type invRec struct {
	seq       int64
	id        string
	orgID     string
	email     string
	role      string
	inviterID string
	status    string // pending, accepted, revoked (expired is computed)
	public    json.RawMessage
	private   json.RawMessage
	expiresAt time.Time
	createdAt time.Time
	updatedAt time.Time
}

type sessRec struct {
	seq          int64
	id           string
	clientID     string
	userID       string
	status       string // active, revoked, ended, removed (expired is computed)
	activeOrg    string
	lastActiveAt time.Time
	expireAt     time.Time
	abandonAt    time.Time
	createdAt    time.Time
	updatedAt    time.Time
}

// Session lifetimes of a default Clerk instance.
const (
	sessionLifetime = 7 * 24 * time.Hour
	sessionAbandon  = 30 * 24 * time.Hour
	lockoutDuration = time.Hour
	invitationDays  = 30
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

// ---- JSON shapes, field for field as in the Backend API spec ----

type verificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int   `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
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
	emails := make([]emailJSON, len(u.emails))
	for i, e := range u.emails {
		var v *verificationJSON
		if !e.reserved {
			v = &verificationJSON{Object: "verification_admin", Status: "verified", Strategy: "admin"}
		}
		emails[i] = emailJSON{
			ID: e.id, Object: "email_address", EmailAddress: e.address, Reserved: e.reserved,
			Verification: v, LinkedTo: []any{}, CreatedAt: ms(e.createdAt), UpdatedAt: ms(e.updatedAt),
		}
	}
	var primary *string
	if u.primaryEmailID != "" {
		primary = &u.primaryEmailID
	}
	img := st.imageURL(u.id)
	attempts := int64(maxVerificationAttempts)
	locked, lockout := u.locked(now)
	var lastActive *int64
	if !u.lastActiveAt.IsZero() {
		day := u.lastActiveAt.UTC().Truncate(24 * time.Hour) // Clerk keeps day precision
		lastActive = msPtr(day)
	}
	return userJSON{
		ID: u.id, Object: "user", ExternalID: u.externalID, PrimaryEmailAddressID: primary,
		Username: u.username, FirstName: u.firstName, LastName: u.lastName, Locale: u.locale,
		ProfileImageURL: img, ImageURL: img,
		PublicMetadata: u.public, PrivateMetadata: u.private, UnsafeMetadata: u.unsafe,
		EmailAddresses: emails, PhoneNumbers: []any{}, Web3Wallets: []any{}, Passkeys: []any{},
		PasswordEnabled: u.passwordEnabled, PasswordLastUpdatedAt: msPtr(u.passwordUpdated),
		ExternalAccounts: []any{}, SAMLAccounts: []any{}, EnterpriseAccounts: []any{},
		LastSignInAt: msPtr(u.lastSignInAt), Banned: u.banned, Locked: locked,
		LockoutExpiresInSeconds: lockout, VerificationAttemptsRemaining: &attempts,
		UpdatedAt: ms(u.updatedAt), CreatedAt: ms(u.createdAt),
		DeleteSelfEnabled: u.deleteSelf, CreateOrganizationEnabled: u.createOrg,
		CreateOrganizationsLimit: u.createOrgsLimit, LastActiveAt: lastActive,
		LegalAcceptedAt: msPtr(u.legalAcceptedAt), BypassClientTrust: u.bypassTrust,
	}
}

// locked reports whether u is locked at now, and the seconds left.
func (u *userRec) locked(now time.Time) (bool, *int64) {
	if u.lockedAt.IsZero() {
		return false, nil
	}
	left := u.lockedAt.Add(lockoutDuration).Sub(now)
	if left <= 0 {
		return false, nil
	}
	secs := int64((left + time.Second - 1) / time.Second)
	return true, &secs
}

// identifier is what Clerk shows as a user's identifier: the primary
// email address, else the username.
func (u *userRec) identifier() string {
	if e := u.primaryEmail(); e != "" {
		return e
	}
	if u.username != nil {
		return *u.username
	}
	return ""
}

func (u *userRec) primaryEmail() string {
	for _, e := range u.emails {
		if e.id == u.primaryEmailID {
			return e.address
		}
	}
	return ""
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

// statusAt is the invitation's status at now: a pending invitation past
// its expiry reads "expired".
func (inv *invRec) statusAt(now time.Time) string {
	if inv.status == "pending" && !inv.expiresAt.IsZero() && !now.Before(inv.expiresAt) {
		return "expired"
	}
	return inv.status
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

// statusAt is the session's status at now: an active session past its
// expiry reads "expired".
func (se *sessRec) statusAt(now time.Time) string {
	if se.status == "active" && !now.Before(se.expireAt) {
		return "expired"
	}
	return se.status
}

func (st *state) sessionJSON(se *sessRec, now time.Time) sessionJSON {
	var org *string
	if se.activeOrg != "" {
		o := se.activeOrg
		org = &o
	}
	return sessionJSON{
		Object: "session", ID: se.id, UserID: se.userID, ClientID: se.clientID, Status: se.statusAt(now),
		LastActiveOrganizationID: org, LastActiveAt: ms(se.lastActiveAt), ExpireAt: ms(se.expireAt),
		AbandonAt: ms(se.abandonAt), UpdatedAt: ms(se.updatedAt), CreatedAt: ms(se.createdAt),
	}
}

// ---- request helpers ----

// Errors shared by the handlers. Every error body has Clerk's shape
// ({"errors":[{code, message, long_message, meta}], "clerk_trace_id"}).
// Codes seen from Clerk: resource_not_found (404), authentication_invalid
// (401), form_identifier_exists (422, for a taken email address, username
// and slug: "That slug is taken. Please try another."),
// form_param_missing, form_param_format_invalid, form_param_value_invalid,
// form_password_length_too_short, form_username_invalid_length and
// _character, too_many_requests (429), internal_clerk_error (5xx). Where
// Clerk's code or status for a case is not known (already a member, not an
// admin, an invitation that is not pending, a banned user's session,
// malformed JSON, an unknown body parameter), the Server uses the code
// Clerk uses elsewhere for that kind of error and a status the spec lists
// for the operation.

func errNotFound(kind, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: "No " + kind + " was found with id " + id}
}

func errMissing(param string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_missing", msg: param + " must be included.",
		long: param + " must be included.", param: param}
}

func errFormat(param, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_format_invalid", msg: "is invalid",
		long: long, param: param}
}

func errValue(param, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_value_invalid", msg: "is invalid",
		long: long, param: param}
}

func errTaken(param, what string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_identifier_exists",
		msg: "That " + what + " is taken. Please try another.", long: "That " + what + " is taken. Please try another.", param: param}
}

func errUnknownParam(param string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_unknown", msg: "is unknown",
		long: param + " is not a valid parameter for this request.", param: param}
}

func errBadJSON(long string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "malformed_request", msg: "Malformed request", long: long}
}

const maxBody = 1 << 20

// decodeBody decodes the JSON object of r's body into v (a pointer to a
// struct). An empty body or null leaves v as it is. Members that v has no
// field for are rejected, as Clerk rejects unknown parameters, except those
// named in ignored, which the spec allows but the Server does not use.
func decodeBody(r *http.Request, v any, ignored ...string) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errBadJSON("The request body could not be read.")
	}
	if len(b) > maxBody {
		return errBadJSON("The request body is too large.")
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return errBadJSON("The request body must be a JSON object: " + err.Error())
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	for k := range members {
		if !known[k] && !slices.Contains(ignored, k) {
			return errUnknownParam(k)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errFormat(te.Field, fmt.Sprintf("%s must be of type %s, not %s.", te.Field, jsonKind(te.Type), te.Value))
		}
		return errBadJSON("The request body is not valid: " + err.Error())
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		if t == reflect.TypeFor[json.RawMessage]() {
			return "object"
		}
		return "array"
	}
	return t.String()
}

func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// nullable is a body member that distinguishes absent, null and a value.
type nullable[T any] struct {
	set  bool // present in the body
	null bool // present as null
	v    T
}

// UnmarshalJSON records that the member is present, and whether as null.
func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if string(b) == "null" {
		n.null = true
		return nil
	}
	return json.Unmarshal(b, &n.v)
}

// metadataParam validates a metadata member: absent or null gives nil
// (no change); otherwise it must be a JSON object, returned normalized.
func metadataParam(name string, raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, errFormat(name, name+" must be a JSON object.")
	}
	n, err := metadata.Normalize(t)
	if err != nil {
		return nil, errFormat(name, name+" must be a JSON object: "+err.Error())
	}
	return n, nil
}

// replaceParam is metadataParam for PUT …/metadata, whose members replace
// the stored metadata cur.
func replaceParam(name string, _, raw json.RawMessage) (json.RawMessage, *apiError) {
	return metadataParam(name, raw)
}

// metadataParams validates the public_metadata and private_metadata
// members of a body with metadataParam.
func metadataParams(pubRaw, privRaw json.RawMessage) (pub, priv json.RawMessage, e *apiError) {
	if pub, e = metadataParam("public_metadata", pubRaw); e != nil {
		return nil, nil, e
	}
	if priv, e = metadataParam("private_metadata", privRaw); e != nil {
		return nil, nil, e
	}
	return pub, priv, nil
}

// mergeParam merges the patch raw (a metadata member of a PATCH
// …/metadata body) into cur; absent or null leaves cur as it is.
func mergeParam(name string, cur, raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return cur, nil
	}
	if t[0] != '{' {
		return nil, errFormat(name, name+" must be a JSON object.")
	}
	out, err := metadata.Merge(cur, t)
	if err != nil {
		return nil, errFormat(name, name+": "+err.Error())
	}
	return out, nil
}

var emptyObject = json.RawMessage("{}")

func orEmpty(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return emptyObject
	}
	return raw
}

// page is the limit and offset of a list request.
type page struct{ limit, offset int }

// pageParams reads limit and offset. Like Clerk, a limit outside 1..500
// is ignored (the default, 10, applies); a limit or offset that is not an
// integer, or a negative offset, is a 422.
func pageParams(q url.Values) (page, *apiError) {
	p := page{limit: 10}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, errFormat("limit", "limit must be an integer.")
		}
		if n >= 1 && n <= 500 {
			p.limit = n
		}
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, errFormat("offset", "offset must be an integer.")
		}
		if n < 0 {
			return p, errValue("offset", "offset must be greater than or equal to 0.")
		}
		p.offset = n
	}
	return p, nil
}

func paginate[T any](items []T, p page) []T {
	if p.offset >= len(items) {
		return []T{}
	}
	items = items[p.offset:]
	if len(items) > p.limit {
		items = items[:p.limit]
	}
	return items
}

// listResponse is the {"data":[…],"total_count":N} shape.
type listResponse[T any] struct {
	Data       []T `json:"data"`
	TotalCount int `json:"total_count"`
}

// listPage answers page p of items in the listResponse shape, each item
// turned into JSON by toJSON.
func listPage[T, J any](items []T, p page, toJSON func(T) J) listResponse[J] {
	out := listResponse[J]{Data: []J{}, TotalCount: len(items)}
	for _, it := range paginate(items, p) {
		out.Data = append(out.Data, toJSON(it))
	}
	return out
}

// orderBy parses an order_by value such as "-created_at" or "name" ("+"
// implied) against the allowed fields.
func orderBy(q url.Values, def string, allowed ...string) (field string, desc bool, e *apiError) {
	v := q.Get("order_by")
	if v == "" {
		v = def
	}
	switch v[0] {
	case '-':
		desc, v = true, v[1:]
	case '+':
		v = v[1:]
	}
	if !slices.Contains(allowed, v) {
		return "", false, errValue("order_by", "order_by must be one of "+strings.Join(allowed, ", ")+", optionally prefixed with + or -.")
	}
	return v, desc, nil
}

// idFilter is a repeatable id parameter whose values may be prefixed with
// + (include, the default) or - (exclude).
type idFilter struct{ include, exclude []string }

func parseIDFilter(values []string) idFilter {
	var f idFilter
	for _, v := range values {
		switch {
		case strings.HasPrefix(v, "-"):
			f.exclude = append(f.exclude, v[1:])
		case strings.HasPrefix(v, "+"):
			f.include = append(f.include, v[1:])
		case v != "":
			f.include = append(f.include, v)
		}
	}
	return f
}

func (f idFilter) empty() bool { return len(f.include) == 0 && len(f.exclude) == 0 }

// match reports whether a thing related to ids passes the filter: it must
// relate to one of the included ids, if any, and to none of the excluded.
func (f idFilter) match(ids ...string) bool {
	if len(f.include) > 0 && !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(f.include, id) }) {
		return false
	}
	return !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(f.exclude, id) })
}

// sortKey is one value to order by; a null sorts as larger than any
// value, as in PostgreSQL (last ascending, first descending).
type sortKey struct {
	null bool
	s    string
	n    int64
}

func strKey(p *string) sortKey {
	if p == nil {
		return sortKey{null: true}
	}
	return sortKey{s: strings.ToLower(*p)}
}

func timeKey(t time.Time) sortKey {
	if t.IsZero() {
		return sortKey{null: true}
	}
	return sortKey{n: t.UnixMilli()}
}

func (a sortKey) cmp(b sortKey) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return 1
	case b.null:
		return -1
	case a.s != b.s:
		return strings.Compare(a.s, b.s)
	}
	switch {
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

// sortBy sorts items by key, then by creation order (seq), both in the
// direction desc says.
func sortBy[T any](items []T, desc bool, key func(T) sortKey, seq func(T) int64) {
	slices.SortStableFunc(items, func(a, b T) int {
		c := key(a).cmp(key(b))
		if c == 0 {
			c = int(seq(a) - seq(b))
		}
		if desc {
			return -c
		}
		return c
	})
}

func parseBool(q url.Values, name string) (bool, *apiError) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errFormat(name, name+" must be true or false.")
	}
	return b, nil
}

func parseRFC3339(name string, v *string) (time.Time, *apiError) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, errFormat(name, name+" must be an RFC3339 date-time, e.g. 2012-10-20T07:15:20.902Z.")
	}
	return t, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func strPtr(s string) *string { return &s }

func parseInt64(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }
