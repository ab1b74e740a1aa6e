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
	// ErrTokenType: not a session token (typ, cat, machine subject or an
	// opaque machine token), Clerk's "token-type-mismatch".
	ErrTokenType = &Error{"token-type-mismatch", "not a session token"}
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
)

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
