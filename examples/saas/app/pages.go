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

	"github.com/clerkkit/clerkkit/auth"
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
	for _, name := range []string{"home", "dashboard", "org", "members", "remove", "apikeys", "revokekey", "admin", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// notice is a message shown after a form post. Only the fixed set in
// notices can be shown: ?notice= carries a code, never text, so a link
// cannot make the app say something it did not.
type notice struct {
	Text  string
	Error bool
}

var notices = map[string]notice{
	"invitation-sent":           {Text: "Invitation sent."},
	"invitation-invalid":        {Text: "Not sent: enter one email address and a role (member or admin).", Error: true},
	"invitation-duplicate":      {Text: "Not sent: that address already has a pending invitation.", Error: true},
	"invitation-refused":        {Text: "Not sent: Clerk refused the invitation.", Error: true},
	"invitation-revoked":        {Text: "Invitation revoked."},
	"revoke-refused":            {Text: "Not revoked: Clerk refused (the invitation may have been accepted or revoked already).", Error: true},
	"role-updated":              {Text: "Role updated."},
	"role-invalid":              {Text: "Unknown role.", Error: true},
	"role-refused":              {Text: "Not changed: Clerk refused the change.", Error: true},
	"member-removed":            {Text: "Member removed."},
	"remove-refused":            {Text: "Not removed: Clerk refused the removal.", Error: true},
	"remove-unconfirmed":        {Text: "Not removed: tick the box to confirm.", Error: true},
	"project-created":           {Text: "Project created."},
	"project-invalid":           {Text: "Not created: the title must be 1 to 100 characters and the description at most 2000.", Error: true},
	"project-not-synced":        {Text: "Not created: your account is still being set up; try again in a moment.", Error: true},
	"clerk-unavailable":         {Text: "Clerk could not be reached; try again.", Error: true},
	"session-expired":           {Text: "Not sent: your session had to be refreshed first. It is now: please send the form again.", Error: true},
	"apikey-invalid":            {Text: "Not created: give the key a name of 3 to 64 characters and at least one scope.", Error: true},
	"apikey-refused":            {Text: "Not created: Clerk refused the key.", Error: true},
	"apikey-revoked":            {Text: "API key revoked: it stops working within 10 seconds."},
	"apikey-revoke-refused":     {Text: "Not revoked: Clerk refused; try again.", Error: true},
	"apikey-revoke-unconfirmed": {Text: "Not revoked: tick the box to confirm.", Error: true},
}

// noticeFor returns the notice ?notice= names, or nil for none or an
// unknown code.
func noticeFor(r *http.Request) *notice {
	if n, ok := notices[r.URL.Query().Get("notice")]; ok {
		return &n
	}
	return nil
}

// view is what every page gets.
type view struct {
	Title         string
	User          *store.User
	SessionUserID string
	ActiveOrgID   string
	// SignInHref is the hosted sign-in page, back to this page;
	// SignOutHref the hosted sign-out page ("" for the app's own
	// POST /sign-out).
	SignInHref  string
	SignOutHref string
	Notice      *notice
	Data        any
	// activate builds "Make active" links (see activateHref).
	activate func(orgID string) string
}

// ActivateHref is the link that makes orgID the active organization, ""
// when the app cannot send one.
func (v view) ActivateHref(orgID string) string {
	if v.activate == nil {
		return ""
	}
	return v.activate(orgID)
}

func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, title string, data any) {
	back := r.URL.Path
	if r.Method != http.MethodGet || status >= 400 || back == "/" {
		back = "/dashboard"
	}
	v := view{Title: title, Notice: noticeFor(r), Data: data, SignInHref: a.signInHref(back), SignOutHref: a.signOutHref(),
		activate: func(orgID string) string { return a.activateHref(r, orgID) }}
	if s := session(r); s != nil {
		v.SessionUserID = s.UserID
		v.ActiveOrgID, _ = a.activeOrg(r)
		if u, err := a.st.GetUser(r.Context(), s.UserID); err == nil {
			v.User = &u
		}
	}
	var buf bytes.Buffer
	if err := a.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		a.log.ErrorContext(r.Context(), "render", "page", page, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the error page's data.
type errorView struct {
	Status  int
	Message string
	Reason  string
}

func (a *App) renderError(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	a.render(w, r, status, "error", title, errorView{Status: status, Message: msg})
}

// failure answers refused requests: JSON for the API and for clients that
// do not ask for HTML, an error page (with the signed-in user, if any) for
// browsers.
func (a *App) failure(w http.ResponseWriter, r *http.Request, f *middleware.Failure) {
	if !wantsHTML(r) {
		middleware.WriteFailure(w, r, f)
		return
	}
	if f.Status == http.StatusUnauthorized && r.Method == http.MethodPost && f.State != nil &&
		strings.HasPrefix(f.State.Reason, auth.ReasonSessionTokenExpired) {
		// A form posted after its page's 60 s session token expired: a
		// POST never gets a handshake, so send the browser back to the
		// page (a GET, which does, and comes back signed in) to post again.
		a.refreshAndRetry(w, r)
		return
	}
	if f.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	title, msg := "Please sign in", "Please sign in to see this page."
	switch f.Status {
	case http.StatusForbidden:
		title, msg = "Forbidden", "You are signed in, but you do not have access to this page."
	case http.StatusServiceUnavailable:
		title, msg = "Clerk is unavailable", "We could not check your access right now; please try again."
	}
	a.render(w, r, f.Status, "error", title, errorView{Status: f.Status, Message: msg, Reason: f.Reason})
}

// refreshAndRetry answers a form post whose session token has expired: a
// 303 to the page it was posted from (the Referer's path on this site,
// else the dashboard) with the session-expired notice. The form's data
// is not kept.
func (a *App) refreshAndRetry(w http.ResponseWriter, r *http.Request) {
	page := "/dashboard"
	if ref, err := url.Parse(r.Referer()); err == nil && a.cfg.PublicURL == ref.Scheme+"://"+ref.Host {
		page = safeRedirect(ref.Path)
	}
	http.Redirect(w, r, page+"?notice=session-expired", http.StatusSeeOther)
}

func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.renderError(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
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
	orgID, err := a.activeOrg(r)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	projects, err := a.st.ListProjects(r.Context(), s.UserID, orgID)
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
	Projects    []store.Project
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
	v := &orgView{Org: o, Members: ms}
	v.Plan, _ = metadata.Get[string](o.PublicMetadata, "plan")
	if v.Plan == "" {
		v.Plan = "free"
	}
	i := slices.IndexFunc(ms, func(m store.Member) bool { return m.UserID == s.UserID })
	v.IsAdmin = i >= 0 && ms[i].Role == roleAdmin && (s.OrgID != id || s.OrgRole == roleAdmin)
	return v, nil
}

// orgPageData loads the organization of the URL, or answers 404 or 500
// itself and returns nil.
func (a *App) orgPageData(w http.ResponseWriter, r *http.Request) *orgView {
	v, err := a.loadOrg(r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return nil
	case err != nil:
		a.internal(w, r, err)
		return nil
	}
	return v
}

func (a *App) orgPage(w http.ResponseWriter, r *http.Request) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	ps, err := a.st.ListProjects(r.Context(), session(r).UserID, v.Org.ID)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	v.Projects = slices.DeleteFunc(ps, func(p store.Project) bool { return p.OrganizationID != v.Org.ID })
	a.render(w, r, http.StatusOK, "org", v.Org.Name, v)
}

func (a *App) membersPage(w http.ResponseWriter, r *http.Request) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	if v.IsAdmin {
		invs, err := a.pendingInvitations(r, v.Org.ID)
		if err != nil {
			a.log.ErrorContext(r.Context(), "clerk backend api", "error", err.Error())
			a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The pending invitations could not be loaded; try again.")
			return
		}
		v.Invitations = invs
	}
	a.render(w, r, http.StatusOK, "members", v.Org.Name+" members", v)
}

// back redirects to path of the organization with a notice code (POST,
// then redirect, then GET).
func back(w http.ResponseWriter, r *http.Request, page, code string) {
	if _, ok := notices[code]; !ok {
		panic("app: unknown notice " + code)
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(r.PathValue("orgID"))+page+"?notice="+code, http.StatusSeeOther)
}

func (a *App) createProjectPage(w http.ResponseWriter, r *http.Request) {
	title, desc := r.PostFormValue("title"), r.PostFormValue("description")
	_, fields, err := a.newProject(r, session(r).UserID, &title, &desc, r.PathValue("orgID"), true)
	switch {
	case fields != nil:
		back(w, r, "", "project-invalid")
	case errors.Is(err, store.ErrMissingParent):
		back(w, r, "", "project-not-synced")
	case err != nil:
		a.internal(w, r, err)
	default:
		back(w, r, "", "project-created")
	}
}

func (a *App) invitePage(w http.ResponseWriter, r *http.Request) {
	_, fields, err := a.sendInvitation(r, inviteInput{EmailAddress: r.PostFormValue("email_address"), Role: r.PostFormValue("role")})
	switch {
	case fields["email_address"] == msgPendingInvitation:
		back(w, r, "/members", "invitation-duplicate")
	case fields != nil:
		back(w, r, "/members", "invitation-invalid")
	case err != nil:
		a.logClerk(r, err)
		back(w, r, "/members", "invitation-refused")
	default:
		back(w, r, "/members", "invitation-sent")
	}
}

func (a *App) revokePage(w http.ResponseWriter, r *http.Request) {
	if _, err := a.clerk.Organizations.RevokeInvitation(r.Context(), r.PathValue("orgID"), r.PathValue("invitationID"), session(r).UserID); err != nil {
		a.logClerk(r, err)
		back(w, r, "/members", "revoke-refused")
		return
	}
	back(w, r, "/members", "invitation-revoked")
}

func (a *App) rolePage(w http.ResponseWriter, r *http.Request) {
	role := normalizeRole(r.PostFormValue("role"))
	if !roles[role] {
		back(w, r, "/members", "role-invalid")
		return
	}
	if _, err := a.clerk.Memberships.UpdateRole(r.Context(), r.PathValue("orgID"), r.PathValue("userID"), role); err != nil {
		a.logClerk(r, err)
		back(w, r, "/members", "role-refused")
		return
	}
	back(w, r, "/members", "role-updated")
}

// confirmRemovePage asks the admin to confirm a removal: a page with a
// form whose checkbox is required (no script needed, which the
// Content-Security-Policy would forbid inline anyway).
func (a *App) confirmRemovePage(w http.ResponseWriter, r *http.Request) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	i := slices.IndexFunc(v.Members, func(m store.Member) bool { return m.UserID == r.PathValue("userID") })
	if i < 0 {
		a.notFound(w, r)
		return
	}
	a.render(w, r, http.StatusOK, "remove", "Remove a member", map[string]any{"Org": v.Org, "Member": v.Members[i]})
}

func (a *App) removePage(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		back(w, r, "/members", "remove-unconfirmed")
		return
	}
	if err := a.clerk.Memberships.Remove(r.Context(), r.PathValue("orgID"), r.PathValue("userID")); err != nil {
		a.logClerk(r, err)
		back(w, r, "/members", "remove-refused")
		return
	}
	back(w, r, "/members", "member-removed")
}

func (a *App) adminPage(w http.ResponseWriter, r *http.Request) {
	list, err := a.clerk.Users.List(r.Context(), users.ListParams{Limit: 100})
	if err != nil {
		a.logClerk(r, err)
		a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The users could not be loaded; try again.")
		return
	}
	a.render(w, r, http.StatusOK, "admin", "Admin", list)
}
