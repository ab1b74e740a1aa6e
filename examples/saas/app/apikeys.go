package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clerkkit/clerkkit/apikeys"
	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/clerkerr"
	"github.com/clerkkit/clerkkit/middleware"
)

// Scopes an organization API key can carry: the projects API's.
const (
	ScopeProjectsRead  = "projects:read"
	ScopeProjectsWrite = "projects:write"
)

// keyScopes are the scopes an admin may give a key, in display order.
var keyScopes = []string{ScopeProjectsRead, ScopeProjectsWrite}

// ClaimCreatedBy is the custom claim in which the app records, at
// creation, the admin who created a key: projects a key creates are owned
// by that user (a project always has a user as its owner).
const ClaimCreatedBy = "created_by"

// Reasons of the 403s of API-key requests, besides
// middleware.ReasonScopeRequired.
const (
	// reasonOrgKeyRequired: the API key belongs to a user or a machine,
	// not to an organization.
	reasonOrgKeyRequired = "org-api-key-required"
	// reasonKeyWithoutCreator: the key was not created by this app (in
	// Clerk's dashboard, say), so it names no user to own what it writes.
	reasonKeyWithoutCreator = "api-key-creator-unknown"
)

// Limits of an API key's fields, as the app accepts them (Clerk's: a
// name of at least 3 characters, a description of at most 255 bytes).
const (
	minKeyName        = 3
	maxKeyName        = 64
	maxKeyDescription = 255
)

// keyInput is the body of POST /api/orgs/{orgID}/api-keys.
type keyInput struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	Scopes      []string `json:"scopes"`
}

// apiKey is an organization API key as the app shows it. Secret is set
// only in the answer to its creation.
type apiKey struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	Scopes         []string   `json:"scopes"`
	OrganizationID string     `json:"organization_id"`
	CreatedBy      string     `json:"created_by,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	ExpiresAt      *time.Time `json:"expires_at"`
	Revoked        bool       `json:"revoked"`
	Secret         string     `json:"secret,omitempty"`
}

func toAPIKey(k *apikeys.Key) apiKey {
	v := apiKey{ID: k.ID, Name: k.Name, Scopes: k.Scopes, OrganizationID: k.Subject, Revoked: k.Revoked,
		CreatedAt: time.UnixMilli(k.CreatedAt).UTC(), LastUsedAt: msTime(k.LastUsedAt), ExpiresAt: msTime(k.Expiration)}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	if k.Description != nil {
		v.Description = *k.Description
	}
	if k.CreatedBy != nil {
		v.CreatedBy = *k.CreatedBy
	}
	return v
}

func msTime(ms *int64) *time.Time {
	if ms == nil {
		return nil
	}
	t := time.UnixMilli(*ms).UTC()
	return &t
}

// orgKeys lists the organization's valid (neither revoked nor expired)
// API keys, newest first: one Backend API call per 100.
func (a *App) orgKeys(ctx context.Context, orgID string) ([]apiKey, error) {
	out := []apiKey{}
	for k, err := range a.clerk.APIKeys.All(ctx, orgID, apikeys.ListParams{}) {
		if err != nil {
			return nil, err
		}
		out = append(out, toAPIKey(k))
	}
	return out, nil
}

// createKey validates in and creates an API key for the URL's
// organization, recording the signed-in admin as its creator. fields is
// not nil when the input is wrong.
func (a *App) createKey(r *http.Request, in keyInput) (*apikeys.Key, map[string]string, error) {
	fields := map[string]string{}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if n := utf8.RuneCountInString(name); n < minKeyName || n > maxKeyName {
		fields["name"] = fmt.Sprintf("must be %d to %d characters", minKeyName, maxKeyName)
	}
	desc := ""
	if in.Description != nil {
		desc = strings.TrimSpace(*in.Description)
		if len(desc) > maxKeyDescription || !utf8.ValidString(desc) {
			fields["description"] = fmt.Sprintf("must be at most %d bytes of text", maxKeyDescription)
		}
	}
	var scopes []string
	for _, s := range in.Scopes {
		if !slices.Contains(keyScopes, s) {
			fields["scopes"] = "each must be " + strings.Join(keyScopes, " or ")
			break
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 && fields["scopes"] == "" {
		fields["scopes"] = "choose at least one of " + strings.Join(keyScopes, ", ")
	}
	if len(fields) > 0 {
		return nil, fields, nil
	}
	uid := session(r).UserID
	k, err := a.clerk.APIKeys.Create(r.Context(), apikeys.CreateParams{
		Subject: r.PathValue("orgID"), Name: name, Description: desc, Scopes: scopes,
		Claims: map[string]string{ClaimCreatedBy: uid}, CreatedBy: uid,
	})
	return k, nil, err
}

// errKeyNotInOrg: the API key named in the URL exists but belongs to
// another subject than the URL's organization.
var errKeyNotInOrg = fmt.Errorf("%w: API key of another subject", clerkerr.ErrNotFound)

// orgKey returns the API key the URL's {keyID} names when it belongs to
// the URL's organization: an admin of one organization can neither see
// nor revoke another's keys, whatever id they send.
func (a *App) orgKey(r *http.Request) (*apikeys.Key, error) {
	k, err := a.clerk.APIKeys.Get(r.Context(), r.PathValue("keyID"))
	if err != nil {
		return nil, err
	}
	if k.Subject != r.PathValue("orgID") {
		return nil, errKeyNotInOrg
	}
	return k, nil
}

// revokeKey revokes the URL's key of the URL's organization.
func (a *App) revokeKey(r *http.Request) (*apikeys.Key, error) {
	k, err := a.orgKey(r)
	if err != nil {
		return nil, err
	}
	if k.Revoked {
		return k, nil
	}
	return a.clerk.APIKeys.Revoke(r.Context(), k.ID, "revoked by "+session(r).UserID)
}

func (a *App) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.orgKeys(r.Context(), r.PathValue("orgID"))
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": keys})
}

func (a *App) createKeyAPI(w http.ResponseWriter, r *http.Request) {
	var in keyInput
	if !decodeBody(w, r, &in) {
		return
	}
	k, fields, err := a.createKey(r, in)
	switch {
	case fields != nil:
		fieldErrors(w, fields)
	case err != nil:
		a.clerkError(w, r, err)
	default:
		v := toAPIKey(k)
		v.Secret = k.Secret // shown this once
		writeJSON(w, http.StatusCreated, v)
	}
}

func (a *App) revokeKeyAPI(w http.ResponseWriter, r *http.Request) {
	k, err := a.revokeKey(r)
	if err != nil {
		a.clerkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKey(k))
}

// keysView is the API keys page's data.
type keysView struct {
	*orgView
	Keys   []apiKey
	Scopes []string
	// Created is the key just created, with its secret: shown once, in
	// the answer to the form post, never in a URL or a later page.
	Created *apiKey
}

func (a *App) keysPage(w http.ResponseWriter, r *http.Request) {
	a.renderKeys(w, r, nil)
}

// renderKeys renders the organization's API keys page, with created (and
// its secret) when it was just made.
func (a *App) renderKeys(w http.ResponseWriter, r *http.Request, created *apiKey) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	keys, err := a.orgKeys(r.Context(), v.Org.ID)
	if err != nil {
		a.logClerk(r, err)
		a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The API keys could not be loaded; try again.")
		return
	}
	a.render(w, r, http.StatusOK, "apikeys", v.Org.Name+" API keys", keysView{orgView: v, Keys: keys, Scopes: keyScopes, Created: created})
}

func (a *App) createKeyPage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		back(w, r, "/api-keys", "apikey-invalid")
		return
	}
	name, desc := r.PostForm.Get("name"), r.PostForm.Get("description")
	k, fields, err := a.createKey(r, keyInput{Name: &name, Description: &desc, Scopes: r.PostForm["scopes"]})
	switch {
	case fields != nil:
		back(w, r, "/api-keys", "apikey-invalid")
	case err != nil:
		a.logClerk(r, err)
		back(w, r, "/api-keys", "apikey-refused")
	default:
		created := toAPIKey(k)
		created.Secret = k.Secret
		a.renderKeys(w, r, &created)
	}
}

// confirmRevokeKeyPage asks the admin to confirm a revocation, as the
// removal of a member does: a required checkbox, no script.
func (a *App) confirmRevokeKeyPage(w http.ResponseWriter, r *http.Request) {
	v := a.orgPageData(w, r)
	if v == nil {
		return
	}
	k, err := a.orgKey(r)
	switch {
	case errors.Is(err, clerkerr.ErrNotFound) || errors.Is(err, clerkerr.ErrInvalidInput):
		a.notFound(w, r)
		return
	case err != nil:
		a.logClerk(r, err)
		a.renderError(w, r, http.StatusBadGateway, "Clerk is unavailable", "The API key could not be loaded; try again.")
		return
	}
	a.render(w, r, http.StatusOK, "revokekey", "Revoke an API key", map[string]any{"Org": v.Org, "Key": toAPIKey(k)})
}

func (a *App) revokeKeyPage(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		back(w, r, "/api-keys", "apikey-revoke-unconfirmed")
		return
	}
	if _, err := a.revokeKey(r); err != nil {
		if errors.Is(err, clerkerr.ErrNotFound) || errors.Is(err, clerkerr.ErrInvalidInput) {
			a.notFound(w, r)
			return
		}
		a.logClerk(r, err)
		back(w, r, "/api-keys", "apikey-revoke-refused")
		return
	}
	back(w, r, "/api-keys", "apikey-revoked")
}

// limitAPIKeys rate limits requests presenting an API key (Bearer ak_…)
// per key, before the key is verified, since verifying it may call the
// Backend API: one key cannot spend more than its own budget of the
// instance's Backend API rate. Keys are told apart by a hash of the
// secret, which is never kept. Made-up keys, each new, are bounded by the
// verifier instead (auth.Config.MachineVerificationsPerSecond, and its
// cache of rejected tokens). Other requests pass untouched, to be limited
// per user once authenticated.
func (a *App) limitAPIKeys(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := auth.BearerToken(r)
		if !strings.HasPrefix(tok, apikeys.IDPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		sum := sha256.Sum256([]byte(tok))
		if ok, wait := a.keyLimiter.Allow("api_key:" + hex.EncodeToString(sum[:16])); !ok {
			a.tooMany(w, r, wait)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireKeyScope lets sessions through (their access is decided as
// before, by the synced membership table) and API keys only when they
// belong to an organization and carry scope; otherwise 403 with the
// reason and, for a missing scope, the scope's name.
func requireKeyScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFromContext(r.Context())
		if !ok || p.Kind == auth.SessionToken {
			next.ServeHTTP(w, r)
			return
		}
		k := p.Machine
		switch {
		case p.Kind != auth.APIKey || k == nil || k.OrgID() == "":
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden", "reason": reasonOrgKeyRequired,
				"message": "only an organization's API key can call this route"})
		case !k.HasScope(scope):
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden", "reason": middleware.ReasonScopeRequired,
				"scope": scope, "message": "this API key lacks the " + scope + " scope"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// requestKey returns the organization API key a request is authenticated
// with, or nil for a session.
func requestKey(r *http.Request) *auth.Machine {
	if p, ok := auth.PrincipalFromContext(r.Context()); ok && p.Kind == auth.APIKey {
		return p.Machine
	}
	return nil
}

// keyCreator is the user who created k in this app (its created_by
// claim), or "".
func keyCreator(k *auth.Machine) string {
	s, _ := k.Claims[ClaimCreatedBy].(string)
	if !strings.HasPrefix(s, "user_") || len(s) > maxIDLen {
		return ""
	}
	return s
}
