// The records a Server stores: its state and the types of its users,
// organizations, memberships, invitations, sessions and roles.

package emulator

import (
	"encoding/json"
	"slices"
	"time"
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
	mach        machineStore      // machines, API keys, M2M and OAuth access tokens
	tok         tokenStore        // JWT templates, actor and sign-in tokens
	phones      map[string]string // E.164 phone number -> user id
	hooks       bool              // the Server has webhook endpoints: emit records events
	outbox      []webhookEvent    // events of the change in progress, published by Server.unlock

	// Organization permissions and role sets by key (roles.go, rolesets.go).
	perms    map[string]*permRec
	roleSets map[string]*roleSetRec

	// Instance-wide invitations, allowlist, blocklist, redirect URLs and
	// waitlist (instance.go).
	inst instStore
	// Organization domains by id (orgdomains.go).
	orgDomains map[string]*orgDomainRec
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
		perms:       map[string]*permRec{},
		roleSets:    map[string]*roleSetRec{},
		inst:        newInstStore(),
		orgDomains:  map[string]*orgDomainRec{},
		mach:        newMachineStore(),
		tok:         newTokenStore(),
		phones:      map[string]string{},
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

	seq         int64 // the rest: see roles.go
	id          string
	description *string
	createdAt   time.Time
	updatedAt   time.Time
}

func (r *roleRec) permissions() []string {
	if out := slices.Concat(r.system, r.custom); out != nil {
		return out
	}
	return []string{} // never null in JSON
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
	phones          []*phoneRec
	primaryPhoneID  string
	web3            []*web3Rec    // web3 wallets (accounts.go)
	primaryWeb3ID   string        //
	accounts        []*accountRec // external (OAuth) accounts, seeded (accounts.go)
	passkeys        []*passkeyRec // seeded (accounts.go)
	devices         []*deviceRec  // trusted devices, seeded (accounts.go)
	imageURL        string        // a profile image of its own, "" for Clerk's default
	totpSecret      string        // base32; "" for no TOTP
	totpLastStep    int64         // the 30-second step of the last TOTP code accepted (mfa.go), no replay
	backupCodes     []string      // unused backup codes
	mfaEnabledAt    time.Time
	mfaDisabledAt   time.Time
	public          json.RawMessage
	private         json.RawMessage
	unsafe          json.RawMessage
	passwordEnabled bool
	passwordUpdated time.Time
	pwSalt, pwHash  []byte // of a password given in plain text (hosted sign-in); nil otherwise
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
	id         string
	address    string
	reserved   bool
	unverified bool    // created with verified false, or unverified: not usable to sign in
	otp        *otpRec // the last verification prepared, nil for none
	byCode     *otpRec // the code verification that verified it, shown as its verification (identifiers.go)
	createdAt  time.Time
	updatedAt  time.Time
}

type orgRec struct {
	seq         int64
	id          string
	name        string
	slug        string
	createdBy   string
	maxMembers  int
	adminDelete bool
	roleSet     string // id of the role set it uses (rolesets.go)
	logoURL     string // its own logo's image_url, "" for none (orglogo.go)
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
	actor        json.RawMessage // the actor of an impersonation session, nil for none
	refreshToken string          // the __refresh cookie value of the session
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
// email address, else the primary phone number, else the username.
func (u *userRec) identifier() string {
	if e := u.primaryEmail(); e != "" {
		return e
	}
	for _, p := range u.phones {
		if p.id == u.primaryPhoneID {
			return p.number
		}
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

// statusAt is the invitation's status at now: a pending invitation past
// its expiry reads "expired".
func (inv *invRec) statusAt(now time.Time) string {
	if inv.status == "pending" && !inv.expiresAt.IsZero() && !now.Before(inv.expiresAt) {
		return "expired"
	}
	return inv.status
}

// statusAt is the session's status at now: an active session past its
// expiry reads "expired".
func (se *sessRec) statusAt(now time.Time) string {
	if se.status == "active" && !now.Before(se.expireAt) {
		return "expired"
	}
	return se.status
}

// phoneRec is a phone number of a user.
type phoneRec struct {
	id            string
	number        string // E.164
	reserved      bool
	unverified    bool
	secondFactor  bool // reserved_for_second_factor
	defaultSecond bool // default_second_factor
	otp           *otpRec
	byCode        *otpRec // the code verification that verified it (identifiers.go)
	createdAt     time.Time
	updatedAt     time.Time
}

// otpRec is a one-time code verification of an email address or phone
// number (prepare_verification, attempt_verification).
type otpRec struct {
	id       string
	strategy string // email_code or phone_code
	status   string // unverified, verified, failed (expired is computed)
	attempts int
	code     string // the one-time code it was sent
	expireAt time.Time
}

// verified reports whether the email address is verified.
func (e *emailRec) verified() bool { return !e.reserved && !e.unverified }

// verified reports whether the phone number is verified.
func (p *phoneRec) verified() bool { return !p.reserved && !p.unverified }

// statusAt is the verification's status at now: an unverified one past
// its expiry reads "expired".
func (o *otpRec) statusAt(now time.Time) string {
	if o.status == "unverified" && !now.Before(o.expireAt) {
		return "expired"
	}
	return o.status
}

// totpEnabled reports whether the user has TOTP as a second factor.
func (u *userRec) totpEnabled() bool { return u.totpSecret != "" }

// twoFactorEnabled reports whether the user has a second factor: TOTP,
// backup codes or a phone number reserved for second factor.
func (u *userRec) twoFactorEnabled() bool {
	return u.totpEnabled() || len(u.backupCodes) > 0 ||
		slices.ContainsFunc(u.phones, func(p *phoneRec) bool { return p.secondFactor })
}
