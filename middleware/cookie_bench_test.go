package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkAuthCookie compares the same tokens presented in the
// Authorization header (the header path) and as Clerk's browser SDK sets
// them in cookies (__session, __client_uat and, on this development
// instance, the dev browser), decided by the cookie flow, through the same
// handler and Verifier, its token cache warm for both. The goal is a
// signed-in cookie request costing at most 10% more than a header one.
// On a shared machine, run the binary several times rather than with
// -count, so that header and cookie runs alternate and share the load:
//
//	go test -c -o mw.test ./middleware/
//	for i in 1 2 3 4 5 6 7 8; do ./mw.test -test.run='^$' -test.bench=AuthCookie -test.benchmem; done | tee cookie.txt
//	benchstat -col /carrier cookie.txt
func BenchmarkAuthCookie(b *testing.B) {
	e := newBenchEnv(b)
	uat := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	var cookieReqs = e.reqs[:0:0]
	for _, tok := range e.tokens {
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Cookie", strings.Join([]string{
			"__clerk_db_jwt=dvb_2abcdefghijklmnopqrstuvwxyz", "__client_uat=" + uat, "__session=" + tok,
			"_ga=GA1.1.123456789.1700000000", "theme=dark",
		}, "; "))
		r.Header.Set("Accept", "application/json")
		cookieReqs = append(cookieReqs, r)
	}
	cached := clerkkitHandler(b, e, true)
	// Both carriers start from the same verifier cache: every token
	// verified once, through each path.
	for _, reqs := range [][]*http.Request{e.reqs, cookieReqs} {
		for _, r := range reqs {
			w := &discard{h: http.Header{}}
			cached.ServeHTTP(w, r)
			if w.code != 200 {
				b.Fatalf("warm-up: status %d", w.code)
			}
		}
	}
	for _, mode := range []struct {
		name     string
		parallel bool
	}{{"seq", false}, {"parallel", true}} {
		p := mode.parallel
		for _, tokens := range []struct {
			name   string
			header []int
		}{{"repeated", []int{0}}, {"cycling", nil}} {
			hdr, ck := e.reqs, cookieReqs
			if tokens.header != nil {
				hdr, ck = e.reqs[:1], cookieReqs[:1]
			}
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=header", func(b *testing.B) { serve(b, cached, hdr, p) })
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=cookie", func(b *testing.B) { serve(b, cached, ck, p) })
		}
	}
}
