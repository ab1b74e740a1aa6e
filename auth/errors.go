package auth

import "errors"

// Error is a token verification failure. Every error returned by
// Verifier.Verify wraps one of the sentinel *Error values below, so callers
// can branch with errors.Is and read the machine-readable reason with
// errors.As or Reason. No Error text ever contains the token.
type Error struct {
	reason string
	msg    string
}

// Error implements error.
func (e *Error) Error() string { return "clerkkit/auth: " + e.msg }

// Reason is a short machine-readable reason. Where Clerk's own SDK names
// the condition (TokenVerificationErrorReason or AuthErrorReason in
// @clerk/backend) it is Clerk's exact string, for example "token-expired"
// or "session-token-missing". Two conditions have no Clerk name and use
// clerkkit's own: "token-too-large" (ErrTokenTooLarge) and
// "session-token-pending" (ErrSessionPending).
func (e *Error) Reason() string { return e.reason }

// Sentinel verification errors.
var (
	// ErrNoToken: the request carried no session token (Clerk's
	// "session-token-missing").
	ErrNoToken = &Error{"session-token-missing", "no session token"}
	// ErrTokenTooLarge: the token exceeds Config.MaxTokenSize. Its reason,
	// "token-too-large", is clerkkit's own.
	ErrTokenTooLarge = &Error{"token-too-large", "token too large"}
	// ErrMalformed: the token is not a well-formed compact JWS with the
	// claims a Clerk session token must carry.
	ErrMalformed = &Error{"token-invalid", "malformed token"}
	// ErrAlgorithm: the alg header is not RS256, RS384 or RS512.
	ErrAlgorithm = &Error{"token-invalid-algorithm", "unsupported signing algorithm"}
	// ErrTokenType: the token is not of a kind the caller accepts (for
	// Verify: not a session token, by typ, cat, machine subject or an
	// opaque machine token's prefix), or its header does not fit its kind;
	// Clerk's "token-type-mismatch".
	ErrTokenType = &Error{"token-type-mismatch", "token of a kind not accepted"}
	// ErrUnknownKey: no key in the current key set has the token's kid.
	ErrUnknownKey = &Error{"jwk-kid-mismatch", "unknown signing key"}
	// ErrSignature: the signature does not verify.
	ErrSignature = &Error{"token-invalid-signature", "invalid signature"}
	// ErrExpired: exp is in the past (beyond the clock skew).
	ErrExpired = &Error{"token-expired", "token expired"}
	// ErrNotYetValid: nbf is in the future (beyond the clock skew).
	ErrNotYetValid = &Error{"token-not-active-yet", "token not yet valid"}
	// ErrIssuedInFuture: iat is in the future (beyond the clock skew).
	ErrIssuedInFuture = &Error{"token-iat-in-the-future", "token issued in the future"}
	// ErrUnauthorizedParty: azp is missing or not in AuthorizedParties.
	ErrUnauthorizedParty = &Error{"token-invalid-authorized-parties", "unauthorized party"}
	// ErrInvalidIssuer: iss is not exactly the expected issuer.
	ErrInvalidIssuer = &Error{"token-invalid-issuer", "invalid issuer"}
	// ErrSessionPending: the session is pending and pending sessions are
	// not accepted. Clerk signs such a session out without a reason;
	// "session-token-pending" is clerkkit's own.
	ErrSessionPending = &Error{"session-token-pending", "session is pending"}
	// ErrKeysUnavailable: no key set could be obtained.
	ErrKeysUnavailable = &Error{"jwk-remote-failed-to-load", "signing keys unavailable"}
	// ErrInvalidAudience: an OAuth access token's aud is missing or none
	// of Config.OAuthAudience. Clerk reports this condition as
	// "token-verification-failed".
	ErrInvalidAudience = &Error{"token-verification-failed", "audience not accepted"}
	// ErrTokenInvalid: the Backend API does not know the opaque machine
	// token, or reports it revoked (Clerk's "token-invalid").
	ErrTokenInvalid = &Error{"token-invalid", "machine token not valid"}
	// ErrSecretKeyInvalid: the Backend API refused the secret key while
	// verifying a machine token (Clerk's "secret-key-invalid"). It is a
	// server-side failure: Unavailable reports it.
	ErrSecretKeyInvalid = &Error{"secret-key-invalid", "secret key refused by the Backend API"}
	// ErrVerificationUnavailable: an opaque machine token could not be
	// verified: no secret key is configured, the Backend API failed, timed
	// out or answered what is not a verification (Clerk's
	// "unexpected-error"). Never cached.
	ErrVerificationUnavailable = &Error{"unexpected-error", "machine token verification unavailable"}
	// ErrVerificationBusy: the bound on Backend API verifications in
	// flight (Config.MaxMachineVerifications) or per second
	// (Config.MachineVerificationsPerSecond) is reached, so the token was
	// not verified. Its reason, "machine-verification-busy", is
	// clerkkit's own. The middleware answers it with 503 and Retry-After,
	// not 401: the token may well be valid, and a client told it is not
	// might discard a good credential.
	ErrVerificationBusy = &Error{"machine-verification-busy", "too many machine token verifications"}
)

// Unavailable reports whether err means that the token could not be
// decided on the server's side (keys or the Backend API unavailable, the
// secret key refused, verification bounds reached, a session's status
// unobtainable) rather than that the
// token is bad: an HTTP server answers 503, not 401.
func Unavailable(err error) bool {
	return errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrVerificationUnavailable) ||
		errors.Is(err, ErrVerificationBusy) || errors.Is(err, ErrSecretKeyInvalid) ||
		errors.Is(err, ErrSessionCheckUnavailable)
}

// ReasonFailed is the reason Reason gives for errors that are not *Error.
const ReasonFailed = "token-verification-failed"

// Reason returns the machine-readable reason of err: "" for nil, the
// *Error's reason when err wraps one, and "token-verification-failed"
// otherwise.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.reason
	}
	return ReasonFailed
}

// wrapped is a sentinel with detail. Its text never includes the token.
type wrapped struct {
	sentinel *Error
	detail   string
	cause    error
}

func (w *wrapped) Error() string {
	s := w.sentinel.Error() + ": " + w.detail
	if w.cause != nil {
		s += ": " + w.cause.Error()
	}
	return s
}

func (w *wrapped) Unwrap() []error {
	if w.cause != nil {
		return []error{w.sentinel, w.cause}
	}
	return []error{w.sentinel}
}

func fail(sentinel *Error, detail string) error {
	return &wrapped{sentinel: sentinel, detail: detail}
}

func failCause(sentinel *Error, detail string, cause error) error {
	return &wrapped{sentinel: sentinel, detail: detail, cause: cause}
}
