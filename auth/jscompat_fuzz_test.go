package auth

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzRequestParsers feeds untrusted Cookie headers, query strings,
// numbers, tokens and handshake payloads to the readers AuthenticateRequest
// uses: none may panic, and each keeps its invariants.
func FuzzRequestParsers(f *testing.F) {
	for _, s := range []string{
		"", "a=b", "__session=x; __client_uat=12", " a = b ;c=d;;=e;f", "a=%zz; b=%E2%82%AC; c=%FF",
		"x=+y&z=a~b*c&e&q=+&", "a=%2", "0x1f", " 12abc", "-0", "1e3", "Infinity", ".5", "1e", "0b102",
		"eyJhbGciOiJSUzI1NiJ9.eyJpYXQiOjF9.c2ln", "a.b.c", "e30.e30.", `{"directives":["a=b"]}`,
		`{"handshake":["__session=x"]}`, `{"handshake":[1]}`, `[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		jar := parseCookieHeader([]string{s})
		for k := range jar {
			if strings.ContainsAny(k, ";") {
				t.Fatalf("cookie name %q holds a separator", k)
			}
		}
		if j2 := parseCookieHeader([]string{s, s}); len(j2) < len(jar) {
			t.Fatal("a repeated header lost cookies")
		}
		pairs := parseQuery(s)
		again := parseQuery(serializeQuery(pairs))
		if len(pairs) > 0 && !reflect.DeepEqual(pairs, again) {
			t.Fatalf("query does not round-trip: %q → %q", pairs, again)
		}
		if v, ok := queryGet(s, "a"); !ok && v != "" {
			t.Fatal("absent parameter with a value")
		}
		_ = jsParseInt(s)
		if n := jsNumber(s); n != n {
			t.Fatal("jsNumber returned NaN")
		}
		_ = jsNumberString(jsNumber(s))
		if j, ok := decodeLoose(s); ok {
			if strings.Count(s, ".") != 2 || j == nil {
				t.Fatal("decoded a token without three parts")
			}
			_, _ = j.payloadNum("iat")
			_, _ = j.headerStr("cat")
			_ = looseNonSessionCategory(j)
		}
		_ = looseIsMachineJWT(s)
		_ = clerkTokenKind(s)
		if d, err := parseHandshakePayload([]byte(s)); err == nil && len(d) > maxDirectives {
			t.Fatal("too many directives accepted")
		}
		if d, err := parseHandshakeClaims([]byte(s)); err == nil && len(d) > maxDirectives {
			t.Fatal("too many directives accepted")
		}
		_ = validDirective(s)
		_ = stripSchemes(s)
		_, _ = urlOrigin(s)
	})
}
