// The Phone Numbers endpoints: a user's phone numbers (E.164), their
// verification by one-time code, second-factor reservation, and PUT
// /v1/users/{id}/phone_number.

package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func (s *Server) registerPhoneNumberRoutes() {
	handleBody(s, "POST /v1/phone_numbers", s.createPhoneNumber)
	s.handle("GET /v1/phone_numbers/{phone_number_id}", s.getPhoneNumber)
	handleBody(s, "PATCH /v1/phone_numbers/{phone_number_id}", s.updatePhoneNumber)
	s.handle("DELETE /v1/phone_numbers/{phone_number_id}", s.deletePhoneNumber)
	handleBody(s, "POST /v1/phone_numbers/{phone_number_id}/prepare_verification", s.preparePhoneVerification)
	handleBody(s, "POST /v1/phone_numbers/{phone_number_id}/attempt_verification", s.attemptPhoneVerification)
	handleBody(s, "PUT /v1/users/{user_id}/phone_number", s.replaceUserPhoneNumber)
}

// phoneNumber is the phone number of the path's {phone_number_id} and its
// user.
func (c *call) phoneNumber() (*userRec, *phoneRec, *apiError) {
	id := c.r.PathValue("phone_number_id")
	for _, u := range c.st.users {
		for _, p := range u.phones {
			if p.id == id {
				return u, p, nil
			}
		}
	}
	return nil, nil, errNotFound("phone number", id)
}

// checkPhoneFree trims number and requires it to be in E.164 format and
// no user's but owner's ("" for none).
func (st *state) checkPhoneFree(number *string, owner string) (string, *apiError) {
	if number == nil || *number == "" {
		return "", errMissing("phone_number")
	}
	n := strings.TrimSpace(*number)
	if !e164Pattern.MatchString(n) {
		return "", errFormat("phone_number", "phone_number must be in E.164 format, e.g. +15555550100.")
	}
	if id := st.phones[n]; id != "" && id != owner {
		return "", errTaken("phone_number", "phone number")
	}
	return n, nil
}

// addPhone stores a new phone number of u (already validated).
func (st *state) addPhone(u *userRec, number string, reserved, unverified bool, now time.Time) *phoneRec {
	p := &phoneRec{id: randomID("idn_"), number: number, reserved: reserved, unverified: unverified, createdAt: now, updatedAt: now}
	u.phones = append(u.phones, p)
	st.phones[number] = u.id
	return p
}

// reserveSecondFactor makes p a second factor of u, the default one when
// u has no other.
func reserveSecondFactor(u *userRec, p *phoneRec) {
	p.secondFactor = true
	p.defaultSecond = !slices.ContainsFunc(u.phones, func(x *phoneRec) bool { return x != p && x.defaultSecond })
}

// releaseSecondFactor makes p an ordinary phone number again; if it was
// the default second factor, another second-factor phone of u becomes it.
func releaseSecondFactor(u *userRec, p *phoneRec) {
	wasDefault := p.defaultSecond
	p.secondFactor, p.defaultSecond = false, false
	if wasDefault {
		for _, x := range u.phones {
			if x != p && x.secondFactor {
				x.defaultSecond = true
				break
			}
		}
	}
}

// removePhone takes p off u and frees its number.
func (st *state) removePhone(u *userRec, p *phoneRec) {
	releaseSecondFactor(u, p)
	u.phones = slices.DeleteFunc(u.phones, func(x *phoneRec) bool { return x == p })
	if st.phones[p.number] == u.id {
		delete(st.phones, p.number)
	}
	if u.primaryPhoneID == p.id {
		u.primaryPhoneID = ""
	}
}

type createPhoneBody struct {
	UserID                  *string `json:"user_id"`
	PhoneNumber             *string `json:"phone_number"`
	Verified                *bool   `json:"verified"`
	Primary                 *bool   `json:"primary"`
	ReservedForSecondFactor *bool   `json:"reserved_for_second_factor"`
}

// errSecondFactorUnverified refuses to reserve an unverified phone number
// for second factor.
func errSecondFactorUnverified(status int) *apiError {
	return &apiError{status: status, code: "form_param_value_invalid", msg: "is invalid",
		long: "A phone number reserved for second factor must be verified.", param: "reserved_for_second_factor"}
}

// createPhoneNumber is POST /v1/phone_numbers: a new number of the user,
// unverified unless verified is true; primary (which needs it verified)
// or, for the user's first verified number, primary anyway;
// reserved_for_second_factor (verified only) enables the user's MFA.
func (s *Server) createPhoneNumber(c *call, b *createPhoneBody) (any, *apiError) {
	if b.UserID == nil || *b.UserID == "" {
		return nil, errMissing("user_id")
	}
	number, e := c.st.checkPhoneFree(b.PhoneNumber, "")
	if e != nil {
		return nil, e
	}
	u, e := c.st.user(*b.UserID)
	if e != nil {
		return nil, e
	}
	verified, primary := b.Verified != nil && *b.Verified, b.Primary != nil && *b.Primary
	second := b.ReservedForSecondFactor != nil && *b.ReservedForSecondFactor
	if primary && !verified {
		return nil, errPrimaryUnverified(http.StatusUnprocessableEntity, "primary", "phone number")
	}
	if second && !verified {
		return nil, errSecondFactorUnverified(http.StatusUnprocessableEntity)
	}
	stamp := mfaBefore(u, c.now)
	p := c.st.addPhone(u, number, false, !verified, c.now)
	if primary || (verified && u.primaryPhoneID == "") {
		u.primaryPhoneID = p.id
	}
	if second {
		reserveSecondFactor(u, p)
	}
	stamp()
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.phoneJSON(p, c.now), nil
}

func (s *Server) getPhoneNumber(c *call) (any, *apiError) {
	_, p, e := c.phoneNumber()
	if e != nil {
		return nil, e
	}
	return c.st.phoneJSON(p, c.now), nil
}

type updatePhoneBody struct {
	Verified                *bool `json:"verified"`
	Primary                 *bool `json:"primary"`
	ReservedForSecondFactor *bool `json:"reserved_for_second_factor"`
}

// updatePhoneNumber is PATCH /v1/phone_numbers/{id}: verified, primary
// and reserved_for_second_factor as for email addresses (primary and
// second factor need the number verified, after this request's verified;
// a primary or second-factor number cannot be marked unverified, and the
// primary number stays primary until another one is made so).
func (s *Server) updatePhoneNumber(c *call, b *updatePhoneBody) (any, *apiError) {
	u, p, e := c.phoneNumber()
	if e != nil {
		return nil, e
	}
	isPrimary := u.primaryPhoneID == p.id
	verified := p.verified()
	if b.Verified != nil {
		verified = *b.Verified
	}
	second := p.secondFactor
	if b.ReservedForSecondFactor != nil {
		second = *b.ReservedForSecondFactor
	}
	bad := func(param, long string) *apiError {
		return &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid", long: long, param: param}
	}
	switch {
	case !verified && b.Verified != nil && (isPrimary || second):
		return nil, bad("verified", "A primary or second-factor phone number cannot be marked unverified.")
	case b.Primary != nil && *b.Primary && !verified:
		return nil, errPrimaryUnverified(http.StatusBadRequest, "primary", "phone number")
	case second && !verified:
		return nil, errSecondFactorUnverified(http.StatusBadRequest)
	case b.Primary != nil && !*b.Primary && isPrimary:
		return nil, bad("primary", "The primary phone number stays primary until another one is made primary.")
	}
	stamp := mfaBefore(u, c.now)
	changed := false
	if b.Verified != nil && verified != p.verified() {
		p.reserved, p.unverified, p.byCode, changed = false, !verified, nil, true
	}
	if b.Primary != nil && *b.Primary && !isPrimary {
		u.primaryPhoneID, changed = p.id, true
	}
	if second != p.secondFactor {
		if second {
			reserveSecondFactor(u, p)
		} else {
			releaseSecondFactor(u, p)
		}
		changed = true
	}
	if changed {
		stamp()
		p.updatedAt, u.updatedAt = c.now, c.now
		c.st.emitUser("user.updated", u, c.now)
	}
	return c.st.phoneJSON(p, c.now), nil
}

// deletePhoneNumber is DELETE /v1/phone_numbers/{id}. The primary number
// can be deleted only when it is the user's last one (400 otherwise).
func (s *Server) deletePhoneNumber(c *call) (any, *apiError) {
	u, p, e := c.phoneNumber()
	if e != nil {
		return nil, e
	}
	if u.primaryPhoneID == p.id && len(u.phones) > 1 {
		return nil, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
			long: "The primary phone number cannot be deleted while the user has others: make another one primary first."}
	}
	stamp := mfaBefore(u, c.now)
	c.st.removePhone(u, p)
	stamp()
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return deletedJSON{Object: "phone_number", ID: p.id, Deleted: true}, nil
}

// preparePhoneVerification is POST /v1/phone_numbers/{id}/
// prepare_verification: as for email addresses (424242 for Clerk's test
// numbers, +1 XXX 555 0100 to 0199); the Server sends no SMS but an
// sms.created webhook (delivered_by_clerk false) with the code.
func (s *Server) preparePhoneVerification(c *call, _ *struct{}) (any, *apiError) {
	u, p, e := c.phoneNumber()
	if e != nil {
		return nil, e
	}
	p.otp = prepareCode(p.number, "phone_code", c.now)
	p.updatedAt = c.now
	c.st.emitCodeSMS(u, p, c.now)
	return codeJSON(p.otp, c.now), nil
}

// attemptPhoneVerification is POST /v1/phone_numbers/{id}/
// attempt_verification (see attemptCode).
func (s *Server) attemptPhoneVerification(c *call, b *attemptBody) (any, *apiError) {
	u, p, e := c.phoneNumber()
	if e != nil {
		return nil, e
	}
	ok, e := attemptCode(p.otp, b, c.now)
	if e != nil {
		return nil, e
	}
	p.updatedAt = c.now
	if ok && !p.verified() {
		p.reserved, p.unverified, p.byCode = false, false, p.otp
		if u.primaryPhoneID == "" {
			u.primaryPhoneID = p.id
		}
		u.updatedAt = c.now
		c.st.emitUser("user.updated", u, c.now)
	}
	return codeJSON(p.otp, c.now), nil
}

type replacePhoneBody struct {
	PhoneNumber          *string `json:"phone_number"`
	IdentificationStatus *string `json:"identification_status"`
}

// replaceUserPhoneNumber is PUT /v1/users/{user_id}/phone_number: the
// user's phone numbers are replaced by one primary number, verified,
// reserved or unverified, never a second factor. Second-factor numbers
// go with the others: when they were the user's only second factor, MFA
// is off afterwards (TOTP and backup codes stay).
func (s *Server) replaceUserPhoneNumber(c *call, b *replacePhoneBody) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	reserved, unverified, e := identificationStatus(b.IdentificationStatus)
	if e != nil {
		return nil, e
	}
	number, e := c.st.checkPhoneFree(b.PhoneNumber, u.id)
	if e != nil {
		return nil, e
	}
	stamp := mfaBefore(u, c.now)
	for _, old := range slices.Clone(u.phones) {
		c.st.removePhone(u, old)
	}
	p := c.st.addPhone(u, number, reserved, unverified, c.now)
	u.primaryPhoneID = p.id
	stamp()
	u.updatedAt = c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.phoneJSON(p, c.now), nil
}

// smsEventJSON is the data of sms.created: a message the Server would
// have sent, with the verification code.
type smsEventJSON struct {
	Object           string         `json:"object"`
	ID               string         `json:"id"`
	Slug             string         `json:"slug"`
	FromPhoneNumber  string         `json:"from_phone_number"`
	ToPhoneNumber    string         `json:"to_phone_number"`
	PhoneNumberID    string         `json:"phone_number_id"`
	UserID           string         `json:"user_id"`
	Message          string         `json:"message"`
	Status           string         `json:"status"`
	Data             map[string]any `json:"data"`
	DeliveredByClerk bool           `json:"delivered_by_clerk"`
	CreatedAtMS      int64          `json:"created_at_ms"`
}

// smsSender is the number the Server's messages come from (a fictional
// one).
const smsSender = "+15555550100"

func (st *state) emitCodeSMS(u *userRec, p *phoneRec, now time.Time) {
	if !st.hooks {
		return
	}
	code := p.otp.code
	st.emit("sms.created", smsEventJSON{
		Object: "sms_message", ID: randomID("sms_"), Slug: "verification_code", FromPhoneNumber: smsSender,
		ToPhoneNumber: p.number, PhoneNumberID: p.id, UserID: u.id,
		Message: "Your verification code is " + code, Status: "queued",
		Data: map[string]any{"otp_code": code}, DeliveredByClerk: false, CreatedAtMS: ms(now),
	}, now)
}
