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
	mach        machineStore   // machines, API keys, M2M and OAuth access tokens
	hooks       bool           // the Server has webhook endpoints: emit records events
	outbox      []webhookEvent // events of the change in progress, published by Server.unlock

	// Organization permissions and role sets by key (roles.go, rolesets.go).
	perms    map[string]*permRec
	roleSets map[string]*roleSetRec
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
		mach:        newMachineStore(),
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
	roleSet     string // id of the role set it uses (rolesets.go)
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
