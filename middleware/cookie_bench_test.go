package middleware_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkAuthCookie compares the same tokens presented in the
// Authorization header (the header path) and as Clerk's browser SDK sets
// them in cookies (__session, __client_uat and, on this development
// instance, the dev browser), decided by the cookie flow. The goal is a
// signed-in cookie request costing at most 10% more than a header one:
//
//	go test -run='^$' -bench=AuthCookie -benchmem -count=10 ./middleware/ | tee cookie.txt
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
