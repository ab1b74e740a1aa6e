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
// Server goes further: an in-memory Clerk Backend API (users,
// organizations, memberships, invitations, sessions and session tokens,
// JWKS and domains) with Clerk's paths, status codes, error codes and JSON
// shapes, so that clerk-sdk-go, clerkkit and plain HTTP clients run
// against it unchanged. It counts calls per route, injects faults, can
// enforce a rate limit, and loads seed data:
//
//	srv := clerktest.NewServer(t)
//	cfg := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
//		URL: clerk.String(srv.URL() + "/v1"), Key: clerk.String(srv.SecretKey()), HTTPClient: srv.HTTPClient()}}
//	token, _ := srv.SessionToken(userID, orgID) // verifies with srv.AuthConfig()
//
// Nothing in the package needs a testing.T except StartIssuer and
// NewServer, and nothing reaches beyond the loopback interface (unless
// WithAddr says otherwise), so programs may embed an Issuer or a Server
// (StartServer) as a local stand-in for Clerk.
package clerktest
