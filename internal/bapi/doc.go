// Package bapi is the Backend API plumbing shared by clerkkit's packages:
// a clerk.Backend built on clerk-sdk-go's with a retrying transport, the
// clerkerr.APIError every call returns, input validation, pagination and a small
// TTL cache with de-duplicated misses.
//
// Everything here is per instance: nothing touches clerk-sdk-go's
// package-level key or backend.
package bapi
