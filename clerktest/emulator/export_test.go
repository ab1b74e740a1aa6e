package emulator

import "net/http"

// WithResponseObserver returns o with a test hook: the Server started with
// it calls f with each response it writes (not with connections it
// drops). It exists for this package's tests, which record every
// response for the conformance module to validate against Clerk's
// OpenAPI spec (see envSpecRecord).
func WithResponseObserver(o Options, f func(r *http.Request, status int, header http.Header, body []byte)) Options {
	o.observe = f
	return o
}
