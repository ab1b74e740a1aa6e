// Package emulator is an in-memory Clerk Backend API for tests and local
// development: a Server holds users, organizations, memberships,
// invitations and sessions, and serves them with Clerk's paths, status
// codes, error codes and JSON shapes, so that clerkkit, clerk-sdk-go and
// plain HTTP clients run against it unchanged. It mints session tokens
// with a clerktest.Issuer, whose keys and domains it serves too, and
// delivers Svix-signed webhooks for the changes it makes.
//
//	srv := emulator.NewServer(t)
//	client, _ := clerkkit.New(srv.ClientConfig())
//	token, _ := srv.SessionToken(userID, orgID) // verifies with srv.AuthConfig()
//
// Tests count calls per route (Calls), inject faults (InjectFault, with
// clerktest.Fault), enforce a rate limit (Options.RateLimit), load seed
// data (Seed, DemoSeed) and watch webhook deliveries (Deliveries).
//
// NewServer is for tests (it fails the test on an error and closes the
// Server when the test ends); StartServer is for programs, such as
// `clerkkit dev`. Nothing else needs a testing.T, and nothing listens
// beyond the loopback interface unless Options.Addr says so.
package emulator
