// Package clerktest is a Clerk token issuer for tests and local
// development: an Issuer holds RSA signing keys, serves them over a
// loopback HTTP server the way Clerk's Frontend API and Backend API do
// (/.well-known/jwks.json, /v1/jwks, /v1/domains), and mints session
// tokens in Clerk's v1 and v2 claim formats.
//
// Point a verifier at it with Issuer.AuthConfig:
//
//	iss := clerktest.NewIssuer(t)
//	v, _ := auth.NewVerifier(iss.AuthConfig())
//	s, err := v.Verify(ctx, iss.Token(clerktest.Claims{UserID: "user_1"}))
//
// Tests can rotate and drop keys, make the server misbehave with
// InjectFault (a Fault: down, garbage, an empty key set, an error status,
// latency, a number of times), count the key fetches a verifier makes,
// control time with a Clock, and forge broken tokens (Claims.Extra and
// Claims.Header with Omit, SignRaw, SignWith, Unsigned, SignHS256).
//
// NewIssuer is for tests (it fails the test on an error and closes the
// Issuer when the test ends); StartIssuer is for programs. Nothing else
// needs a testing.T, and nothing reaches beyond the loopback interface.
//
// The in-memory Clerk Backend API built on the Issuer (users,
// organizations, memberships, sessions, webhooks) is package
// clerktest/emulator, which reuses this package's Clock, Claims and Fault.
package clerktest
