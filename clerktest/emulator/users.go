package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// createUserBody is the body of POST /v1/users.
type createUserBody struct {
	ExternalID                       *string         `json:"external_id"`
	FirstName                        *string         `json:"first_name"`
	LastName                         *string         `json:"last_name"`
	Locale                           *string         `json:"locale"`
	EmailAddress                     []string        `json:"email_address"`
	EmailAddressIdentificationStatus []string        `json:"email_address_identification_status"`
	PhoneNumber                      []string        `json:"phone_number"`
	PhoneNumberIdentificationStatus  []string        `json:"phone_number_identification_status"`
	TOTPSecret                       *string         `json:"totp_secret"`
	BackupCodes                      []string        `json:"backup_codes"`
	Web3Wallet                       []string        `json:"web3_wallet"`
	Username                         *string         `json:"username"`
	Password                         *string         `json:"password"`
	PasswordDigest                   *string         `json:"password_digest"`
	PasswordHasher                   *string         `json:"password_hasher"`
	SkipPasswordChecks               *bool           `json:"skip_password_checks"`
	PublicMetadata                   json.RawMessage `json:"public_metadata"`
	PrivateMetadata                  json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                   json.RawMessage `json:"unsafe_metadata"`
	DeleteSelfEnabled                *bool           `json:"delete_self_enabled"`
	LegalAcceptedAt                  *string         `json:"legal_accepted_at"`
	CreateOrganizationEnabled        *bool           `json:"create_organization_enabled"`
	CreateOrganizationsLimit         *int            `json:"create_organizations_limit"`
	CreatedAt                        *string         `json:"created_at"`
	BypassClientTrust                *bool           `json:"bypass_client_trust"`
	Banned                           *bool           `json:"banned"`
	Locked                           *bool           `json:"locked"`
	// The explicit id of a seeded user and its unverified email
	// addresses and phone numbers (SeedUser); not Backend API parameters.
	id                                 string
	unverifiedEmails, unverifiedPhones []string
	accounts                           []*accountRec
	passkeys                           []*passkeyRec
	devices                            []*deviceRec
}

// Parameters of POST /v1/users that the Server accepts and ignores.
var ignoredCreateUserParams = []string{
	"skip_password_requirement", "skip_legal_checks", "skip_user_requirement",
}

func (s *Server) createUser(c *call, b *createUserBody) (any, *apiError) {
	now := c.now
	u, e := c.st.addUser(b, now)
	if e != nil {
		return nil, e
	}
	return c.st.userJSON(u, now), nil
}

func validEmail(addr string) bool {
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(addr, " \t\r\n,;<>()[]\\\"") &&
		!strings.Contains(domain, "@") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// checkUsername applies Clerk's username rules: 4 to 64 characters,
// letters, digits, "-" and "_".
func checkUsername(u string) *apiError {
	if n := utf8.RuneCountInString(u); n < 4 || n > 64 {
		return &apiError{status: http.StatusUnprocessableEntity, code: "form_username_invalid_length",
			msg: "Usernames must be between 4 and 64 characters long.", long: "Usernames must be between 4 and 64 characters long.", param: "username"}
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return &apiError{status: http.StatusUnprocessableEntity, code: "form_username_invalid_character",
				msg: "Usernames can only contain letters, numbers and '_' or '-'.", long: "Usernames can only contain letters, numbers and '_' or '-'.", param: "username"}
		}
	}
	return nil
}

// checkUsernameFree applies checkUsername to name and fails when the
// name, in lower case, is the username of a user other than userID (""
// for a new user); it returns the lower-case name.
func (st *state) checkUsernameFree(name, userID string) (string, *apiError) {
	if e := checkUsername(name); e != nil {
		return "", e
	}
	lower := strings.ToLower(name)
	if id := st.usernames[lower]; id != "" && id != userID {
		return "", errTaken("username", "username")
	}
	return lower, nil
}

// checkExternalIDFree fails when externalID is another user's than
// userID ("" for a new user).
func (st *state) checkExternalIDFree(externalID *string, userID string) *apiError {
	if externalID != nil && *externalID != "" {
		if id := st.externalIDs[*externalID]; id != "" && id != userID {
			return errTaken("external_id", "external ID")
		}
	}
	return nil
}

// checkPassword applies Clerk's password rule to pw, if given, unless
// skip is true.
func checkPassword(pw *string, skip *bool) *apiError {
	if pw != nil && (skip == nil || !*skip) && utf8.RuneCountInString(*pw) < 8 {
		return &apiError{status: http.StatusUnprocessableEntity, code: "form_password_length_too_short",
			msg: "Passwords must be 8 characters or more.", long: "Passwords must be 8 characters or more.", param: "password"}
	}
	return nil
}

// checkUserParams validates the members that POST and PATCH /v1/users
// share, after the identifiers and the password: created_at and
// legal_accepted_at (zero when absent), create_organizations_limit, and
// the public, private and unsafe metadata (nil when absent).
func checkUserParams(createdAtRaw, legalRaw *string, orgsLimit *int, mdRaw [3]json.RawMessage) (createdAt, legal time.Time, md [3]json.RawMessage, e *apiError) {
	if createdAt, e = parseRFC3339("created_at", createdAtRaw); e != nil {
		return time.Time{}, time.Time{}, md, e
	}
	if legal, e = parseRFC3339("legal_accepted_at", legalRaw); e != nil {
		return time.Time{}, time.Time{}, md, e
	}
	if orgsLimit != nil && *orgsLimit < 0 {
		return time.Time{}, time.Time{}, md, errValue("create_organizations_limit", "create_organizations_limit must not be negative.")
	}
	if md, e = userMetadataParams(replaceParam, [3]json.RawMessage{}, mdRaw); e != nil {
		return time.Time{}, time.Time{}, md, e
	}
	return createdAt, legal, md, nil
}

// userMetadataParams applies apply (replaceParam or mergeParam) to the
// public, private and unsafe metadata members raw of a body, cur being
// the stored metadata in the same order.
func userMetadataParams(apply func(name string, cur, raw json.RawMessage) (json.RawMessage, *apiError), cur, raw [3]json.RawMessage) (md [3]json.RawMessage, e *apiError) {
	for i, name := range [3]string{"public_metadata", "private_metadata", "unsafe_metadata"} {
		if md[i], e = apply(name, cur[i], raw[i]); e != nil {
			return md, e
		}
	}
	return md, nil
}

// setMetadata stores the public, private and unsafe metadata of md that
// are not nil.
func (u *userRec) setMetadata(md [3]json.RawMessage) {
	for i, dst := range []*json.RawMessage{&u.public, &u.private, &u.unsafe} {
		if md[i] != nil {
			*dst = md[i]
		}
	}
}

// addUser validates b and stores a new user.
func (st *state) addUser(b *createUserBody, now time.Time) (*userRec, *apiError) {
	seenWeb3 := map[string]bool{}
	for i, w := range b.Web3Wallet {
		a, e := st.checkWeb3Free(w)
		if e != nil {
			return nil, e
		}
		if seenWeb3[a] {
			return nil, errTaken("web3_wallet", "web3 wallet")
		}
		seenWeb3[a], b.Web3Wallet[i] = true, a
	}
	if n := len(b.EmailAddressIdentificationStatus); n > 0 && n != len(b.EmailAddress) {
		return nil, errValue("email_address_identification_status", "email_address_identification_status must have one item per email address.")
	}
	seen := map[string]bool{}
	for i, a := range b.EmailAddress {
		a = strings.ToLower(strings.TrimSpace(a))
		if !validEmail(a) {
			return nil, errFormat("email_address", "email_address must be a valid email address.")
		}
		if st.emails[a] != "" || seen[a] {
			return nil, errTaken("email_address", "email address")
		}
		seen[a] = true
		b.EmailAddress[i] = a
		if n := len(b.EmailAddressIdentificationStatus); n > 0 && !slices.Contains([]string{"verified", "reserved"}, b.EmailAddressIdentificationStatus[i]) {
			return nil, errValue("email_address_identification_status", "email_address_identification_status items must be verified or reserved.")
		}
	}
	if n := len(b.PhoneNumberIdentificationStatus); n > 0 && n != len(b.PhoneNumber) {
		return nil, errValue("phone_number_identification_status", "phone_number_identification_status must have one item per phone number.")
	}
	seenPhones := map[string]bool{}
	for i := range b.PhoneNumber {
		n, e := st.checkPhoneFree(&b.PhoneNumber[i], "")
		if e != nil {
			return nil, e
		}
		if seenPhones[n] {
			return nil, errTaken("phone_number", "phone number")
		}
		seenPhones[n] = true
		b.PhoneNumber[i] = n
		if len(b.PhoneNumberIdentificationStatus) > 0 && !slices.Contains([]string{"verified", "reserved"}, b.PhoneNumberIdentificationStatus[i]) {
			return nil, errValue("phone_number_identification_status", "phone_number_identification_status items must be verified or reserved.")
		}
	}
	for i, a := range b.unverifiedEmails {
		addr, e := st.checkEmailFree(&a, "")
		if e != nil {
			return nil, e
		}
		if seen[addr] {
			return nil, errTaken("email_address", "email address")
		}
		seen[addr], b.unverifiedEmails[i] = true, addr
	}
	for i, n := range b.unverifiedPhones {
		number, e := st.checkPhoneFree(&n, "")
		if e != nil {
			return nil, e
		}
		if seenPhones[number] {
			return nil, errTaken("phone_number", "phone number")
		}
		seenPhones[number], b.unverifiedPhones[i] = true, number
	}
	mfa, e := checkMFAParams(b.TOTPSecret, b.BackupCodes, b.BackupCodes != nil)
	if e != nil {
		return nil, e
	}
	if b.Username != nil {
		lower, e := st.checkUsernameFree(*b.Username, "")
		if e != nil {
			return nil, e
		}
		b.Username = &lower
	}
	if e := st.checkExternalIDFree(b.ExternalID, ""); e != nil {
		return nil, e
	}
	if e := checkPassword(b.Password, b.SkipPasswordChecks); e != nil {
		return nil, e
	}
	if b.PasswordDigest != nil && b.PasswordHasher == nil {
		return nil, errMissing("password_hasher")
	}
	createdAt, legal, md, e := checkUserParams(b.CreatedAt, b.LegalAcceptedAt, b.CreateOrganizationsLimit,
		[3]json.RawMessage{b.PublicMetadata, b.PrivateMetadata, b.UnsafeMetadata})
	if e != nil {
		return nil, e
	}
	if createdAt.IsZero() {
		createdAt = now
	}
	u := &userRec{
		seq: st.next(), id: b.id, externalID: b.ExternalID, username: b.Username,
		firstName: b.FirstName, lastName: b.LastName, locale: b.Locale,
		public: orEmpty(md[0]), private: orEmpty(md[1]), unsafe: orEmpty(md[2]),
		passwordEnabled: b.Password != nil || b.PasswordDigest != nil,
		banned:          b.Banned != nil && *b.Banned,
		deleteSelf:      b.DeleteSelfEnabled == nil || *b.DeleteSelfEnabled,
		createOrg:       b.CreateOrganizationEnabled == nil || *b.CreateOrganizationEnabled,
		createOrgsLimit: b.CreateOrganizationsLimit, bypassTrust: b.BypassClientTrust != nil && *b.BypassClientTrust,
		legalAcceptedAt: legal, createdAt: createdAt, updatedAt: now,
	}
	if u.id == "" {
		u.id = randomID("user_")
	}
	if u.passwordEnabled {
		u.passwordUpdated = now
	}
	if b.Password != nil {
		u.setPassword(*b.Password)
	}
	if b.Locked != nil && *b.Locked {
		u.lockedAt = now
	}
	for i, a := range b.EmailAddress {
		reserved := len(b.EmailAddressIdentificationStatus) > 0 && b.EmailAddressIdentificationStatus[i] == "reserved"
		em := &emailRec{id: randomID("idn_"), address: a, reserved: reserved, createdAt: now, updatedAt: now}
		u.emails = append(u.emails, em)
		st.emails[a] = u.id
	}
	if len(u.emails) > 0 {
		u.primaryEmailID = u.emails[0].id
	}
	for _, a := range b.unverifiedEmails {
		u.emails = append(u.emails, &emailRec{id: randomID("idn_"), address: a, unverified: true, createdAt: now, updatedAt: now})
		st.emails[a] = u.id
	}
	for i, n := range b.PhoneNumber {
		reserved := len(b.PhoneNumberIdentificationStatus) > 0 && b.PhoneNumberIdentificationStatus[i] == "reserved"
		st.addPhone(u, n, reserved, false, now)
	}
	if len(u.phones) > 0 {
		u.primaryPhoneID = u.phones[0].id
	}
	for _, n := range b.unverifiedPhones {
		st.addPhone(u, n, false, true, now)
	}
	for _, w := range b.Web3Wallet {
		u.web3 = append(u.web3, &web3Rec{id: randomID("idn_"), address: w, createdAt: now})
	}
	if len(u.web3) > 0 {
		u.primaryWeb3ID = u.web3[0].id
	}
	u.accounts, u.passkeys, u.devices = b.accounts, b.passkeys, b.devices
	u.setMFA(mfa, now)
	if u.username != nil {
		st.usernames[*u.username] = u.id
	}
	if u.externalID != nil && *u.externalID != "" {
		st.externalIDs[*u.externalID] = u.id
	}
	st.users[u.id] = u
	st.emitUser("user.created", u, now)
	return u, nil
}

func (st *state) user(id string) (*userRec, *apiError) {
	u := st.users[id]
	if u == nil {
		return nil, errNotFound("user", id)
	}
	return u, nil
}

func (s *Server) getUser(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	return c.st.userJSON(u, c.now), nil
}

// updateUserBody is the body of PATCH /v1/users/{user_id}.
type updateUserBody struct {
	ExternalID                *string          `json:"external_id"`
	FirstName                 *string          `json:"first_name"`
	LastName                  *string          `json:"last_name"`
	Locale                    *string          `json:"locale"`
	PrimaryEmailAddressID     *string          `json:"primary_email_address_id"`
	PrimaryPhoneNumberID      *string          `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID       *string          `json:"primary_web3_wallet_id"`
	TOTPSecret                *string          `json:"totp_secret"`
	BackupCodes               []string         `json:"backup_codes"`
	Username                  nullable[string] `json:"username"`
	Password                  *string          `json:"password"`
	PasswordDigest            *string          `json:"password_digest"`
	PasswordHasher            *string          `json:"password_hasher"`
	SkipPasswordChecks        *bool            `json:"skip_password_checks"`
	SignOutOfOtherSessions    *bool            `json:"sign_out_of_other_sessions"`
	PublicMetadata            json.RawMessage  `json:"public_metadata"`
	PrivateMetadata           json.RawMessage  `json:"private_metadata"`
	UnsafeMetadata            json.RawMessage  `json:"unsafe_metadata"`
	DeleteSelfEnabled         *bool            `json:"delete_self_enabled"`
	CreateOrganizationEnabled *bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit  *int             `json:"create_organizations_limit"`
	LegalAcceptedAt           *string          `json:"legal_accepted_at"`
	CreatedAt                 *string          `json:"created_at"`
	BypassClientTrust         *bool            `json:"bypass_client_trust"`
}

var ignoredUpdateUserParams = []string{
	"notify_primary_email_address_changed", "profile_image_id", "skip_legal_checks",
}

// updateUser is PATCH /v1/users/{user_id}. Metadata given here replaces
// the stored metadata whole (PATCH …/metadata merges instead).
func (s *Server) updateUser(c *call, b *updateUserBody) (any, *apiError) {
	st, now := c.st, c.now
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	// Validate everything before changing anything.
	var username *string
	if b.Username.set && !b.Username.null && b.Username.v != "" {
		lower, e := st.checkUsernameFree(b.Username.v, u.id)
		if e != nil {
			return nil, e
		}
		username = &lower
	}
	if e := st.checkExternalIDFree(b.ExternalID, u.id); e != nil {
		return nil, e
	}
	if b.PrimaryEmailAddressID != nil && !slices.ContainsFunc(u.emails, func(em *emailRec) bool {
		return em.id == *b.PrimaryEmailAddressID && em.verified()
	}) {
		return nil, errValue("primary_email_address_id", "primary_email_address_id must be a verified email address of the user.")
	}
	if b.PrimaryPhoneNumberID != nil && !slices.ContainsFunc(u.phones, func(p *phoneRec) bool {
		return p.id == *b.PrimaryPhoneNumberID && p.verified()
	}) {
		return nil, errValue("primary_phone_number_id", "primary_phone_number_id must be a verified phone number of the user.")
	}
	if b.PrimaryWeb3WalletID != nil && !slices.ContainsFunc(u.web3, func(w *web3Rec) bool { return w.id == *b.PrimaryWeb3WalletID }) {
		return nil, errValue("primary_web3_wallet_id", "primary_web3_wallet_id must be a web3 wallet of the user.")
	}
	mfa, e := checkMFAParams(b.TOTPSecret, b.BackupCodes, b.BackupCodes != nil)
	if e != nil {
		return nil, e
	}
	if e := checkPassword(b.Password, b.SkipPasswordChecks); e != nil {
		return nil, e
	}
	createdAt, legal, md, e := checkUserParams(b.CreatedAt, b.LegalAcceptedAt, b.CreateOrganizationsLimit,
		[3]json.RawMessage{b.PublicMetadata, b.PrivateMetadata, b.UnsafeMetadata})
	if e != nil {
		return nil, e
	}

	if b.Username.set {
		if u.username != nil {
			delete(st.usernames, *u.username)
		}
		u.username = username
		if username != nil {
			st.usernames[*username] = u.id
		}
	}
	if b.ExternalID != nil {
		if u.externalID != nil {
			delete(st.externalIDs, *u.externalID)
		}
		u.externalID = b.ExternalID
		if *b.ExternalID != "" {
			st.externalIDs[*b.ExternalID] = u.id
		}
	}
	setIf(&u.firstName, b.FirstName)
	setIf(&u.lastName, b.LastName)
	setIf(&u.locale, b.Locale)
	if b.PrimaryEmailAddressID != nil {
		u.primaryEmailID = *b.PrimaryEmailAddressID
	}
	if b.PrimaryPhoneNumberID != nil {
		u.primaryPhoneID = *b.PrimaryPhoneNumberID
	}
	if b.PrimaryWeb3WalletID != nil {
		u.primaryWeb3ID = *b.PrimaryWeb3WalletID
	}
	u.setMFA(mfa, now)
	signOut := false
	if b.Password != nil || b.PasswordDigest != nil {
		u.passwordEnabled, u.passwordUpdated = true, now
		u.pwSalt, u.pwHash = nil, nil // a digest cannot be checked: no password sign-in
		if b.Password != nil {
			u.setPassword(*b.Password)
		}
		signOut = b.SignOutOfOtherSessions != nil && *b.SignOutOfOtherSessions
	}
	u.setMetadata(md)
	if b.DeleteSelfEnabled != nil {
		u.deleteSelf = *b.DeleteSelfEnabled
	}
	if b.CreateOrganizationEnabled != nil {
		u.createOrg = *b.CreateOrganizationEnabled
	}
	if b.CreateOrganizationsLimit != nil {
		u.createOrgsLimit = b.CreateOrganizationsLimit
	}
	if !legal.IsZero() {
		u.legalAcceptedAt = legal
	}
	if !createdAt.IsZero() {
		u.createdAt = createdAt
	}
	if b.BypassClientTrust != nil {
		u.bypassTrust = *b.BypassClientTrust
	}
	u.updatedAt = now
	st.emitUser("user.updated", u, now)
	if signOut {
		st.endSessions(u.id, "revoked", now)
	}
	return st.userJSON(u, now), nil
}

func setIf(dst **string, v *string) {
	if v != nil {
		*dst = v
	}
}

type deletedJSON struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Slug    string `json:"slug,omitempty"`
	Deleted bool   `json:"deleted"`
}

// deleteUser is DELETE /v1/users/{user_id}: the user's memberships and
// sessions go with it.
func (s *Server) deleteUser(c *call) (any, *apiError) {
	st := c.st
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	for _, em := range u.emails {
		delete(st.emails, em.address)
	}
	for _, p := range u.phones {
		delete(st.phones, p.number)
	}
	if u.username != nil {
		delete(st.usernames, *u.username)
	}
	if u.externalID != nil {
		delete(st.externalIDs, *u.externalID)
	}
	for _, ms := range st.members {
		delete(ms, u.id)
	}
	for id, se := range st.sessions {
		if se.userID == u.id {
			delete(st.sessions, id)
		}
	}
	delete(st.users, u.id)
	st.emitUserDeleted(u, c.now)
	return deletedJSON{Object: "user", ID: u.id, Deleted: true}, nil
}

// endSessions sets the status of the user's active sessions.
func (st *state) endSessions(userID, status string, now time.Time) {
	for _, se := range st.sessions {
		if se.userID == userID && se.statusAt(now) == "active" {
			se.status, se.updatedAt = status, now
			st.emitSession("session."+status, se, now)
		}
	}
}

// banUser is POST /v1/users/{user_id}/ban and /unban. Banning revokes the
// user's sessions.
func (s *Server) banUser(ban bool) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		now := c.now
		u, e := c.user()
		if e != nil {
			return nil, e
		}
		u.banned, u.updatedAt = ban, now
		c.st.emitUser("user.updated", u, now)
		if ban {
			c.st.endSessions(u.id, "revoked", now)
		}
		return c.st.userJSON(u, now), nil
	}
}

// lockUser is POST /v1/users/{user_id}/lock and /unlock. A lock lasts an
// hour (Clerk's default lockout), on the Server's clock.
func (s *Server) lockUser(lock bool) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		now := c.now
		u, e := c.user()
		if e != nil {
			return nil, e
		}
		if lock {
			u.lockedAt = now
		} else {
			u.lockedAt = time.Time{}
		}
		u.updatedAt = now
		c.st.emitUser("user.updated", u, now)
		return c.st.userJSON(u, now), nil
	}
}

type userMetadataBody struct {
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`
}

// mergeUserMetadata is PATCH /v1/users/{user_id}/metadata: a deep merge
// (metadata.Merge) into each metadata given.
func (s *Server) mergeUserMetadata(c *call, b *userMetadataBody) (any, *apiError) {
	return userMetadata(c, b, mergeParam)
}

// replaceUserMetadata is PUT /v1/users/{user_id}/metadata: each metadata
// given replaces the stored one.
func (s *Server) replaceUserMetadata(c *call, b *userMetadataBody) (any, *apiError) {
	return userMetadata(c, b, replaceParam)
}

func userMetadata(c *call, b *userMetadataBody, apply func(name string, cur, raw json.RawMessage) (json.RawMessage, *apiError)) (any, *apiError) {
	now := c.now
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	md, e := userMetadataParams(apply, [3]json.RawMessage{u.public, u.private, u.unsafe},
		[3]json.RawMessage{b.PublicMetadata, b.PrivateMetadata, b.UnsafeMetadata})
	if e != nil {
		return nil, e
	}
	u.setMetadata(md)
	u.updatedAt = now
	c.st.emitUser("user.updated", u, now)
	return c.st.userJSON(u, now), nil
}

// userFilter is the filters of GET /v1/users and /v1/users/count.
type userFilter struct {
	emails, usernames, externalIDs []string
	phones, web3, providerUserIDs  []string
	userIDs, orgIDs                idFilter
	query, emailQuery, userQuery   string
	nameQuery                      string
	banned                         *bool
	createdBefore, createdAfter    int64
	activeBefore, activeAfter      int64
	signInBefore, signInAfter      int64
}

func parseUserFilter(q url.Values) (*userFilter, *apiError) {
	f := &userFilter{
		usernames:   lowerAll(q["username"]),
		externalIDs: q["external_id"],
		userIDs:     parseIDFilter(q["user_id"]),
		orgIDs:      parseIDFilter(q["organization_id"]),
		query:       q.Get("query"),
		emailQuery:  q.Get("email_address_query"),
		userQuery:   q.Get("username_query"),
		nameQuery:   q.Get("name_query"),
	}
	f.emails = lowerAll(q["email_address"])
	f.phones = q["phone_number"]
	f.web3 = lowerAll(q["web3_wallet"])
	if q.Has("banned") {
		b, e := parseBool(q, "banned")
		if e != nil {
			return nil, e
		}
		f.banned = &b
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{
		{"created_at_before", &f.createdBefore}, {"created_at_after", &f.createdAfter},
		{"last_active_at_before", &f.activeBefore}, {"last_active_at_after", &f.activeAfter},
		{"last_active_at_since", &f.activeAfter},
		{"last_sign_in_at_before", &f.signInBefore}, {"last_sign_in_at_after", &f.signInAfter},
	} {
		if v := q.Get(p.name); v != "" {
			n, err := parseInt64(v)
			if err != nil {
				return nil, errFormat(p.name, p.name+" must be a Unix timestamp in milliseconds.")
			}
			*p.dst = n
		}
	}
	f.providerUserIDs = q["provider_user_id"]
	return f, nil
}

func lowerAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.ToLower(s)
	}
	return out
}

func (st *state) matchUser(u *userRec, f *userFilter) bool {
	if len(f.emails) > 0 && !slices.ContainsFunc(u.emails, func(e *emailRec) bool { return slices.Contains(f.emails, e.address) }) {
		return false
	}
	if len(f.phones) > 0 && !slices.ContainsFunc(u.phones, func(p *phoneRec) bool { return slices.Contains(f.phones, p.number) }) {
		return false
	}
	if len(f.providerUserIDs) > 0 && !slices.ContainsFunc(u.accounts, func(a *accountRec) bool { return slices.Contains(f.providerUserIDs, a.providerUserID) }) {
		return false
	}
	if len(f.web3) > 0 && !slices.ContainsFunc(u.web3, func(w *web3Rec) bool { return slices.Contains(f.web3, w.address) }) {
		return false
	}
	if len(f.usernames) > 0 && (u.username == nil || !slices.Contains(f.usernames, *u.username)) {
		return false
	}
	if len(f.externalIDs) > 0 && (u.externalID == nil || !slices.Contains(f.externalIDs, *u.externalID)) {
		return false
	}
	if !f.userIDs.match(u.id) {
		return false
	}
	if !f.orgIDs.empty() {
		var orgs []string
		for orgID, ms := range st.members {
			if ms[u.id] != nil {
				orgs = append(orgs, orgID)
			}
		}
		if !f.orgIDs.match(orgs...) {
			return false
		}
	}
	if f.banned != nil && u.banned != *f.banned {
		return false
	}
	if f.query != "" {
		hay := []string{u.id, deref(u.username), deref(u.firstName), deref(u.lastName), deref(u.firstName) + " " + deref(u.lastName)}
		for _, e := range u.emails {
			hay = append(hay, e.address)
		}
		for _, p := range u.phones {
			hay = append(hay, p.number)
		}
		for _, w := range u.web3 {
			hay = append(hay, w.address)
		}
		if !slices.ContainsFunc(hay, func(h string) bool { return containsFold(h, f.query) }) {
			return false
		}
	}
	if f.emailQuery != "" && !slices.ContainsFunc(u.emails, func(e *emailRec) bool { return containsFold(e.address, f.emailQuery) }) {
		return false
	}
	if f.userQuery != "" && !containsFold(deref(u.username), f.userQuery) {
		return false
	}
	if f.nameQuery != "" && !containsFold(deref(u.firstName)+" "+deref(u.lastName), f.nameQuery) {
		return false
	}
	return inRange(u.createdAt, f.createdBefore, f.createdAfter) &&
		inRange(u.lastActiveAt, f.activeBefore, f.activeAfter) &&
		inRange(u.lastSignInAt, f.signInBefore, f.signInAfter)
}

// inRange reports whether t is before `before` and after `after` (Unix
// ms, 0 for no bound); a zero t passes only when there is no bound.
func inRange(t time.Time, before, after int64) bool {
	if before == 0 && after == 0 {
		return true
	}
	if t.IsZero() {
		return false
	}
	m := t.UnixMilli()
	return (before == 0 || m < before) && (after == 0 || m > after)
}

// userOrderFields are the order_by fields of GET /v1/users.
var userOrderFields = []string{"created_at", "updated_at", "email_address", "web3wallet", "first_name", "last_name",
	"phone_number", "username", "last_active_at", "last_sign_in_at"}

func userSortKey(field string) func(*userRec) sortKey {
	switch field {
	case "updated_at":
		return func(u *userRec) sortKey { return timeKey(u.updatedAt) }
	case "email_address":
		return func(u *userRec) sortKey {
			if e := u.primaryEmail(); e != "" {
				return sortKey{s: e}
			}
			return sortKey{null: true}
		}
	case "first_name":
		return func(u *userRec) sortKey { return strKey(u.firstName) }
	case "last_name":
		return func(u *userRec) sortKey { return strKey(u.lastName) }
	case "username":
		return func(u *userRec) sortKey { return strKey(u.username) }
	case "last_active_at":
		return func(u *userRec) sortKey { return timeKey(u.lastActiveAt) }
	case "last_sign_in_at":
		return func(u *userRec) sortKey { return timeKey(u.lastSignInAt) }
	case "phone_number":
		return func(u *userRec) sortKey {
			for _, p := range u.phones {
				if p.id == u.primaryPhoneID {
					return sortKey{s: p.number}
				}
			}
			return sortKey{null: true}
		}
	case "web3wallet":
		return func(u *userRec) sortKey {
			for _, w := range u.web3 {
				if w.id == u.primaryWeb3ID {
					return sortKey{s: w.address}
				}
			}
			return sortKey{null: true}
		}
	}
	return func(u *userRec) sortKey { return timeKey(u.createdAt) }
}

// filteredUsers returns the users matching the query's filters, in the
// order it asks for.
func (st *state) filteredUsers(q url.Values) ([]*userRec, *apiError) {
	f, e := parseUserFilter(q)
	if e != nil {
		return nil, e
	}
	field, desc, e := orderBy(q, "-created_at", userOrderFields...)
	if e != nil {
		return nil, e
	}
	var out []*userRec
	for _, u := range st.users {
		if st.matchUser(u, f) {
			out = append(out, u)
		}
	}
	sortBy(out, desc, userSortKey(field), func(u *userRec) int64 { return u.seq })
	return out, nil
}

// listUsers is GET /v1/users, which answers a bare array (the count is
// GET /v1/users/count).
func (s *Server) listUsers(c *call) (any, *apiError) {
	q := c.r.URL.Query()
	p, e := pageParams(q)
	if e != nil {
		return nil, e
	}
	now := c.now
	users, e := c.st.filteredUsers(q)
	if e != nil {
		return nil, e
	}
	if after := q.Get("starting_after"); after != "" {
		field, _, _ := orderBy(q, "-created_at", userOrderFields...)
		if field != "created_at" {
			return nil, errValue("starting_after", "starting_after requires ordering by created_at.")
		}
		if p.offset != 0 {
			return nil, errValue("starting_after", "starting_after cannot be combined with a non-zero offset.")
		}
		i := slices.IndexFunc(users, func(u *userRec) bool { return u.id == after })
		if i < 0 {
			return nil, errValue("starting_after", "starting_after must be the id of a user in the list.")
		}
		users = users[i+1:]
	}
	out := []userJSON{}
	for _, u := range paginate(users, p) {
		out = append(out, c.st.userJSON(u, now))
	}
	return out, nil
}

type totalCountJSON struct {
	Object     string `json:"object"`
	TotalCount int    `json:"total_count"`
}

// countUsers is GET /v1/users/count, with the filters of GET /v1/users.
func (s *Server) countUsers(c *call) (any, *apiError) {
	users, e := c.st.filteredUsers(c.r.URL.Query())
	if e != nil {
		return nil, e
	}
	return totalCountJSON{Object: "total_count", TotalCount: len(users)}, nil
}
