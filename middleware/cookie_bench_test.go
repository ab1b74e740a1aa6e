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
// Every request carries the headers Chrome sends from a page of the app
// (browserRequest). carrier=header is a fetch from the page for JSON with
// the token in Authorization, carrier=cookie the same fetch with the
// cookies instead, carrier=page a page navigation from a link on the same
// origin (Sec-Fetch-Dest: document, Accept: text/html), and
// carrier=cookie-fresh the fetch with a Cookie header the Verifier has not
// seen signed in yet (a second Cookie line, which the memo of signed-in
// Cookie headers does not serve): the full decision, which every browser
// pays once per token refresh.
// tokens=repeated serves one token as a browser sends it again and again
// (each request parsed anew: see reparsed), tokens=cycling 256 tokens.
// On a shared machine, interleave the carriers in one process with
// -count and fixed run lengths, so that they share the load:
//
//	go test -run='^$' -bench=AuthCookie -benchtime=300000x -count=10 -benchmem ./middleware/ | tee cookie.txt
//	benchstat -col /carrier cookie.txt
//
// middleware/testdata/instructions.sh counts the instructions per
// request instead, which the machine's load does not move.
func BenchmarkAuthCookie(b *testing.B) {
	e := newBenchEnv(b)
	uat := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	var headerReqs, cookieReqs, pageReqs, freshReqs = e.reqs[:0:0], e.reqs[:0:0], e.reqs[:0:0], e.reqs[:0:0]
	for _, tok := range e.tokens {
		cookies := strings.Join([]string{
			"__clerk_db_jwt=dvb_2abcdefghijklmnopqrstuvwxyz", "__client_uat=" + uat, "__session=" + tok,
			"_ga=GA1.1.123456789.1700000000", "theme=dark",
		}, "; ")
		r := browserFetch("/api/me")
		r.Header.Set("Authorization", "Bearer "+tok)
		headerReqs = append(headerReqs, r)

		r = browserFetch("/api/me")
		r.Header.Set("Cookie", cookies)
		cookieReqs = append(cookieReqs, r)

		r = browserRequest("/projects", "document")
		r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")
		r.Header.Set("Sec-Fetch-Mode", "navigate")
		r.Header.Set("Sec-Fetch-User", "?1")
		r.Header.Set("Upgrade-Insecure-Requests", "1")
		r.Header.Set("Cookie", cookies)
		pageReqs = append(pageReqs, r)

		r = browserFetch("/api/me")
		first, rest, _ := strings.Cut(cookies, "; __session=")
		r.Header.Add("Cookie", first)
		r.Header.Add("Cookie", "__session="+rest)
		freshReqs = append(freshReqs, r)
	}
	cached := clerkkitHandler(b, e, true)
	// Both carriers start from the same verifier cache: every token
	// verified once, through each path.
	for _, reqs := range [][]*http.Request{headerReqs, cookieReqs, pageReqs, freshReqs} {
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
			hdr, ck, pg, fr := headerReqs, cookieReqs, pageReqs, freshReqs
			if tokens.header != nil {
				hdr, ck, pg, fr = reparsed(headerReqs[0]), reparsed(cookieReqs[0]), reparsed(pageReqs[0]), reparsed(freshReqs[0])
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

// browserRequest is a GET as Chrome sends it from a page of the app at
// http://example.com (Sec-Fetch-Dest dest), without its token: every
// carrier's request has these headers, so that they differ only in where
// the token is and in what a fetch and a navigation send differently.
func browserRequest(target, dest string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	for k, v := range map[string]string{
		"User-Agent":         "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Accept-Encoding":    "gzip, deflate, br, zstd",
		"Accept-Language":    "en-US,en;q=0.9",
		"Sec-Ch-Ua":          `"Chromium";v="131", "Not_A Brand";v="24"`,
		"Sec-Ch-Ua-Mobile":   "?0",
		"Sec-Ch-Ua-Platform": `"Linux"`,
		"Sec-Fetch-Site":     "same-origin",
		"Sec-Fetch-Dest":     dest,
		"Referer":            "http://example.com/dashboard",
	} {
		r.Header.Set(k, v)
	}
	return r
}

// browserFetch is a fetch from the page for JSON (Sec-Fetch-Dest: empty).
func browserFetch(target string) *http.Request {
	r := browserRequest(target, "empty")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Sec-Fetch-Mode", "cors")
	return r
}
