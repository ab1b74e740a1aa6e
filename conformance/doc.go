// Package conformance holds no code: its subpackages are tests that check
// clerkkit against what it must match — Clerk's OpenAPI specs
// (emulatorspec) and real SQL databases (sqlstore) — with dependencies
// the library module does not carry (kin-openapi, SQLite and PostgreSQL
// drivers).
package conformance
