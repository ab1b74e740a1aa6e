package auth

import "net/http"

// CookieMemoLen reports how many Cookie headers v remembers as signed in.
func CookieMemoLen(v *Verifier) int {
	if v.cookieMemo == nil {
		return 0
	}
	return v.cookieMemo.len()
}

// CookieMemoHit returns the state AuthenticateRequest would reuse for r
// with options o, or nil when it would decide r in full.
func CookieMemoHit(v *Verifier, r *http.Request, o RequestOptions) *RequestState {
	mode, err := newAcceptMode(o.AcceptsToken)
	if err != nil {
		return nil
	}
	tok, _ := headerToken(r)
	return v.memoHit(cookieMemoKey(r, &o, mode, tok))
}
