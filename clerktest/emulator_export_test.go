package clerktest

import "net/http"

// SetResponseObserver makes every Server started afterwards call f with
// each response it writes (not with connections it drops). It exists for
// this package's tests, which validate every response against Clerk's
// OpenAPI spec; nil stops observing.
func SetResponseObserver(f func(r *http.Request, status int, header http.Header, body []byte)) {
	if f == nil {
		responseObserver.Store(nil)
		return
	}
	responseObserver.Store(&f)
}
