// The Email Addresses endpoints: a user's email addresses, their
// verification by one-time code, and PUT /v1/users/{id}/email_address.

package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func (s *Server) registerEmailAddressRoutes() {
	handleBody(s, "POST /v1/email_addresses", s.createEmailAddress, "notify_primary_email_address_changed")
	s.handle("GET /v1/email_addresses/{email_address_id}", s.getEmailAddress)
	handleBody(s, "PATCH /v1/email_addresses/{email_address_id}", s.updateEmailAddress, "notify_primary_email_address_changed")
	s.handle("DELETE /v1/email_addresses/{email_address_id}", s.deleteEmailAddress)
	handleBody(s, "POST /v1/email_addresses/{email_address_id}/prepare_verification", s.prepareEmailVerification)
	handleBody(s, "POST /v1/email_addresses/{email_address_id}/attempt_verification", s.attemptEmailVerification)
	handleBody(s, "PUT /v1/users/{user_id}/email_address", s.replaceUserEmailAddress, "notify_primary_email_address_changed")
}

// emailAddress is the email address of the path's {email_address_id} and
// its user.
func (c *call) emailAddress() (*userRec, *emailRec, *apiError) {
	id := c.r.PathValue("email_address_id")
	for _, u := range c.st.users {
		for _, e := range u.emails {
			if e.id == id {
				return u, e, nil
			}
		}
	}
	return nil, nil, errNotFound("email address", id)
}

// checkEmailFree normalizes addr (trimmed, lower case) and requires it
// to be a valid address that no user but owner ("" for none) has.
func (st *state) checkEmailFree(addr *string, owner string) (string, *apiError) {
	if addr == nil || *addr == "" {
		return "", errMissing("email_address")
	}
	a := strings.ToLower(strings.TrimSpace(*addr))
	if !validEmail(a) {
		return "", errFormat("email_address", "email_address must be a valid email address.")
	}
	if id := st.emails[a]; id != "" && id != owner {
		return "", errTaken("email_address", "email address")
	}
	return a, nil
}

// errPrimaryUnverified refuses to make an unverified identifier primary.
func errPrimaryUnverified(status int, param, what string) *apiError {
	return &apiError{status: status, code: "form_param_value_invalid", msg: "is invalid",
		long: "A primary " + what + " must be verified: verify it first.", param: param}
}

type createEmailBody struct {
	UserID       *string `json:"user_id"`
	EmailAddress *string `json:"email_address"`
	Verified     *bool   `json:"verified"`
	Primary      *bool   `json:"primary"`
}

// createEmailAddress is POST /v1/email_addresses: a new address of the
// user, unverified unless verified is true; primary (which needs it
// verified) or, for the user's first verified address, primary anyway.
func (s *Server) createEmailAddress(c *call, b *createEmailBody) (any, *apiError) {
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	addr, e := c.st.checkEmailFree(b.EmailAddress, "")
	if e != nil {
		return nil, e
	}
	u, e := c.st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	verified, primary := b.Verified != nil && *b.Verified, b.Primary != nil && *b.Primary
	if primary && !verified {
		return nil, errPrimaryUnverified(http.StatusUnprocessableEntity, "primary", "email address")
	}
	em := &emailRec{id: randomID("idn_"), address: addr, unverified: !verified, createdAt: c.now, updatedAt: c.now}
	u.emails = append(u.emails, em)
	c.st.emails[addr] = u.id
	if primary || (verified && u.primaryEmailID == "") {
		u.primaryEmailID = em.id
	}
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.emailJSON(em, c.now), nil
}

func (s *Server) getEmailAddress(c *call) (any, *apiError) {
	_, em, e := c.emailAddress()
	if e != nil {
		return nil, e
	}
	return c.st.emailJSON(em, c.now), nil
}

type updateEmailBody struct {
	Verified *bool `json:"verified"`
	Primary  *bool `json:"primary"`
}

// updateEmailAddress is PATCH /v1/email_addresses/{id}: verified true
// marks it verified by the admin (false unverified, refused for the
// primary address); primary true makes it the primary address (it must
// be verified, after this request's verified), primary false is refused
// for the primary address (make another one primary instead).
func (s *Server) updateEmailAddress(c *call, b *updateEmailBody) (any, *apiError) {
	u, em, e := c.emailAddress()
	if e != nil {
		return nil, e
	}
	isPrimary := u.primaryEmailID == em.id
	verified := em.verified()
	if b.Verified != nil {
		verified = *b.Verified
	}
	switch {
	case b.Verified != nil && !*b.Verified && isPrimary:
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: "The primary email address cannot be marked unverified: make another one primary first.", param: "verified"}
	case b.Primary != nil && *b.Primary && !verified:
		return nil, errPrimaryUnverified(http.StatusBadRequest, "primary", "email address")
	case b.Primary != nil && !*b.Primary && isPrimary:
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: "The primary email address stays primary until another one is made primary.", param: "primary"}
	}
	changed := false
	if b.Verified != nil && verified != em.verified() {
		em.reserved, em.unverified, em.byCode, changed = false, !verified, nil, true
	}
	if b.Primary != nil && *b.Primary && !isPrimary {
		u.primaryEmailID, changed = em.id, true
	}
	if changed {
		em.updatedAt, u.updatedAt = c.now, c.now
		c.st.emitUser("user.updated", u, c.now)
	}
	return c.st.emailJSON(em, c.now), nil
}

// deleteEmailAddress is DELETE /v1/email_addresses/{id}. The primary
// address can be deleted only when it is the user's last one (409
// otherwise: make another one primary first).
func (s *Server) deleteEmailAddress(c *call) (any, *apiError) {
	u, em, e := c.emailAddress()
	if e != nil {
		return nil, e
	}
	if u.primaryEmailID == em.id && len(u.emails) > 1 {
		return nil, &apiError{status: http.StatusConflict, code: "form_param_value_invalid", msg: "is invalid",
			long: "The primary email address cannot be deleted while the user has others: make another one primary first."}
	}
	c.st.removeEmail(u, em)
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return deletedJSON{Object: "email_address", ID: em.id, Deleted: true}, nil
}

// removeEmail takes em off u and frees its address.
func (st *state) removeEmail(u *userRec, em *emailRec) {
	u.emails = slices.DeleteFunc(u.emails, func(x *emailRec) bool { return x == em })
	if st.emails[em.address] == u.id {
		delete(st.emails, em.address)
	}
	if u.primaryEmailID == em.id {
		u.primaryEmailID = ""
	}
}

// prepareEmailVerification is POST /v1/email_addresses/{id}/
// prepare_verification: a new six-digit code (424242 for Clerk's test
// addresses, +clerk_test), valid ten minutes, which replaces any earlier
// one. The Server sends no email: it delivers an email.created webhook
// (delivered_by_clerk false) whose data carries the code, and
// VerificationCode tells it.
func (s *Server) prepareEmailVerification(c *call, _ *struct{}) (any, *apiError) {
	u, em, e := c.emailAddress()
	if e != nil {
		return nil, e
	}
	em.otp = prepareCode(em.address, "email_code", c.now)
	em.updatedAt = c.now
	c.st.emitCodeEmail(u, em, c.now)
	return codeJSON(em.otp, c.now), nil
}

// attemptEmailVerification is POST /v1/email_addresses/{id}/
// attempt_verification (see attemptCode): the right code verifies an
// address that was not (user.updated), and leaves a verified one as it
// is.
func (s *Server) attemptEmailVerification(c *call, b *attemptBody) (any, *apiError) {
	u, em, e := c.emailAddress()
	if e != nil {
		return nil, e
	}
	ok, e := attemptCode(em.otp, b, c.now)
	if e != nil {
		return nil, e
	}
	em.updatedAt = c.now
	if ok && !em.verified() {
		em.reserved, em.unverified, em.byCode = false, false, em.otp
		if u.primaryEmailID == "" {
			u.primaryEmailID = em.id
		}
		u.updatedAt = c.now
		c.st.emitUser("user.updated", u, c.now)
	}
	return codeJSON(em.otp, c.now), nil
}

type replaceEmailBody struct {
	EmailAddress         *string `json:"email_address"`
	IdentificationStatus *string `json:"identification_status"`
}

// identificationStatus reads identification_status: verified (the
// default), reserved or unverified.
func identificationStatus(v *string) (reserved, unverified bool, e *apiError) {
	if v == nil {
		return false, false, nil
	}
	switch *v {
	case "verified":
		return false, false, nil
	case "reserved":
		return true, false, nil
	case "unverified":
		return false, true, nil
	}
	return false, false, errValue("identification_status", "identification_status must be verified, reserved or unverified.")
}

// replaceUserEmailAddress is PUT /v1/users/{user_id}/email_address: the
// user's email addresses are replaced by one primary address, verified
// (by the admin), reserved or unverified as identification_status says.
// The user's current address (same address) may be given: it is
// replaced too, with the new status.
func (s *Server) replaceUserEmailAddress(c *call, b *replaceEmailBody) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	reserved, unverified, e := identificationStatus(b.IdentificationStatus)
	if e != nil {
		return nil, e
	}
	addr, e := c.st.checkEmailFree(b.EmailAddress, u.id)
	if e != nil {
		return nil, e
	}
	for _, old := range slices.Clone(u.emails) {
		c.st.removeEmail(u, old)
	}
	em := &emailRec{id: randomID("idn_"), address: addr, reserved: reserved, unverified: unverified, createdAt: c.now, updatedAt: c.now}
	u.emails = []*emailRec{em}
	c.st.emails[addr] = u.id
	u.primaryEmailID = em.id
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.emailJSON(em, c.now), nil
}

// emailEventJSON is the data of email.created: an email the Server
// would have sent, with the verification code in data.otp_code.
type emailEventJSON struct {
	Object           string         `json:"object"`
	ID               string         `json:"id"`
	Slug             string         `json:"slug"`
	FromEmailName    string         `json:"from_email_name"`
	ReplyToEmailName *string        `json:"reply_to_email_name"`
	ToEmailAddress   string         `json:"to_email_address"`
	EmailAddressID   string         `json:"email_address_id"`
	UserID           string         `json:"user_id"`
	Subject          string         `json:"subject"`
	Body             string         `json:"body"`
	BodyPlain        string         `json:"body_plain"`
	Status           string         `json:"status"`
	Data             map[string]any `json:"data"`
	DeliveredByClerk bool           `json:"delivered_by_clerk"`
}

func (st *state) emitCodeEmail(u *userRec, em *emailRec, now time.Time) {
	if !st.hooks {
		return
	}
	code := em.otp.code
	text := code + " is your verification code. It expires in 10 minutes."
	st.emit("email.created", emailEventJSON{
		Object: "email", ID: randomID("ema_"), Slug: "verification_code", FromEmailName: "notifications",
		ToEmailAddress: em.address, EmailAddressID: em.id, UserID: u.id,
		Subject: code + " is your verification code", Body: "<p>" + text + "</p>", BodyPlain: text, Status: "queued",
		Data: map[string]any{"otp_code": code, "requested_at": now.UTC().Format(time.RFC3339)}, DeliveredByClerk: false,
	}, now)
}
