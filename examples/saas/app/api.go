package app

import (
	"encoding/json"
	"errors"
	"github.com/clerkkit/clerkkit/clerkerr"
	"io"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/examples/saas/store"
	"github.com/clerkkit/clerkkit/organizations"
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

// writeError answers {"error": code, "message": msg}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// fieldErrors answers 400 {"error":"invalid_request","fields":{name: problem}},
// one entry per wrong field.
func fieldErrors(w http.ResponseWriter, fields map[string]string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "fields": fields})
}

// decodeBody decodes a JSON object body into v, answering 400 itself when
// it cannot: with the field at fault when there is one (an unknown field,
// a value of the wrong type).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			writeError(w, http.StatusBadRequest, "invalid_request", "the body must hold exactly one JSON object")
			return false
		}
		return true
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		fieldErrors(w, map[string]string{typeErr.Field: "must be a " + jsonKind(typeErr.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		fieldErrors(w, map[string]string{name: "is not a field of this request"})
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request", "the body is too large")
	default:
		writeError(w, http.StatusBadRequest, "invalid_request", "the body must be a JSON object with the documented fields")
	}
	return false
}

// jsonKind names a Go kind the way JSON does.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int64", "float64":
		return "number"
	case "bool":
		return "boolean"
	}
	return "JSON " + kind
}

// clerkError maps a Backend API error to an HTTP answer.
func (a *App) clerkError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *clerkerr.APIError
	switch {
	case errors.Is(err, clerkerr.ErrInvalidInput):
		writeError(w, http.StatusBadRequest, "bad_request", "invalid identifier")
	case errors.Is(err, clerkerr.ErrNotFound):
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
	var apiErr *clerkerr.APIError
	if errors.As(err, &apiErr) && len(apiErr.Errors) > 0 {
		if apiErr.Errors[0].LongMessage != "" {
			return apiErr.Errors[0].LongMessage
		}
		return apiErr.Errors[0].Message
	}
	return "please try again"
}

func (a *App) listProjects(w http.ResponseWriter, r *http.Request) {
	var userID, orgID string
	if k := requestKey(r); k != nil {
		// An organization's key reads that organization's projects.
		orgID = k.OrgID()
	} else {
		userID = session(r).UserID
		var err error
		if orgID, err = a.activeOrg(r); err != nil {
			a.internal(w, r, err)
			return
		}
	}
	ps, err := a.st.ListProjects(r.Context(), userID, orgID)
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
	Title          *string `json:"title"`
	Description    *string `json:"description"`
	OrganizationID *string `json:"organization_id"`
}

func (a *App) createProject(w http.ResponseWriter, r *http.Request) {
	var in projectInput
	if !decodeBody(w, r, &in) {
		return
	}
	var (
		p      store.Project
		fields map[string]string
		err    error
	)
	if k := requestKey(r); k != nil {
		owner := keyCreator(k)
		if owner == "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden", "reason": reasonKeyWithoutCreator,
				"message": "this API key was not created in this app, so no user can own what it creates; create one on the organization's API keys page"})
			return
		}
		orgID := k.OrgID()
		if in.OrganizationID != nil && strings.TrimSpace(*in.OrganizationID) != orgID {
			fieldErrors(w, map[string]string{"organization_id": "an API key creates projects of its own organization only"})
			return
		}
		p, fields, err = a.newProject(r, owner, in.Title, in.Description, orgID, false)
	} else {
		s := session(r)
		orgID := s.OrgID // the active organization by default
		if in.OrganizationID != nil {
			orgID = strings.TrimSpace(*in.OrganizationID)
		}
		p, fields, err = a.newProject(r, s.UserID, in.Title, in.Description, orgID, true)
	}
	switch {
	case fields != nil:
		fieldErrors(w, fields)
	case errors.Is(err, store.ErrMissingParent):
		// The user's or organization's webhook has not arrived yet.
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusConflict, "not_synced_yet", "your account is still being set up; retry in a moment")
	case err != nil:
		a.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, p)
	}
}

// Project field limits of the API, in characters.
const (
	maxTitle       = 100
	maxDescription = 2000
)

// newProject validates and creates a project owned by ownerID in orgID
// ("" for a personal one). With member set, the synced membership table
// must confirm that ownerID belongs to orgID (a session); without, the
// caller has established the right to write there (an organization's API
// key). fields is not nil when the input is wrong.
func (a *App) newProject(r *http.Request, ownerID string, title, desc *string, orgID string, member bool) (store.Project, map[string]string, error) {
	fields := map[string]string{}
	t := ""
	if title != nil {
		t = strings.TrimSpace(*title)
	}
	if n := utf8.RuneCountInString(t); n < 1 || n > maxTitle {
		fields["title"] = "must be 1 to 100 characters"
	}
	d := ""
	if desc != nil {
		d = strings.TrimSpace(*desc)
		if utf8.RuneCountInString(d) > maxDescription {
			fields["description"] = "must be at most 2000 characters"
		}
	}
	if orgID != "" && member {
		role, err := a.syncedRole(r.Context(), orgID, ownerID)
		if err != nil {
			return store.Project{}, nil, err
		}
		if role == "" {
			fields["organization_id"] = "you are not a member of this organization"
		}
	}
	if len(fields) > 0 {
		return store.Project{}, fields, nil
	}
	p, err := a.st.CreateProject(r.Context(), store.NewProject{Title: t, Description: d, OwnerID: ownerID, OrganizationID: orgID})
	if errors.Is(err, store.ErrInvalid) {
		return store.Project{}, map[string]string{"title": "must be 1 to 100 characters"}, nil
	}
	return p, nil, err
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

// invitation is an invitation as the API shows it.
type invitation struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	EmailAddress   string `json:"email_address"`
	Role           string `json:"role"`
	Status         string `json:"status"`
	CreatedAt      int64  `json:"created_at"`
}

func toInvitation(inv *clerk.OrganizationInvitation) invitation {
	return invitation{ID: inv.ID, OrganizationID: inv.OrganizationID, EmailAddress: inv.EmailAddress, Role: inv.Role, Status: inv.Status, CreatedAt: inv.CreatedAt}
}

// pendingInvitations lists the organization's pending invitations (one
// Backend API call per 100).
func (a *App) pendingInvitations(r *http.Request, orgID string) ([]*clerk.OrganizationInvitation, error) {
	var out []*clerk.OrganizationInvitation
	for inv, err := range a.clerk.Organizations.AllInvitations(r.Context(), orgID, organizations.InvitationListParams{Statuses: []string{organizations.StatusPending}}) {
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

func (a *App) listInvitations(w http.ResponseWriter, r *http.Request) {
	invs, err := a.pendingInvitations(r, r.PathValue("orgID"))
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	out := []invitation{}
	for _, inv := range invs {
		out = append(out, toInvitation(inv))
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
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
	case fields["email_address"] == msgPendingInvitation:
		writeJSON(w, http.StatusConflict, map[string]any{"error": "conflict", "fields": fields})
	case fields != nil:
		fieldErrors(w, fields)
	case err != nil:
		a.clerkError(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, toInvitation(inv))
	}
}

func (a *App) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	inv, err := a.clerk.Organizations.RevokeInvitation(r.Context(), r.PathValue("orgID"), r.PathValue("invitationID"), session(r).UserID)
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toInvitation(inv))
}

// roles an admin may give.
var roles = map[string]bool{roleAdmin: true, roleMember: true}

func normalizeRole(role string) string {
	role = strings.TrimSpace(role)
	if role != "" && !strings.HasPrefix(role, "org:") {
		role = "org:" + role
	}
	return role
}

// msgPendingInvitation is the field error of an address already invited.
const msgPendingInvitation = "already has a pending invitation"

// sendInvitation validates in and invites the address to the URL's
// organization, refusing an address with a pending invitation.
func (a *App) sendInvitation(r *http.Request, in inviteInput) (*clerk.OrganizationInvitation, map[string]string, error) {
	fields := map[string]string{}
	addr, err := mail.ParseAddress(strings.TrimSpace(in.EmailAddress))
	if err != nil || addr.Name != "" || len(addr.Address) > 254 {
		fields["email_address"] = "must be one email address"
	}
	role := normalizeRole(in.Role)
	if role == "" {
		role = roleMember
	}
	if !roles[role] {
		fields["role"] = "must be org:admin or org:member"
	}
	if len(fields) > 0 {
		return nil, fields, nil
	}
	orgID := r.PathValue("orgID")
	pending, err := a.pendingInvitations(r, orgID)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range pending {
		if strings.EqualFold(p.EmailAddress, addr.Address) {
			return nil, map[string]string{"email_address": msgPendingInvitation}, nil
		}
	}
	inv, err := a.clerk.Organizations.CreateInvitation(r.Context(), orgID, organizations.InvitationParams{
		EmailAddress: addr.Address, Role: role, InviterUserID: session(r).UserID,
	})
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

// internal answers 500 for a failure of the app itself, logged without
// details for the client.
func (a *App) internal(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "internal error", "error", err.Error())
	if wantsHTML(r) {
		a.renderError(w, r, http.StatusInternalServerError, "Something went wrong", "The request failed on our side; please try again.")
		return
	}
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// logClerk logs a Backend API failure that a page answers with a notice.
func (a *App) logClerk(r *http.Request, err error) {
	a.log.WarnContext(r.Context(), "clerk backend api", "error", err.Error())
}
