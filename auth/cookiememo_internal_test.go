package auth

import (
	"crypto/tls"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
)

// refererSameOrigin never claims a Referer is on the request's origin
// when crossOriginReferrer (the full URL parsing) says it is not, over
// crafted and random hosts, schemes, proxies and Referers; and it does
// recognise the common same-origin links.
func TestRefererSameOriginAgrees(t *testing.T) {
	hosts := []string{"app.example.com", "example.com", "App.example.com", "app.example.com:8443", "app.example.com:443",
		"app.example.com:80", "app.example.com:", "app.example.com:08", "[::1]:8080", "10.0.0.7:8080", "xn--bcher-kva.example",
		"app_example.com", "", "app.example.com.", "localhost:3000"}
	odd := []string{"app.example.com?x", "app.example.com#x", "app.example.com/x", "app.example.com%", "app.example.com%4",
		"a#%4", "a/%2", "a?%zz", "a@evil.net", "a\\b", "a b", "a\x7fb", "[::1", "A.EXAMPLE.COM:0443", "xn--bcher-kva.example:8080"}
	refs := []string{"", "/", "https://app.example.com", "https://app.example.com/", "https://app.example.com/a?b#c",
		"https://app.example.com?x", "https://app.example.com#x", "https://app.example.com:443/", "https://APP.example.com/",
		"https://app.example.com.evil.net/", "https://app.example.com@evil.net/", "https://app.example.com\\@evil.net/",
		"https://app.example.com:8443/", "http://app.example.com/", "https://app.example.com/%zz", "https://app.example.com/\x7f",
		"https://app.example.com:80/", "http://app.example.com:80/", "http://localhost:3000/x", "http://10.0.0.7:8080/",
		"https://evil.net/", "javascript:alert(1)", "https://app.example.comx/", "https://app.example.com:8443x/"}
	rnd := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ahpst:/.?#@\\%[]0123456789-_AE "
	for range 3000 {
		b := make([]byte, rnd.IntN(30))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		refs = append(refs, "https://app.example.com"+string(b), string(b))
	}
	same := 0
	check := func(host, fwd, ref string, tlsOn bool) {
		r, o := pageRequest(host, fwd, ref, tlsOn)
		fast := refererSameOrigin(r, &o, ref)
		rc := reqCtx{r: r, o: o}
		if fast && rc.crossOriginReferrer() {
			t.Fatalf("host %q tls %v forwarded %q referer %q: fast path says same origin, crossOriginReferrer says cross-origin", host, tlsOn, fwd, ref)
		}
		if fast {
			same++
		}
	}
	for _, host := range hosts {
		for _, tlsOn := range []bool{false, true} {
			for _, fwd := range []string{"", "app.example.com", "APP.example.com, other", "app.example.com:8443"} {
				for _, ref := range refs {
					check(host, fwd, ref, tlsOn)
				}
			}
		}
	}
	// Odd hosts and hosts of any bytes (and forwarded hosts), with Referers that start
	// with exactly what the fast path compares: the origin as sent, then a
	// delimiter and more (escapes that the host's own bytes might complete).
	randomString := func(alphabet string, n int) string {
		b := make([]byte, rnd.IntN(n))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	const hostBytes = "aA0.:-_[]%4fz?#/@\\ \x00\x7f\xc3\xa4"
	suffixes := []string{"", "/", "/x", "?q", "#f", "/%20", "/%zz", "?%zz", "#%zz", "/%", "#%41", "//evil.net/", "?@evil.net"}
	for i := range len(odd) + 500 {
		var host, fwd string
		if i < len(odd) {
			host = odd[i]
		} else {
			host = randomString(hostBytes, 16)
		}
		if rnd.IntN(3) == 0 {
			fwd = randomString(hostBytes, 16)
		}
		tlsOn := rnd.IntN(2) == 0
		for _, origin := range []string{host, fwd} {
			for _, scheme := range []string{"http://", "https://"} {
				for _, sfx := range append(suffixes, string("/?#"[rnd.IntN(3)])+randomString(hostBytes+alphabet, 12)) {
					check(host, fwd, scheme+origin+sfx, tlsOn)
				}
			}
		}
	}
	if same < 100 {
		t.Fatalf("the fast path recognised only %d same-origin Referers", same)
	}
	for _, c := range []struct{ host, ref string }{
		{"app.example.com", "http://app.example.com/dashboard"},
		{"localhost:3000", "http://localhost:3000/"},
		{"app.example.com", "http://app.example.com?tab=1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = c.host
		r.Header.Set("Referer", c.ref)
		if !refererSameOrigin(r, &RequestOptions{}, c.ref) {
			t.Errorf("%s on %s: not recognised", c.ref, c.host)
		}
	}
}

// FuzzRefererSameOrigin: for any Host, forwarded host and Referer,
// refererSameOrigin's answer "same origin" is never contradicted by
// crossOriginReferrer, which parses both URLs; cookieMemoKey never panics
// and never makes a request with a cross-origin Referer eligible.
func FuzzRefererSameOrigin(f *testing.F) {
	for _, c := range [][3]string{
		{"app.example.com", "", "https://app.example.com/x"},
		{"app.example.com:8443", "", "https://app.example.com:8443?x"},
		{"10.0.0.7:8080", "app.example.com", "https://app.example.com/"},
		{"App.Example.com", "", "https://app.example.com/"},
		{"app.example.com", "", "https://app.example.com@evil.net/"},
		{"app.example.com", "", "https://app.example.com.evil.net/"},
		{"[::1]:3000", "", "http://[::1]:3000/"},
		{"app.example.com", "evil.net, app.example.com", "https://evil.net/"},
		{"a#%4", "", "http://a#%4/x"},
		{"a/%2", "", "http://a/%2/%20"},
		{"10.0.0.7:8080", "a?%zz", "https://a?%zz#f"},
	} {
		f.Add(c[0], c[1], c[2], true)
	}
	f.Fuzz(func(t *testing.T, host, fwd, ref string, tlsOn bool) {
		r, o := pageRequest(host, fwd, ref, tlsOn)
		rc := reqCtx{r: r, o: o}
		cross := ref != "" && rc.crossOriginReferrer()
		if refererSameOrigin(r, &o, ref) && cross {
			t.Fatalf("host %q forwarded %q referer %q: same origin by the fast path, cross-origin parsed", host, fwd, ref)
		}
		mode, _ := newAcceptMode(nil)
		if key := cookieMemoKey(r, &o, mode, ""); key != "" && cross {
			t.Fatalf("host %q forwarded %q referer %q: eligible for the memo with a cross-origin Referer", host, fwd, ref)
		}
	})
}

// pageRequest is a signed-in page navigation to host (over TLS when
// tlsOn) from ref, through a trusted proxy forwarding fwd when fwd is not
// empty, and the options that trust it.
func pageRequest(host, fwd, ref string, tlsOn bool) (*http.Request, RequestOptions) {
	r := httptest.NewRequest("GET", "/page", nil)
	r.Host = host
	if tlsOn {
		r.TLS = &tls.ConnectionState{}
	}
	var o RequestOptions
	if fwd != "" {
		r.Header["X-Forwarded-Host"] = []string{fwd}
		r.Header["X-Forwarded-Proto"] = []string{"https"}
		o.TrustedProxy = func(*http.Request) bool { return true }
	}
	r.Header["Referer"] = []string{ref}
	r.Header["Sec-Fetch-Dest"] = []string{"document"}
	r.Header["Cookie"] = []string{"__session=x"}
	return r, o
}
