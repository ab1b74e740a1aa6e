package app

import (
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/memberships"
	"github.com/clerkkit/clerkkit/users"
)

// signInChoice is one button of the local sign-in page.
type signInChoice struct {
	User    *clerk.User
	Name    string
	Email   string
	OrgID   string
	OrgName string
	Role    string
}

// signInPage lists the instance's users, each with their organizations
// (local mode only).
func (a *App) signInPage(w http.ResponseWriter, r *http.Request) {
	list, err := a.clerk.Users.List(r.Context(), users.ListParams{Limit: 100, OrderBy: "+created_at"})
	if err != nil {
		a.logClerk(r, err)
		a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The demo users could not be loaded; try again.")
		return
	}
	var choices []signInChoice
	for _, u := range list {
		base := signInChoice{User: u, Name: displayName(u), Email: primaryEmail(u)}
		choices = append(choices, base)
		for m, err := range a.clerk.Memberships.AllForUser(r.Context(), u.ID, memberships.ListParams{}) {
			if err != nil {
				a.logClerk(r, err)
				a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The demo users could not be loaded; try again.")
				return
			}
			c := base
			if m.Organization != nil {
				c.OrgID, c.OrgName = m.Organization.ID, m.Organization.Name
			}
			c.Role = m.Role
			choices = append(choices, c)
		}
	}
	a.render(w, r, http.StatusOK, "signin", "Sign in", map[string]any{
		"Choices": choices, "RedirectURL": safeRedirect(r.URL.Query().Get("redirect_url")),
	})
}

// signIn mints a session token for the chosen user (and organization) and
// sets it as the __session cookie, as Clerk's browser SDK would, then
// redirects back (local mode only).
func (a *App) signIn(w http.ResponseWriter, r *http.Request) {
	userID, orgID := r.PostFormValue("user_id"), r.PostFormValue("organization_id")
	tok, err := a.clerk.SessionToken(r.Context(), userID, orgID, a.cfg.LocalSignIn.TokenTTL)
	var apiErr *clerkerr.APIError
	switch {
	case errors.Is(err, clerkerr.ErrInvalidInput), errors.Is(err, clerkerr.ErrNotFound),
		errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500 && apiErr.Status != 429:
		a.renderError(w, r, http.StatusBadRequest, "Cannot sign in",
			"There is no such demo user, or they do not belong to that organization. Choose one on the sign-in page.")
		return
	case err != nil:
		a.logClerk(r, err)
		a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The local Clerk emulator did not answer; try again.")
		return
	}
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: "__session", Value: tok, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(a.cfg.LocalSignIn.TokenTTL / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: "__client_uat", Value: strconv.FormatInt(time.Now().Unix(), 10), Path: "/",
		Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: int(a.cfg.LocalSignIn.TokenTTL / time.Second)})
	http.Redirect(w, r, safeRedirect(r.PostFormValue("redirect_url")), http.StatusSeeOther)
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

func displayName(u *clerk.User) string {
	var parts []string
	for _, p := range []*string{u.FirstName, u.LastName} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 {
		return u.ID
	}
	return strings.Join(parts, " ")
}

func primaryEmail(u *clerk.User) string {
	for _, e := range u.EmailAddresses {
		if u.PrimaryEmailAddressID != nil && e.ID == *u.PrimaryEmailAddressID {
			return e.EmailAddress
		}
	}
	if len(u.EmailAddresses) > 0 {
		return u.EmailAddresses[0].EmailAddress
	}
	return ""
}
