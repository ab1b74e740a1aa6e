// What email addresses and phone numbers share: their JSON, their
// one-time-code verifications (prepare_verification,
// attempt_verification) and Clerk's test identifiers.

package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Verification codes: six digits, valid for ten minutes, at most
// maxCodeAttempts wrong tries before the verification fails.
const (
	codeLifetime    = 10 * time.Minute
	maxCodeAttempts = 3
	// testCode is the code of Clerk's test identifiers (see testIdentifier).
	testCode = "424242"
)

// testPhonePattern is Clerk's test phone numbers, +1 (XXX) 555-0100 to
// 555-0199 in E.164.
var testPhonePattern = regexp.MustCompile(`^\+1[0-9]{3}55501[0-9]{2}$`)

// e164Pattern is the E.164 format Clerk requires of phone numbers.
var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// testIdentifier reports whether addr is one of Clerk's test identifiers
// (an email address whose local part has "+clerk_test", a phone number
// +1 XXX 555 01XX), whose verification code is always 424242, as on
// Clerk's development instances.
func testIdentifier(addr string) bool {
	if local, _, ok := strings.Cut(addr, "@"); ok {
		return strings.Contains(local, "+clerk_test")
	}
	return testPhonePattern.MatchString(addr)
}

// newCode returns the code of a new verification of addr: 424242 for a
// test identifier, else six random digits.
func newCode(addr string) string {
	if testIdentifier(addr) {
		return testCode
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("emulator: crypto/rand: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// verificationJSON of a one-time code (verification_otp).
func otpJSON(o *otpRec, now time.Time) *verificationJSON {
	attempts, exp := o.attempts, ms(o.expireAt)
	v := &verificationJSON{Object: "verification_otp", Status: o.statusAt(now), Strategy: o.strategy, Attempts: &attempts, ExpireAt: &exp}
	if o.strategy == "phone_code" {
		ch := "sms"
		v.Channel = &ch
	}
	return v
}

// adminVerification is the verification of an identifier created or
// marked verified through the Backend API.
func adminVerification() *verificationJSON {
	return &verificationJSON{Object: "verification_admin", Status: "verified", Strategy: "admin"}
}

// identifierVerification is the verification member of an email address
// or phone number: while it is reserved or unverified, its last code
// verification (o) or null; once verified, the code verification that
// verified it (byCode), else the admin's. A code prepared for a verified
// address does not change it.
func identifierVerification(reserved, unverified bool, byCode, o *otpRec, now time.Time) *verificationJSON {
	switch {
	case reserved || unverified:
		if o != nil {
			return otpJSON(o, now)
		}
		return nil
	case byCode != nil:
		return otpJSON(byCode, now)
	}
	return adminVerification()
}

func (st *state) emailJSON(e *emailRec, now time.Time) emailJSON {
	return emailJSON{
		ID: e.id, Object: "email_address", EmailAddress: e.address, Reserved: e.reserved,
		Verification: identifierVerification(e.reserved, e.unverified, e.byCode, e.otp, now),
		LinkedTo:     []any{}, CreatedAt: ms(e.createdAt), UpdatedAt: ms(e.updatedAt),
	}
}

// phoneJSON is a PhoneNumber of the spec.
type phoneJSON struct {
	ID                      string            `json:"id"`
	Object                  string            `json:"object"`
	PhoneNumber             string            `json:"phone_number"`
	ReservedForSecondFactor bool              `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool              `json:"default_second_factor"`
	Reserved                bool              `json:"reserved"`
	Verification            *verificationJSON `json:"verification"`
	LinkedTo                []any             `json:"linked_to"`
	BackupCodes             []string          `json:"backup_codes"`
	CreatedAt               int64             `json:"created_at"`
	UpdatedAt               int64             `json:"updated_at"`
}

func (st *state) phoneJSON(p *phoneRec, now time.Time) phoneJSON {
	return phoneJSON{
		ID: p.id, Object: "phone_number", PhoneNumber: p.number, ReservedForSecondFactor: p.secondFactor,
		DefaultSecondFactor: p.defaultSecond, Reserved: p.reserved,
		Verification: identifierVerification(p.reserved, p.unverified, p.byCode, p.otp, now),
		LinkedTo:     []any{}, CreatedAt: ms(p.createdAt), UpdatedAt: ms(p.updatedAt),
	}
}

// identifiersJSON are the email_addresses and phone_numbers of a User.
func (st *state) identifiersJSON(u *userRec, now time.Time) ([]emailJSON, []any) {
	emails := make([]emailJSON, len(u.emails))
	for i, e := range u.emails {
		emails[i] = st.emailJSON(e, now)
	}
	phones := make([]any, len(u.phones))
	for i, p := range u.phones {
		phones[i] = st.phoneJSON(p, now)
	}
	return emails, phones
}

// codeVerificationJSON is the answer of prepare_verification and
// attempt_verification.
type codeVerificationJSON struct {
	Object   string  `json:"object"`
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Strategy string  `json:"strategy"`
	Attempts *int    `json:"attempts"`
	ExpireAt *int64  `json:"expire_at"`
	Channel  *string `json:"channel"`
}

func codeJSON(o *otpRec, now time.Time) codeVerificationJSON {
	v := otpJSON(o, now)
	return codeVerificationJSON{Object: v.Object, ID: o.id, Status: v.Status, Strategy: v.Strategy,
		Attempts: v.Attempts, ExpireAt: v.ExpireAt, Channel: v.Channel}
}

// prepareCode starts a new verification of addr (strategy email_code or
// phone_code), replacing any earlier one, which can no longer be
// attempted.
func prepareCode(addr, strategy string, now time.Time) *otpRec {
	return &otpRec{id: randomID("ver_"), strategy: strategy, status: "unverified", code: newCode(addr), expireAt: now.Add(codeLifetime)}
}

type attemptBody struct {
	VerificationID *string `json:"verification_id"`
	Code           *string `json:"code"`
}

// attemptCode checks b against o, the identifier's current verification
// (nil for none): it reports whether the code verified it just now. A
// wrong code counts an attempt (the verification fails at the
// maxCodeAttempts-th); an expired or failed verification is answered
// through its status, and a code against a verified one is an error.
func attemptCode(o *otpRec, b *attemptBody, now time.Time) (verified bool, e *apiError) {
	if b.VerificationID == nil || *b.VerificationID == "" {
		return false, errMissing("verification_id")
	}
	if b.Code == nil || *b.Code == "" {
		return false, errMissing("code")
	}
	if o == nil || o.id != *b.VerificationID {
		return false, errNotFound("verification", *b.VerificationID)
	}
	switch o.statusAt(now) {
	case "verified":
		return false, &apiError{status: http.StatusBadRequest, code: "verification_already_verified",
			msg: "This verification has already been verified.", long: "This verification has already been verified.", param: "verification_id"}
	case "expired", "failed":
		return false, nil
	}
	if subtle.ConstantTimeCompare([]byte(*b.Code), []byte(o.code)) == 1 {
		o.status = "verified"
		o.attempts++
		return true, nil
	}
	o.attempts++
	if o.attempts >= maxCodeAttempts {
		o.status = "failed"
	}
	return false, nil
}

// mfaBefore returns a function that, called after a change to u, stamps
// mfa_enabled_at or mfa_disabled_at when the change turned u's second
// factors on or off.
func mfaBefore(u *userRec, now time.Time) func() {
	before := u.twoFactorEnabled()
	return func() {
		switch after := u.twoFactorEnabled(); {
		case after && !before:
			u.mfaEnabledAt = now
		case before && !after:
			u.mfaDisabledAt = now
		}
	}
}

// VerificationCode returns the one-time code of the verification last
// prepared (POST …/prepare_verification) for the email address or phone
// number with the id (idn_…), which the Server sends nowhere: it is also
// in the email.created and sms.created webhooks. It fails with a 404
// *APIError for an unknown id or one without a verification prepared.
func (s *Server) VerificationCode(identificationID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.st.users {
		for _, e := range u.emails {
			if e.id == identificationID && e.otp != nil {
				return e.otp.code, nil
			}
		}
		for _, p := range u.phones {
			if p.id == identificationID && p.otp != nil {
				return p.otp.code, nil
			}
		}
	}
	return "", errNotFound("verification of an email address or phone number", identificationID).err()
}
