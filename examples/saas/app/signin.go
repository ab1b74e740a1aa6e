package app

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/clerkkit/clerkkit/auth"
)

// signInHref is the hosted sign-in page with a redirect_url back to the
// app's path (a same-site path; anything else is /dashboard).
func (a *App) signInHref(path string) string {
	return withQuery(a.cfg.SignInURL, url.Values{"redirect_url": {a.cfg.PublicURL + safeRedirect(path)}})
}

// signOutHref is the hosted sign-out page with a redirect_url to the home
// page, "" without a hosted sign-out page.
func (a *App) signOutHref() string {
	if a.cfg.SignOutURL == "" {
		return ""
	}
	return withQuery(a.cfg.SignOutURL, url.Values{"redirect_url": {a.cfg.PublicURL + "/"}})
}

// activateHref is a link that makes orgID the session's active
// organization: the Frontend API's handshake with organization_id (as
// Clerk's organization sync sends it), which comes back to the dashboard
// with fresh cookies; "" without a Frontend API URL.
func (a *App) activateHref(r *http.Request, orgID string) string {
	if a.cfg.FrontendAPIURL == "" {
		return ""
	}
	q := url.Values{"redirect_url": {a.cfg.PublicURL + "/dashboard"}, "organization_id": {orgID},
		"format": {"nonce"}, "suffixed_cookies": {"false"}}
	if c, err := r.Cookie(auth.DevBrowserCookie); err == nil && c.Value != "" {
		q.Set(auth.DevBrowserCookie, c.Value) // development instances: the same dev browser
	}
	return a.cfg.FrontendAPIURL + "/v1/client/handshake?" + q.Encode()
}

// withQuery appends q to base (which has no query).
func withQuery(base string, q url.Values) string {
	return base + "?" + q.Encode()
}

// signInRedirect is GET /sign-in: a convenience address that sends the
// browser to the hosted sign-in page, coming back to ?redirect_url (a
// same-site path) or the dashboard.
func (a *App) signInRedirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, a.signInHref(r.URL.Query().Get("redirect_url")), http.StatusSeeOther)
}

// signOut is POST /sign-out, when there is no hosted sign-out page: it
// revokes the Clerk session through the Backend API (so that the next
// handshake, from this app or another of the instance, finds it ended)
// and clears the app's cookies. A revocation that fails is logged; the
// cookies are cleared anyway.
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	if s := session(r); s != nil && s.SessionID != "" {
		if err := a.cfg.RevokeSession(r.Context(), s.SessionID); err != nil {
			a.logClerk(r, err)
		}
	}
	for _, name := range []string{"__session", auth.ClientUATCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeRedirect keeps only same-site paths: an absolute URL is reduced to
// its path and query on this host, and anything odd becomes /dashboard.
func safeRedirect(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "/dashboard"
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) || strings.HasPrefix(p, "/sign-in") {
		return "/dashboard"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
