// Package emulatorspec validates what clerktest/emulator sends against
// Clerk's specs: its tests run the emulator's test suite with
// CLERKKIT_SPEC_RECORD set, so that every response of its Servers and
// every webhook delivery is recorded, then validate each response
// against the Backend API spec (bapi-2025-04-10.yml) and each payload
// against the webhook spec (webhooks-2025-04-15.yml), with kin-openapi.
//
// The specs are read from shared/clerk-openapi beside the repository
// (../shared/clerk-openapi from its root). When they are absent the
// tests skip, except under CI (CI set), where they fail.
package emulatorspec
