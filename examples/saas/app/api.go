package app

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/memberships"
	"github.com/clerkkit/clerkkit/users"
)

// maxJSONBody caps API request bodies.
const maxJSONBody = 64 << 10

// session returns the request's session; routes that call it are behind
// RequireAuth.
func session(r *http.Request) *auth.Session {
	s, _ := auth.FromContext(r.Context())
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// fieldErrors answers 400 with one message per invalid field.
func fieldErrors(w http.ResponseWriter, fields map[string]string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": "validation", "fields": fields})
}

// decodeBody decodes a JSON object body into v, answering 400 itself when
// it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be a JSON object with the documented fields")
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "bad_request", "the body must hold exactly one JSON object")
		return false
	}
	return true
}

// clerkError maps a Backend API error to an HTTP answer.
func (a *App) clerkError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *clerkkit.APIError
	switch {
	case errors.Is(err, clerkkit.ErrInvalidInput):
		writeError(w, http.StatusBadRequest, "bad_request", "invalid identifier")
	case errors.Is(err, clerkkit.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "not found")
	case errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500 && apiErr.Status != 401 && apiErr.Status != 429:
		// Clerk refused the change (e.g. a duplicate invitation): say why.
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "rejected", "message": publicMessage(err), "code": apiErr.Code()})
	default:
		a.log.ErrorContext(r.Context(), "clerk backend api", "error", err.Error())
		writeError(w, http.StatusBadGateway, "clerk_unavailable", "Clerk could not be reached; try again")
	}
}

// publicMessage is what may be shown of a Backend API error: Clerk's own
// explanation of a refused request, nothing internal.
func publicMessage(err error) string {
	var apiErr *clerkkit.APIError
	if errors.As(err, &apiErr) && len(apiErr.Errors) > 0 {
		if apiErr.Errors[0].LongMessage != "" {
			return apiErr.Errors[0].LongMessage
		}
		return apiErr.Errors[0].Message
	}
	return "please try again"
}

func (a *App) listProjects(w http.ResponseWriter, r *http.Request) {
	s := session(r)
	ps, err := a.st.ListProjects(r.Context(), s.UserID, s.OrgID)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if ps == nil {
		ps = []store.Project{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": ps})
}

// projectInput is the body of POST /api/projects.
type projectInput struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	OrgID       *string `json:"org_id"`
}

func (a *App) createProject(w http.ResponseWriter, r *http.Request) {
	s := session(r)
	var in projectInput
	if !decodeBody(w, r, &in) {
		return
	}
	fields := map[string]string{}
	title := ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	if n := utf8.RuneCountInString(title); n < 1 || n > 100 {
		fields["title"] = "must be 1 to 100 characters"
	}
	desc := ""
	if in.Description != nil {
		desc = strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(desc) > 2000 {
			fields["description"] = "must be at most 2000 characters"
		}
	}
	orgID := s.OrgID // the active organization by default
	if in.OrgID != nil {
		orgID = strings.TrimSpace(*in.OrgID)
	}
	if len(fields) > 0 {
		fieldErrors(w, fields)
		return
	}
	if orgID != "" && orgID != s.OrgID {
		// Another organization than the active one: the user must belong to it.
		if err := a.clerk.Memberships.RequireOrgMember(r.Context(), orgID); err != nil {
			if errors.Is(err, memberships.ErrForbidden) {
				fieldErrors(w, map[string]string{"org_id": "you are not a member of this organization"})
				return
			}
			a.clerkError(w, r, err)
			return
		}
	}
	p, err := a.st.CreateProject(r.Context(), store.NewProject{Title: title, Description: desc, OwnerID: s.UserID, OrganizationID: orgID})
	switch {
	case errors.Is(err, store.ErrMissingParent):
		// The user's or organization's webhook has not arrived yet.
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusConflict, "not_synced_yet", "your account is still being set up; retry in a moment")
	case errors.Is(err, store.ErrInvalid):
		fieldErrors(w, map[string]string{"title": "must be 1 to 100 characters"})
	case err != nil:
		a.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, p)
	}
}

func (a *App) getOrg(w http.ResponseWriter, r *http.Request) {
	o, err := a.st.GetOrganization(r.Context(), r.PathValue("orgID"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "organization not found")
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (a *App) listMembers(w http.ResponseWriter, r *http.Request) {
	ms, err := a.st.ListMembers(r.Context(), r.PathValue("orgID"))
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if ms == nil {
		ms = []store.Member{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
}

// inviteInput is the body of POST /api/orgs/{orgID}/invitations.
type inviteInput struct {
	EmailAddress string `json:"email_address"`
	Role         string `json:"role"`
}

func (a *App) invite(w http.ResponseWriter, r *http.Request) {
	var in inviteInput
	if !decodeBody(w, r, &in) {
		return
	}
	inv, fields, err := a.sendInvitation(r, in)
	switch {
	case fields != nil:
		fieldErrors(w, fields)
	case err != nil:
		a.clerkError(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, inv)
	}
}

// roles an admin may give.
var roles = map[string]bool{"org:admin": true, "org:member": true}

func normalizeRole(role string) string {
	role = strings.TrimSpace(role)
	if role != "" && !strings.HasPrefix(role, "org:") {
		role = "org:" + role
	}
	return role
}

func (a *App) sendInvitation(r *http.Request, in inviteInput) (any, map[string]string, error) {
	fields := map[string]string{}
	addr, err := mail.ParseAddress(strings.TrimSpace(in.EmailAddress))
	if err != nil || addr.Name != "" {
		fields["email_address"] = "must be an email address"
	}
	role := normalizeRole(in.Role)
	if role == "" {
		role = "org:member"
	}
	if !roles[role] {
		fields["role"] = "must be org:admin or org:member"
	}
	if len(fields) > 0 {
		return nil, fields, nil
	}
	inv, err := a.clerk.Organizations.Invite(r.Context(), r.PathValue("orgID"), addr.Address, role, session(r).UserID)
	return inv, nil, err
}

// roleInput is the body of PATCH …/members/{userID} and of the admin role
// change.
type roleInput struct {
	Role string `json:"role"`
}

func (a *App) updateMemberRole(w http.ResponseWriter, r *http.Request) {
	var in roleInput
	if !decodeBody(w, r, &in) {
		return
	}
	role := normalizeRole(in.Role)
	if !roles[role] {
		fieldErrors(w, map[string]string{"role": "must be org:admin or org:member"})
		return
	}
	m, err := a.clerk.Memberships.UpdateRole(r.Context(), r.PathValue("orgID"), r.PathValue("userID"), role)
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (a *App) removeMember(w http.ResponseWriter, r *http.Request) {
	if err := a.clerk.Memberships.Remove(r.Context(), r.PathValue("orgID"), r.PathValue("userID")); err != nil {
		a.clerkError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// onboardingInput is the body of POST /api/onboarding.
type onboardingInput struct {
	Company  string `json:"company"`
	Role     string `json:"role"`
	TeamSize int    `json:"team_size"`
	UseCase  string `json:"use_case"`
}

func (a *App) onboarding(w http.ResponseWriter, r *http.Request) {
	var in onboardingInput
	if !decodeBody(w, r, &in) {
		return
	}
	fields := map[string]string{}
	for name, v := range map[string]string{"company": in.Company, "role": in.Role, "use_case": in.UseCase} {
		if utf8.RuneCountInString(strings.TrimSpace(v)) > 200 {
			fields[name] = "must be at most 200 characters"
		}
	}
	if strings.TrimSpace(in.Company) == "" {
		fields["company"] = "is required"
	}
	if in.TeamSize < 0 || in.TeamSize > 1_000_000 {
		fields["team_size"] = "must be between 0 and 1000000"
	}
	if len(fields) > 0 {
		fieldErrors(w, fields)
		return
	}
	// A merge: the user's other metadata (e.g. role) is kept.
	answers := map[string]any{
		"onboarding_complete": true,
		"onboarding": map[string]any{
			"company": strings.TrimSpace(in.Company), "role": strings.TrimSpace(in.Role),
			"team_size": in.TeamSize, "use_case": strings.TrimSpace(in.UseCase),
		},
	}
	u, err := a.clerk.Users.UpdateMetadata(r.Context(), session(r).UserID, users.Metadata{Public: answers})
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "public_metadata": u.PublicMetadata})
}

func (a *App) deleteUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("userID")
	if id == session(r).UserID {
		writeError(w, http.StatusBadRequest, "bad_request", "admins cannot delete themselves here")
		return
	}
	if err := a.clerk.Users.Delete(r.Context(), id); err != nil {
		a.clerkError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *App) setUserRole(w http.ResponseWriter, r *http.Request) {
	var in roleInput
	if !decodeBody(w, r, &in) {
		return
	}
	role := strings.TrimSpace(in.Role)
	if role != "admin" && role != "member" {
		fieldErrors(w, map[string]string{"role": "must be admin or member"})
		return
	}
	if err := a.clerk.Users.SetRole(r.Context(), r.PathValue("userID"), role); err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("userID"), "role": role})
}

func (a *App) internal(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "internal error", "error", err.Error())
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}
