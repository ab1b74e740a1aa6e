// A user's second factors: TOTP (RFC 6238) and backup codes, their
// verification and removal.

package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (s *Server) registerMFARoutes() {
	handleBody(s, "POST /v1/users/{user_id}/verify_totp", s.verifyTOTP)
	s.handle("DELETE /v1/users/{user_id}/totp", s.deleteMFA(true, false, false))
	s.handle("DELETE /v1/users/{user_id}/backup_code", s.deleteMFA(false, true, false))
	s.handle("DELETE /v1/users/{user_id}/mfa", s.deleteMFA(true, true, true))
}

// TOTP parameters Clerk supports: 30-second steps, six digits,
// HMAC-SHA1. A code is accepted for its step and the one before and
// after (clock drift), once.
const (
	totpStep   = 30
	totpDigits = 6
	totpSkew   = 1
)

// parseTOTPSecret decodes a base32 TOTP secret (RFC 4648, any case,
// padding and spaces optional), as POST and PATCH /v1/users take it; the
// result is stored as the canonical upper-case, unpadded text.
func parseTOTPSecret(secret string) (canonical string, key []byte, e *apiError) {
	s := strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "="))
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(key) < 10 {
		return "", nil, errFormat("totp_secret", "totp_secret must be a base32 secret of at least 80 bits (16 characters).")
	}
	return s, key, nil
}

// TOTPCode returns the TOTP code (RFC 6238: 30-second steps, six digits,
// HMAC-SHA1) of the base32 secret at t, as an authenticator app shows it
// for a user whose totp_secret it is; for tests of flows that call
// POST /v1/users/{id}/verify_totp.
func TOTPCode(secret string, t time.Time) (string, error) {
	_, key, e := parseTOTPSecret(secret)
	if e != nil {
		return "", e.err()
	}
	return hotp(key, t.Unix()/totpStep), nil
}

// hotp is RFC 4226's HOTP of key at counter, totpDigits digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, bin%1_000_000)
}

// checkTOTP reports whether code is u's TOTP code at now, within
// totpSkew steps, of a step later than the last one accepted (a code
// is accepted once); it records the step accepted.
func (u *userRec) checkTOTP(code string, now time.Time) bool {
	_, key, e := parseTOTPSecret(u.totpSecret)
	if e != nil {
		return false
	}
	step, ok := now.Unix()/totpStep, false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := step + d
		if subtle.ConstantTimeCompare([]byte(hotp(key, s)), []byte(code)) == 1 && s > u.totpLastStep {
			u.totpLastStep, ok = s, true
		}
	}
	return ok
}

// useBackupCode consumes code if it is one of u's unused backup codes
// (compared in constant time; a bcrypt digest given as a backup code is
// kept but never matches, the Server having no bcrypt).
func (u *userRec) useBackupCode(code string) bool {
	for i, bc := range u.backupCodes {
		if subtle.ConstantTimeCompare([]byte(bc), []byte(code)) == 1 {
			u.backupCodes = append(u.backupCodes[:i:i], u.backupCodes[i+1:]...)
			return true
		}
	}
	return false
}

type verifyTOTPBody struct {
	Code *string `json:"code"`
}

type verifyTOTPJSON struct {
	Verified bool   `json:"verified"`
	CodeType string `json:"code_type"`
}

// verifyTOTP is POST /v1/users/{user_id}/verify_totp: {"verified": true,
// "code_type": "totp"} for the user's current TOTP code (see checkTOTP),
// "backup_code" for one of its backup codes, which is consumed
// (user.updated); 422 form_code_incorrect for any other code, 400 when the
// user has neither TOTP nor backup codes.
func (s *Server) verifyTOTP(c *call, b *verifyTOTPBody) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	if b.Code == nil || *b.Code == "" {
		return nil, errMissing("code")
	}
	if !u.totpEnabled() && len(u.backupCodes) == 0 {
		return nil, &apiError{status: http.StatusBadRequest, code: "totp_not_enabled", msg: "TOTP is not enabled",
			long: "The user has no TOTP secret and no backup codes."}
	}
	code := strings.TrimSpace(*b.Code)
	if u.totpEnabled() && u.checkTOTP(code, c.now) {
		return verifyTOTPJSON{Verified: true, CodeType: "totp"}, nil
	}
	stamp := mfaBefore(u, c.now)
	if u.useBackupCode(code) {
		stamp()
		u.updatedAt = c.now
		c.st.emitUser("user.updated", u, c.now)
		return verifyTOTPJSON{Verified: true, CodeType: "backup_code"}, nil
	}
	return nil, &apiError{status: http.StatusUnprocessableEntity, code: "form_code_incorrect", msg: "Incorrect code",
		long: "The code is not the user's current TOTP code nor one of its unused backup codes.", param: "code"}
}

type userIDJSON struct {
	UserID string `json:"user_id"`
}

// deleteMFA is DELETE /v1/users/{user_id}/totp (the TOTP secret),
// /backup_code (the backup codes) and /mfa (both and every phone
// number's second-factor reservation). It answers {"user_id"} and sends
// user.updated when something was removed.
func (s *Server) deleteMFA(totp, backup, phones bool) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		u, e := c.user()
		if e != nil {
			return nil, e
		}
		stamp := mfaBefore(u, c.now)
		changed := false
		if totp && u.totpSecret != "" {
			u.totpSecret, u.totpLastStep, changed = "", 0, true
		}
		if backup && len(u.backupCodes) > 0 {
			u.backupCodes, changed = nil, true
		}
		if phones {
			for _, p := range u.phones {
				if p.secondFactor {
					p.secondFactor, p.defaultSecond, p.updatedAt, changed = false, false, c.now, true
				}
			}
		}
		if changed {
			stamp()
			u.updatedAt = c.now
			c.st.emitUser("user.updated", u, c.now)
		}
		return userIDJSON{UserID: u.id}, nil
	}
}

// mfaParams are the totp_secret and backup_codes of POST and PATCH
// /v1/users, checked (see checkMFAParams).
type mfaParams struct {
	totpSet     bool   // totp_secret given
	totpSecret  string // canonical; "" removes TOTP
	backupSet   bool
	backupCodes []string // nil removes them
}

// checkMFAParams checks totp_secret (base32, see parseTOTPSecret; "" is
// none) and backup_codes (non-empty codes) without changing anything.
func checkMFAParams(totpSecret *string, backupCodes []string, backupGiven bool) (mfaParams, *apiError) {
	var p mfaParams
	if totpSecret != nil {
		p.totpSet = true
		if *totpSecret != "" {
			c, _, e := parseTOTPSecret(*totpSecret)
			if e != nil {
				return p, e
			}
			p.totpSecret = c
		}
	}
	if backupGiven {
		p.backupSet = true
		for _, bc := range backupCodes {
			bc = strings.TrimSpace(bc)
			if bc == "" {
				return p, errValue("backup_codes", "backup_codes must not contain empty codes.")
			}
			p.backupCodes = append(p.backupCodes, bc)
		}
	}
	return p, nil
}

// setMFA applies p to u, stamping mfa_enabled_at or mfa_disabled_at.
func (u *userRec) setMFA(p mfaParams, now time.Time) {
	stamp := mfaBefore(u, now)
	if p.totpSet && p.totpSecret != u.totpSecret {
		u.totpSecret, u.totpLastStep = p.totpSecret, 0
	}
	if p.backupSet {
		u.backupCodes = p.backupCodes
	}
	stamp()
}
