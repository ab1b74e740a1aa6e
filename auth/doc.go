// Package auth verifies Clerk session tokens and exposes the signed-in
// session.
//
// A [Verifier] checks a session token exactly as Clerk's own SDKs do, and
// stricter where they are lax: the size of the token is capped before any
// parsing, only RS256/RS384/RS512 are accepted, the signature is checked
// before any claim is trusted, the issuer is compared exactly (never by
// prefix) and the authorized party against an allowlist. Every failure is an
// [*Error] that matches one of the exported sentinels with [errors.Is] and
// carries a short machine-readable reason (Clerk's names where they exist,
// e.g. "token-expired").
//
// Keys come from a per-Verifier JWKS cache (no package-level state: two
// verifiers in one process never share keys). Reads take no lock; concurrent
// cold requests share one fetch; unknown key ids trigger at most one refresh
// per minimum interval; a failed refresh keeps the last good key set. Tokens
// already verified are remembered in a bounded cache, so a browser token
// presented many times within its 60-second lifetime is verified once.
//
// The verified [Session] carries the user, session, active organization (v1
// and v2 claim formats), features, plans, actor, factor-verification ages and
// the raw claims; [Session.Has] implements Clerk's has() semantics.
//
// [Verifier.VerifyToken] also verifies machine tokens — API keys, M2M
// tokens and OAuth access tokens — of the kinds a caller accepts (sessions
// only by default), returning a [Principal]: JWT forms networkless, opaque
// forms through the Backend API behind a bounded verification cache that
// replicas can share through a [MachineCache].
package auth
