// Package devprobe holds tests that run the built `clerkkit dev` binary as
// a service would: a probe of every operation of Clerk's Backend API spec
// (how many the emulator serves, per tag), and scenarios of Clerk's own
// clients — clerk-sdk-go and @clerk/backend — over every group the
// emulator serves.
package devprobe
