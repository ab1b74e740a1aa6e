package app

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/metadata"
	"github.com/clerkkit/clerkkit/middleware"
	"github.com/clerkkit/clerkkit/users"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageSet holds one template per page, each with the layout.
type pageSet map[string]*template.Template

func parseTemplates() (pageSet, error) {
	layout, err := template.New("layout.html").Funcs(template.FuncMap{
		"roleName": func(role string) string { return strings.TrimPrefix(role, "org:") },
	}).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := pageSet{}
	for _, name := range []string{"home", "dashboard", "org", "members", "admin", "signin", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every page gets.
type view struct {
	Title          string
	User           *store.User
	SessionUserID  string
	ActiveOrgID    string
	Local          bool
	PublishableKey string
	Data           any
}

func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, title string, data any) {
	v := view{Title: title, Local: a.cfg.LocalSignIn != nil, PublishableKey: a.cfg.PublishableKey, Data: data}
	if s := session(r); s != nil {
		v.SessionUserID, v.ActiveOrgID = s.UserID, s.OrgID
		if u, err := a.st.GetUser(r.Context(), s.UserID); err == nil {
			v.User = &u
		}
	}
	var buf bytes.Buffer
	if err := a.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		a.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// failure answers refused requests: JSON for the API and for clients that
// do not ask for HTML, an error page (with the signed-in user, if any) for
// browsers.
func (a *App) failure(w http.ResponseWriter, r *http.Request, f *middleware.Failure) {
	if strings.HasPrefix(r.URL.Path, "/api/") || !strings.Contains(r.Header.Get("Accept"), "text/html") {
		middleware.WriteFailure(w, r, f)
		return
	}
	title := map[int]string{401: "Please sign in", 403: "Forbidden", 503: "Clerk is unavailable"}[f.Status]
	a.render(w, r, f.Status, "error", title, f)
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "home", "Teams and projects", nil)
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	s := session(r)
	orgs, err := a.st.ListUserOrganizations(r.Context(), s.UserID)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	projects, err := a.st.ListProjects(r.Context(), s.UserID, s.OrgID)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if len(projects) > 10 {
		projects = projects[:10]
	}
	a.render(w, r, http.StatusOK, "dashboard", "Dashboard", map[string]any{"Orgs": orgs, "Projects": projects})
}

// orgView is an organization page's data.
type orgView struct {
	Org         store.Organization
	Plan        string
	Members     []store.Member
	IsAdmin     bool
	Invitations []*clerk.OrganizationInvitation
	Notice      string
}

func (a *App) loadOrg(r *http.Request) (*orgView, error) {
	s := session(r)
	id := r.PathValue("orgID")
	o, err := a.st.GetOrganization(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ms, err := a.st.ListMembers(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &orgView{Org: o, Members: ms, Notice: r.URL.Query().Get("notice")}
	v.Plan, _ = metadata.Get[string](o.PublicMetadata, "plan")
	if v.Plan == "" {
		v.Plan = "free"
	}
	i := slices.IndexFunc(ms, func(m store.Member) bool { return m.UserID == s.UserID })
	v.IsAdmin = i >= 0 && ms[i].Role == "org:admin"
	return v, nil
}

// orgPageData loads the organization of the URL, or answers 404 or 500
// itself and returns nil.
func (a *App) orgPageData(w http.ResponseWriter, r *http.Request) *orgView {
	v, err := a.loadOrg(r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return nil
	case err != nil:
		a.internal(w, r, err)
		return nil
	}
	return v
}

func (a *App) orgPage(w http.ResponseWriter, r *http.Request) {
	if v := a.orgPageData(w, r); v != nil {
		a.render(w, r, http.StatusOK, "org", v.Org.Name, v)
	}
}

func (a *App) membersPage(w http.ResponseWriter, r *http.Request) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	if v.IsAdmin {
		for inv, err := range a.clerk.Organizations.PendingInvitations(r.Context(), v.Org.ID) {
			if err != nil {
				a.clerkError(w, r, err)
				return
			}
			v.Invitations = append(v.Invitations, inv)
		}
	}
	a.render(w, r, http.StatusOK, "members", v.Org.Name+" members", v)
}

// backToMembers redirects to the members page with a notice (POST, then
// redirect, then GET).
func backToMembers(w http.ResponseWriter, r *http.Request, notice string) {
	http.Redirect(w, r, "/orgs/"+url.PathEscape(r.PathValue("orgID"))+"/members?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (a *App) invitePage(w http.ResponseWriter, r *http.Request) {
	_, fields, err := a.sendInvitation(r, inviteInput{EmailAddress: r.PostFormValue("email_address"), Role: r.PostFormValue("role")})
	switch {
	case fields != nil:
		backToMembers(w, r, "Not sent: "+strings.Join(slices.Sorted(mapValues(fields)), "; "))
	case err != nil:
		backToMembers(w, r, "Clerk refused the invitation: "+publicMessage(err))
	default:
		backToMembers(w, r, "Invitation sent to "+strings.TrimSpace(r.PostFormValue("email_address")))
	}
}

func (a *App) rolePage(w http.ResponseWriter, r *http.Request) {
	role := normalizeRole(r.PostFormValue("role"))
	if !roles[role] {
		backToMembers(w, r, "Unknown role")
		return
	}
	if _, err := a.clerk.Memberships.UpdateRole(r.Context(), r.PathValue("orgID"), r.PathValue("userID"), role); err != nil {
		backToMembers(w, r, "Clerk refused the change: "+publicMessage(err))
		return
	}
	backToMembers(w, r, "Role updated")
}

func (a *App) removePage(w http.ResponseWriter, r *http.Request) {
	if err := a.clerk.Memberships.Remove(r.Context(), r.PathValue("orgID"), r.PathValue("userID")); err != nil {
		backToMembers(w, r, "Clerk refused the removal: "+publicMessage(err))
		return
	}
	backToMembers(w, r, "Member removed")
}

func (a *App) adminPage(w http.ResponseWriter, r *http.Request) {
	list, err := a.clerk.Users.List(r.Context(), users.ListParams{Limit: 100})
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "admin", "Admin", list)
}

func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{"__session", "__client_uat"} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}
