// Package clerktest is a Clerk token issuer for tests and local
// development: an Issuer holds RSA signing keys, serves them over a
// loopback HTTP server the way Clerk's Frontend API and Backend API do
// (/.well-known/jwks.json, /v1/jwks, /v1/domains), and mints session
// tokens in Clerk's v1 and v2 claim formats.
//
// Point a verifier at it with Issuer.Config:
//
//	iss := clerktest.StartIssuer(t, clerktest.IssuerOptions{})
//	v, _ := auth.NewVerifier(iss.Config())
//	s, err := v.Verify(ctx, iss.Token(clerktest.Claims{UserID: "user_1"}))
//
// Tests can rotate and drop keys, make the server fail in several ways
// (SetFailure, SetLatency), count the key fetches a verifier makes, control
// time with a Clock, and forge broken tokens (Claims.Extra and
// Claims.Header with Omit, SignRaw, SignWith, Unsigned, SignHS256).
//
// Nothing in the package needs a testing.T except StartIssuer, and nothing
// reaches beyond the loopback interface, so programs may embed an Issuer as
// a local stand-in for Clerk.
package clerktest
