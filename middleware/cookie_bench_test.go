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
// carrier=cookie is a fetch from the page (Accept: application/json),
// carrier=page a page navigation from a link on the same origin
// (Sec-Fetch-Dest: document, Accept: text/html, a Referer), and
// carrier=cookie-fresh a fetch whose Cookie header the Verifier has not
// seen signed in yet (a second Cookie line, which the memo of signed-in
// Cookie headers does not serve): the full decision, which every browser
// pays once per token refresh.
// tokens=repeated serves one token as a browser sends it again and again
// (each request parsed anew: see reparsed), tokens=cycling 256 tokens.
// On a shared machine, run the binary several times rather than with
// -count, so that header and cookie runs alternate and share the load:
//
//	go test -c -o mw.test ./middleware/
//	for i in 1 2 3 4 5 6 7 8; do ./mw.test -test.run='^$' -test.bench=AuthCookie -test.benchmem; done | tee cookie.txt
//	benchstat -col /carrier cookie.txt
func BenchmarkAuthCookie(b *testing.B) {
	e := newBenchEnv(b)
	uat := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	var cookieReqs, pageReqs, freshReqs = e.reqs[:0:0], e.reqs[:0:0], e.reqs[:0:0]
	for _, tok := range e.tokens {
		cookies := strings.Join([]string{
			"__clerk_db_jwt=dvb_2abcdefghijklmnopqrstuvwxyz", "__client_uat=" + uat, "__session=" + tok,
			"_ga=GA1.1.123456789.1700000000", "theme=dark",
		}, "; ")
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Cookie", cookies)
		r.Header.Set("Accept", "application/json")
		cookieReqs = append(cookieReqs, r)

		r = httptest.NewRequest("GET", "/projects", nil)
		r.Header.Set("Cookie", cookies)
		r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		r.Header.Set("Sec-Fetch-Dest", "document")
		r.Header.Set("Referer", "http://example.com/dashboard")
		pageReqs = append(pageReqs, r)

		r = httptest.NewRequest("GET", "/api/me", nil)
		first, rest, _ := strings.Cut(cookies, "; __session=")
		r.Header.Add("Cookie", first)
		r.Header.Add("Cookie", "__session="+rest)
		r.Header.Set("Accept", "application/json")
		freshReqs = append(freshReqs, r)
	}
	cached := clerkkitHandler(b, e, true)
	// Both carriers start from the same verifier cache: every token
	// verified once, through each path.
	for _, reqs := range [][]*http.Request{e.reqs, cookieReqs, pageReqs, freshReqs} {
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
			hdr, ck, pg, fr := e.reqs, cookieReqs, pageReqs, freshReqs
			if tokens.header != nil {
				hdr, ck, pg, fr = reparsed(e.reqs[0]), reparsed(cookieReqs[0]), reparsed(pageReqs[0]), reparsed(freshReqs[0])
			}
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=header", func(b *testing.B) { serve(b, cached, hdr, p) })
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=cookie", func(b *testing.B) { serve(b, cached, ck, p) })
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=page", func(b *testing.B) { serve(b, cached, pg, p) })
			b.Run("run="+mode.name+"/tokens="+tokens.name+"/carrier=cookie-fresh", func(b *testing.B) { serve(b, cached, fr, p) })
		}
	}
}

// reparsed returns copies of r as a server would parse it again each time
// the browser sends it: the same headers in fresh allocations, rather
// than one *http.Request whose memory every iteration reuses.
func reparsed(r *http.Request) []*http.Request {
	const n = 32
	reqs := make([]*http.Request, n)
	for i := range reqs {
		c := r.Clone(r.Context())
		for k, vs := range c.Header {
			for j, v := range vs {
				vs[j] = strings.Clone(v)
			}
			c.Header[k] = vs
		}
		reqs[i] = c
	}
	return reqs
}
