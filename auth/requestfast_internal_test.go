package auth

import (
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// jsParseIntSlow is jsParseInt without its fast path for short runs.
func jsParseIntSlow(s string) float64 {
	s = strings.TrimLeftFunc(s, isJSSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0
	}
	f, err := strconv.ParseFloat(s[:n], 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0
	}
	if neg {
		f = -f
	}
	return f
}

// The shortcuts of the cookie path read what the plain code reads.
func TestRequestFastPaths(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789 \t+-x.\u00a0%_=&;"
	for range 20000 {
		var b strings.Builder
		for range rnd.IntN(24) {
			if rnd.IntN(3) == 0 {
				b.WriteString(string([]rune(alphabet)[rnd.IntN(len([]rune(alphabet)))]))
			} else {
				b.WriteByte(byte('0' + rnd.IntN(10)))
			}
		}
		s := b.String()
		if got, want := jsParseInt(s), jsParseIntSlow(s); got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("jsParseInt(%q) = %v, want %v", s, got, want)
		}
		if got, want := trimSpTab(s), strings.Trim(s, " \t"); got != want {
			t.Fatalf("trimSpTab(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"9007199254740993", "999999999999999", "1000000000000000", "-0", "  -12x", "+7", "\u00a042"} {
		if got, want := jsParseInt(s), jsParseIntSlow(s); got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("jsParseInt(%q) = %v, want %v", s, got, want)
		}
	}

	names := []string{SyncedParam, RedirectURLParam, DevBrowserCookie, HandshakeParam, HandshakeNonceParam}
	for _, q := range []string{
		"", "page=2", "a=1&b=2", "__clerk_synced=false", "x=1&__clerk_db_jwt=dvb_1&__clerk_db_jwt=dvb_2",
		"%5F%5Fclerk_synced=true", "_%5Fclerk_handshake=t", "__clerk_handshake_nonce=n+1&page=3", "__clerk_redirect_url=https%3A%2F%2Fa.example%2F",
		"__clerk_synced", "&&__clerk_synced=&", "a__b=1",
	} {
		rc := &reqCtx{r: httptest.NewRequest("GET", "/?"+q, nil), rawQuery: q}
		for _, n := range names {
			gv, gok := rc.query(n)
			wv, wok := queryGet(q, n)
			if gv != wv || gok != wok {
				t.Errorf("query %q: %s = %q, %v; want %q, %v", q, n, gv, gok, wv, wok)
			}
		}
	}
}
