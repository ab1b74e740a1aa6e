package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxHandshakeBody bounds a handshake payload from the Backend API.
const maxHandshakeBody = 256 << 10

// maxDirectives bounds the Set-Cookie directives a handshake may carry.
const maxDirectives = 64

// Internal outcomes of resolveHandshake that are not a state.
var (
	// errHandshakeContinue: the handshake is ignored and the request's
	// cookies decide, as Clerk does when resolving it fails for a reason
	// other than the handshake token's verification.
	errHandshakeContinue = errors.New("handshake ignored")
	// errHandshakeTokenInvalid: the __clerk_handshake token does not
	// verify (Clerk's TokenVerificationError): fatal on development
	// instances, ignored on production ones.
	errHandshakeTokenInvalid = errors.New("handshake token invalid")
)

// resolveHandshake is Clerk's HandshakeService.resolveHandshake: the
// cookies of the nonce's payload (from the Backend API) or of the signed
// handshake token, applied to the response; signed in when they hold a
// session token that verifies. It returns a state, or an error: one of the
// two internal ones above, or a failure to report.
func (rc *reqCtx) resolveHandshake(ctx context.Context) (*RequestState, error) {
	var directives []string
	var err error
	if rc.handshakeNonce != "" {
		directives, err = rc.v.handshakePayload(ctx, rc.handshakeNonce)
	} else {
		directives, err = rc.v.verifyHandshakeToken(ctx, rc.handshakeToken)
	}
	if err != nil {
		return nil, err
	}
	h := http.Header{
		"Access-Control-Allow-Origin":      {"null"},
		"Access-Control-Allow-Credentials": {"true"},
	}
	token, tokenSeen := "", false
	for _, d := range directives {
		if !validDirective(d) {
			// Clerk's Headers.append throws on such a value.
			return nil, errHandshakeContinue
		}
		h.Add("Set-Cookie", d)
		first, _, _ := strings.Cut(d, ";")
		name, rest, hasEq := strings.Cut(first, "=")
		if strings.HasPrefix(name, SessionCookie) {
			tokenSeen = true
			value, _, _ := strings.Cut(rest, "=")
			token = value
			if !hasEq {
				// Clerk reads undefined here and fails to verify it.
				token = "\x00"
			}
		}
	}
	if rc.dev {
		rc.publicURL()
		h.Add("Location", withoutParams(rc.base, rc.rawQuery, HandshakeParam, handshakeHelpParam, DevBrowserCookie, HandshakeNonceParam))
		h.Set("Cache-Control", "no-store")
	}
	if !tokenSeen || token == "" {
		st := rc.signedOut(ReasonSessionTokenMissing, "")
		st.Headers = h
		return st, nil
	}
	if token == "\x00" {
		return nil, errHandshakeContinue
	}
	s, err := rc.v.Verify(ctx, token)
	if err != nil && rc.dev && (errors.Is(err, ErrExpired) || errors.Is(err, ErrNotYetValid) || errors.Is(err, ErrIssuedInFuture)) {
		// Clerk's development instances account for a skewed clock.
		s, err = rc.v.lenient(24*time.Hour).Verify(ctx, token)
	}
	switch {
	case err == nil:
		return sessionState(s, h), nil
	case Unavailable(err):
		return nil, err
	case errors.Is(err, ErrSessionPending):
		st := rc.signedOut(Reason(err), err.Error())
		st.Headers = h
		return st, nil
	}
	return nil, errHandshakeContinue
}

// validDirective reports whether d can be sent as a Set-Cookie value: not
// empty, no control characters (no header injection).
func validDirective(d string) bool {
	if d == "" || len(d) > 8<<10 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// handshakePayload exchanges a nonce for the handshake's Set-Cookie
// directives: GET {APIURL}/v1/clients/handshake_payload?nonce=… with the
// secret key. A 4xx other than 401, 403 and 429 is a nonce the Backend API
// does not know (no directives, as in Clerk); a failure to reach it, a 5xx,
// a refused key or an answer that is not a payload typed exactly
// application/json (the one type Clerk's client parses) is
// ErrHandshakeUnavailable. Errors never contain the nonce.
func (v *Verifier) handshakePayload(ctx context.Context, nonce string) ([]string, error) {
	if v.cfg.SecretKey == "" {
		return nil, fmt.Errorf("%w: no secret key to exchange the nonce", ErrHandshakeUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	u := v.cfg.APIURL + "/v1/clients/handshake_payload?nonce=" + url.QueryEscape(nonce)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: building the request", ErrHandshakeUnavailable)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkkit")
	req.Header.Set("Authorization", "Bearer "+v.cfg.SecretKey)
	req.Header.Set("Clerk-API-Version", v.cfg.APIVersion)
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the nonce
		}
		return nil, fmt.Errorf("%w: %w", ErrHandshakeUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHandshakeBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", ErrHandshakeUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
		resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode < 400:
		return nil, fmt.Errorf("%w: Backend API answered %d", ErrHandshakeUnavailable, resp.StatusCode)
	default:
		return nil, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		// Clerk's client parses JSON only under exactly this type; it
		// reads anything else as text, which holds no directives.
		if len(ct) > 64 {
			ct = ct[:64] + "…"
		}
		return nil, fmt.Errorf("%w: the answer is %q, not application/json", ErrHandshakeUnavailable, ct)
	}
	d, err := parseHandshakePayload(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshakeUnavailable, err)
	}
	return d, nil
}

// parseHandshakePayload reads the Backend API's handshake payload,
// {"directives": ["<Set-Cookie value>", …]} (other members ignored).
func parseHandshakePayload(body []byte) ([]string, error) {
	if len(body) > maxHandshakeBody {
		return nil, errors.New("handshake payload too large")
	}
	var p struct {
		Directives *[]string `json:"directives"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errors.New("handshake payload is not a JSON object with string directives")
	}
	if p.Directives == nil {
		return nil, errors.New("handshake payload has no directives")
	}
	if len(*p.Directives) > maxDirectives {
		return nil, errors.New("handshake payload has too many directives")
	}
	return *p.Directives, nil
}

// verifyHandshakeToken is Clerk's verifyHandshakeToken: the
// __clerk_handshake token must be a JWS signed by one of the instance's
// keys (RS256/384/512, typ JWT when present, a session category or none);
// its handshake member lists the Set-Cookie directives. Like Clerk, it
// checks no time claim: the session token inside is verified on its own.
func (v *Verifier) verifyHandshakeToken(ctx context.Context, token string) ([]string, error) {
	if len(token) > maxLooseToken {
		return nil, fmt.Errorf("%w: too large", errHandshakeTokenInvalid)
	}
	p, err := parseJWS(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errHandshakeTokenInvalid, err)
	}
	if p.hdr.Typ != nil && *p.hdr.Typ != "JWT" {
		return nil, fmt.Errorf("%w: typ must be JWT", errHandshakeTokenInvalid)
	}
	if p.hdr.Cat != nil && *p.hdr.Cat != catSession && *p.hdr.Cat != catSessionAlt {
		return nil, fmt.Errorf("%w: not a handshake token's category", errHandshakeTokenInvalid)
	}
	key, _, err := v.keys.get(ctx, p.hdr.Kid)
	if err != nil {
		if Unavailable(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errHandshakeTokenInvalid, err)
	}
	if err := p.verifySignature(key); err != nil {
		return nil, fmt.Errorf("%w: %w", errHandshakeTokenInvalid, err)
	}
	return parseHandshakeClaims(p.payload)
}

// parseHandshakeClaims reads the verified payload of a handshake token:
// its handshake member, when an array of strings, is the directives;
// absent or not an array, there are none (as in Clerk); an array holding
// something else than strings makes Clerk fail later, so the handshake is
// ignored.
func parseHandshakeClaims(payload []byte) ([]string, error) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, nil // not an object: no handshake member
	}
	raw, ok := c["handshake"]
	if !ok {
		return nil, nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		return nil, nil
	}
	if len(arr) > maxDirectives {
		return nil, errHandshakeContinue
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		var s string
		if json.Unmarshal(e, &s) != nil {
			return nil, errHandshakeContinue
		}
		out = append(out, s)
	}
	return out, nil
}
