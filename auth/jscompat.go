package auth

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads the request the way Clerk's JavaScript SDK reads it, so
// that AuthenticateRequest decides the same cookies and query parameters
// the same way: the Cookie header as the "cookie" npm package parses it,
// query parameters as URLSearchParams does, numbers as parseInt and Number
// do, and tokens as Clerk's decodeJwt does before any verification. Every
// function here takes untrusted input and never fails: malformed input
// reads as absent, as in JavaScript.

// maxCookieHeader bounds the Cookie header that is parsed; beyond it the
// request is read as carrying no cookies. Browsers send at most a few KiB.
const maxCookieHeader = 64 << 10

// joinCookieLines returns the Cookie header of a request: several lines
// are joined with "; ", as HTTP/2 splits one header into several; "" when
// it is longer than maxCookieHeader.
func joinCookieLines(lines []string) string {
	var s string
	switch len(lines) {
	case 0:
		return ""
	case 1:
		s = lines[0]
	default:
		s = strings.Join(lines, "; ")
	}
	if len(s) > maxCookieHeader {
		return ""
	}
	return s
}

// scanCookies calls fn for each pair of the Cookie header s as the
// "cookie" npm package (v1) splits them: pairs split on ";", name and
// value trimmed of spaces and tabs, a pair without "=" skipped. The value
// is raw (see decodeCookieValue); fn sees every occurrence of a name and
// must keep the first.
func scanCookies(s string, fn func(name, value string)) {
	if len(s) < 2 {
		return
	}
	for s != "" {
		pair, rest, _ := strings.Cut(s, ";")
		s = rest
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		fn(trimSpTab(name), trimSpTab(value))
	}
}

// cookieJar is a parsed Cookie header: the first value of each name.
type cookieJar map[string]string

// parseCookieHeader parses the Cookie header lines of a request as the
// "cookie" npm package (v1) does: the first occurrence of a name kept, and
// a value containing "%" URL-decoded when it decodes to valid UTF-8 (else
// kept as it is).
func parseCookieHeader(lines []string) cookieJar {
	s := joinCookieLines(lines)
	if len(s) < 2 {
		return nil
	}
	jar := make(cookieJar, 8)
	scanCookies(s, func(name, value string) {
		if _, seen := jar[name]; !seen {
			jar[name] = decodeCookieValue(value)
		}
	})
	return jar
}

func trimSpTab(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// decodeCookieValue is decodeURIComponent guarded as the cookie package
// guards it: the value itself when it has no "%" or does not decode.
func decodeCookieValue(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	d, err := url.PathUnescape(v)
	if err != nil || !utf8.ValidString(d) {
		return v
	}
	return d
}

// queryGet returns the first value of name in the raw query, decoded as
// URLSearchParams decodes it ("+" is a space, a bad escape stays as it is,
// invalid UTF-8 becomes U+FFFD), and whether it is present.
func queryGet(rawQuery, name string) (string, bool) {
	for _, p := range parseQuery(rawQuery) {
		if p[0] == name {
			return p[1], true
		}
	}
	return "", false
}

// parseQuery splits a query string as URLSearchParams does.
func parseQuery(rawQuery string) [][2]string {
	rawQuery = strings.TrimPrefix(rawQuery, "?")
	var out [][2]string
	for rawQuery != "" {
		var seq string
		seq, rawQuery, _ = strings.Cut(rawQuery, "&")
		if seq == "" {
			continue
		}
		n, v, _ := strings.Cut(seq, "=")
		out = append(out, [2]string{formDecode(n), formDecode(v)})
	}
	return out
}

// formDecode percent-decodes s leniently, "+" being a space.
func formDecode(s string) string {
	if !strings.ContainsAny(s, "%+") && utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// serializeQuery serializes pairs as URLSearchParams does
// (application/x-www-form-urlencoded): "" for none.
func serializeQuery(pairs [][2]string) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		formEncode(&b, p[0])
		b.WriteByte('=')
		formEncode(&b, p[1])
	}
	return b.String()
}

func formEncode(b *strings.Builder, s string) {
	const hexdigits = "0123456789ABCDEF"
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '*' || c == '-' || c == '.' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&15])
		}
	}
}

// withoutParams returns rawURL (scheme://host/path[?query]) with the
// query re-serialized without the named parameters, as
// URL.searchParams.delete does (which re-serializes the query even when
// nothing is deleted, and drops an empty one).
func withoutParams(base, rawQuery string, names ...string) string {
	pairs := parseQuery(rawQuery)
	kept := pairs[:0]
	for _, p := range pairs {
		drop := false
		for _, n := range names {
			if p[0] == n {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, p)
		}
	}
	if q := serializeQuery(kept); q != "" {
		return base + "?" + q
	}
	return base
}

// isJSSpace reports whether r is white space or a line terminator as
// JavaScript's String.prototype.trim and parseInt see them.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// jsParseInt is Number.parseInt(s) (base 10) || 0: leading white space,
// an optional sign and the longest run of decimal digits; 0 when there
// are none (NaN || 0). A run too long for an int64 is a float, as in JS.
func jsParseInt(s string) float64 {
	if s != "" && (s[0] < '0' || s[0] > '9') {
		s = strings.TrimLeftFunc(s, isJSSpace)
	}
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
	if n <= 15 {
		// Exact in a float64 (below 2^53): no parsing needed.
		var i int64
		for _, c := range []byte(s[:n]) {
			i = i*10 + int64(c-'0')
		}
		if neg {
			return -float64(i)
		}
		return float64(i)
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

// jsNumber is Number(s) || 0: s trimmed; "" is 0; a decimal literal with
// optional sign, fraction and exponent, "Infinity", or an unsigned 0x, 0o
// or 0b integer; anything else NaN, hence 0.
func jsNumber(s string) float64 {
	s = strings.TrimFunc(s, isJSSpace)
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			var f float64
			for _, c := range []byte(s[2:]) {
				d := 99
				switch {
				case c >= '0' && c <= '9':
					d = int(c - '0')
				case c >= 'a' && c <= 'f':
					d = int(c-'a') + 10
				case c >= 'A' && c <= 'F':
					d = int(c-'A') + 10
				}
				if d >= base {
					return 0
				}
				f = f*float64(base) + float64(d)
			}
			return f
		}
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "Infinity" {
		if s[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	if !isDecimalLiteral(body) {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0
	}
	if math.IsNaN(f) {
		return 0
	}
	return f
}

// isDecimalLiteral reports whether s is digits[.digits][e[+-]digits] (or
// .digits…), JavaScript's StrUnsignedDecimalLiteral without Infinity.
func isDecimalLiteral(s string) bool {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		if n == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsNumberString formats f as JavaScript's String(number) does for the
// values a redirect counter takes.
func jsNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == math.Trunc(f) && math.Abs(f) < 1e21:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if i := strings.Index(s, "e"); i >= 0 && !strings.HasPrefix(s[i+1:], "-") && !strings.HasPrefix(s[i+1:], "+") {
		s = s[:i+1] + "+" + s[i+1:]
	}
	return s
}

// looseJWT is a token decoded as Clerk's decodeJwt decodes it, before any
// verification: three dot-separated parts, loosely base64url-decoded,
// header and payload JSON. Nothing in it is trusted.
type looseJWT struct {
	header  map[string]any
	payload map[string]any
}

// maxLooseToken bounds what decodeLoose looks at.
const maxLooseToken = 64 << 10

// decodeLoose decodes token as Clerk's decodeJwt: ok is false where
// decodeJwt reports an error (not three parts, a part that is not
// base64url, a header or payload that is not JSON). A JSON value that is
// not an object decodes to no members.
func decodeLoose(token string) (*looseJWT, bool) {
	if token == "" || len(token) > maxLooseToken || strings.Count(token, ".") != 2 {
		return nil, false
	}
	h, rest, _ := strings.Cut(token, ".")
	p, sig, _ := strings.Cut(rest, ".")
	hb, ok1 := looseB64(h)
	pb, ok2 := looseB64(p)
	_, ok3 := looseB64(sig)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	j := &looseJWT{}
	var hv, pv any
	if json.Unmarshal(hb, &hv) != nil || json.Unmarshal(pb, &pv) != nil {
		return nil, false
	}
	j.header, _ = hv.(map[string]any)
	j.payload, _ = pv.(map[string]any)
	return j, true
}

// looseB64 decodes base64url as Clerk's rfc4648 parser in loose mode:
// trailing "=" dropped, incomplete trailing bits ignored, any character
// outside the alphabet an error.
func looseB64(s string) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, false
		}
	}
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return b, err == nil
}

// headerStr returns header member k when it is a string.
func (j *looseJWT) headerStr(k string) (string, bool) {
	if j == nil {
		return "", false
	}
	s, ok := j.header[k].(string)
	return s, ok
}

// payloadStr returns payload member k when it is a string.
func (j *looseJWT) payloadStr(k string) (string, bool) {
	if j == nil {
		return "", false
	}
	s, ok := j.payload[k].(string)
	return s, ok
}

// payloadNum returns payload member k when it is a number.
func (j *looseJWT) payloadNum(k string) (float64, bool) {
	if j == nil {
		return 0, false
	}
	f, ok := j.payload[k].(float64)
	return f, ok
}

// isJWTFormat is Clerk's JwtFormatRegExp: three non-empty base64url parts.
func isJWTFormat(token string) bool {
	if strings.Count(token, ".") != 2 {
		return false
	}
	for _, part := range strings.Split(token, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// looseIsMachineJWT is Clerk's isMachineJwt: an OAuth access JWT (typ
// at+jwt or application/at+jwt, exactly) or an M2M JWT (sub mch_…).
func looseIsMachineJWT(token string) bool {
	if !isJWTFormat(token) {
		return false
	}
	j, ok := decodeLoose(token)
	if !ok {
		return false
	}
	if typ, ok := j.headerStr("typ"); ok && (typ == "at+jwt" || typ == "application/at+jwt") {
		return true
	}
	sub, ok := j.payloadStr("sub")
	return ok && strings.HasPrefix(sub, "mch_")
}

// looseNonSessionCategory is Clerk's hasNonSessionJwtCategory: a cat
// header present and not a session category.
func looseNonSessionCategory(j *looseJWT) bool {
	if j == nil || j.header == nil {
		return false
	}
	v, present := j.header["cat"]
	if !present {
		return false
	}
	s, isStr := v.(string)
	return !isStr || (s != catSession && s != catSessionAlt)
}

// tokenPeek is what the decision reads from a token before verifying it,
// as Clerk's decodeJwt gives it.
type tokenPeek struct {
	ok         bool // decodeJwt succeeds
	iss        string
	issIsStr   bool
	issTruthy  bool
	iat, exp   float64
	hasIat     bool
	hasExp     bool
	machine    bool // Clerk's isMachineJwt
	oauth      bool // an OAuth access JWT (typ at+jwt)
	nonSession bool // Clerk's hasNonSessionJwtCategory

	// cached is the token's session when it was read from the
	// verified-token cache (for key-set generation gen), so that verifying
	// it does not look it up again.
	cached *Session
	gen    uint64
}

// peekToken reads token as Clerk's decodeJwt would. A token this Verifier
// has already verified (in its token cache) is read from its session: it
// was parsed strictly, so the loose reading gives the same members, and
// its header passed the session checks (typ JWT, a session category) and
// its sub is not a machine's. Not when its iat or exp has a fraction,
// which the session's times drop and Clerk's comparisons keep: then the
// answer would depend on what the cache holds.
func (v *Verifier) peekToken(token string) tokenPeek {
	if s, gen, ok := v.cachedSession(token); ok && !s.fracTimes {
		p := tokenPeek{ok: true, iss: s.Issuer, issIsStr: true, issTruthy: s.Issuer != "", cached: s, gen: gen}
		if !s.IssuedAt.IsZero() {
			p.iat, p.hasIat = float64(s.IssuedAt.Unix()), true
		}
		if !s.ExpiresAt.IsZero() {
			p.exp, p.hasExp = float64(s.ExpiresAt.Unix()), true
		}
		return p
	}
	j, ok := decodeLoose(token)
	if !ok {
		return tokenPeek{}
	}
	p := tokenPeek{ok: true, issTruthy: truthy(j, "iss")}
	p.iss, p.issIsStr = j.payloadStr("iss")
	p.iat, p.hasIat = j.payloadNum("iat")
	p.exp, p.hasExp = j.payloadNum("exp")
	p.nonSession = looseNonSessionCategory(j)
	if isJWTFormat(token) {
		if typ, ok := j.headerStr("typ"); ok && (typ == "at+jwt" || typ == "application/at+jwt") {
			p.machine, p.oauth = true, true
		} else if sub, ok := j.payloadStr("sub"); ok && strings.HasPrefix(sub, "mch_") {
			p.machine = true
		}
	}
	return p
}

// cachedSession returns the session of a token in the verified-token
// cache, without checking its times, and the key-set generation it is
// valid for.
func (v *Verifier) cachedSession(token string) (*Session, uint64, bool) {
	if v.tokens == nil || token == "" {
		return nil, 0, false
	}
	ks := v.keys.snap.Load()
	if ks == nil {
		return nil, 0, false
	}
	s, ok := v.tokens.getSession(token, ks.gen)
	return s, ks.gen, ok
}
