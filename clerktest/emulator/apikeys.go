// API keys: created for a user, an organization or a machine, verified by
// their secret (POST /api_keys/verify).

package emulator

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// apiKeyRec is an API key.
type apiKeyRec struct {
	seq         int64
	id          string // ak_ and 32 hex digits
	typ         string
	name        string
	description *string
	subject     string
	claims      json.RawMessage // nil: null
	scopes      []string
	secret      string
	revoked     bool
	reason      *string
	expiresAt   time.Time // zero: never
	createdBy   *string
	lastUsedAt  time.Time
	createdAt   time.Time
	updatedAt   time.Time
}

func (k *apiKeyRec) expired(now time.Time) bool {
	return !k.expiresAt.IsZero() && !now.Before(k.expiresAt)
}

type apiKeyJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Subject          string          `json:"subject"`
	Name             string          `json:"name"`
	Description      *string         `json:"description"`
	Claims           json.RawMessage `json:"claims"`
	Scopes           []string        `json:"scopes"`
	Secret           string          `json:"secret,omitempty"` // on creation only
	Revoked          bool            `json:"revoked"`
	RevocationReason *string         `json:"revocation_reason"`
	Expired          bool            `json:"expired"`
	Expiration       *int64          `json:"expiration"`
	CreatedBy        *string         `json:"created_by"`
	LastUsedAt       *int64          `json:"last_used_at"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
}

func apiKeyToJSON(k *apiKeyRec, now time.Time) apiKeyJSON {
	return apiKeyJSON{
		Object: "api_key", ID: k.id, Type: k.typ, Subject: k.subject, Name: k.name, Description: k.description,
		Claims: rawOrNull(k.claims), Scopes: append([]string{}, k.scopes...), Revoked: k.revoked,
		RevocationReason: k.reason, Expired: k.expired(now), Expiration: msPtr(k.expiresAt), CreatedBy: k.createdBy,
		LastUsedAt: msPtr(k.lastUsedAt), CreatedAt: ms(k.createdAt), UpdatedAt: ms(k.updatedAt),
	}
}

// apiKeyNamePattern is the spec's pattern for names: no whitespace at
// either end.
var apiKeyNamePattern = regexp.MustCompile(`^(\S(.*\S)?)?$`)

type createAPIKeyBody struct {
	Type                   *string         `json:"type"`
	Name                   *string         `json:"name"`
	Description            *string         `json:"description"`
	Subject                *string         `json:"subject"`
	Claims                 json.RawMessage `json:"claims"`
	Scopes                 []string        `json:"scopes"`
	CreatedBy              *string         `json:"created_by"`
	SecondsUntilExpiration *float64        `json:"seconds_until_expiration"`

	id     string // set by Seed
	secret string // set by Seed
}

// checkSubject requires subject to name an existing user, organization or
// machine of the instance.
func (st *state) checkSubject(param, subject string) *apiError {
	var exists bool
	switch {
	case strings.HasPrefix(subject, "user_"):
		exists = st.users[subject] != nil
	case strings.HasPrefix(subject, "org_"):
		exists = st.orgs[subject] != nil
	case strings.HasPrefix(subject, "mch_"):
		exists = st.mach.machines[subject] != nil
	default:
		return errBadRequest(param, "Invalid '"+param+"': must be a user (user_…), organization (org_…) or machine (mch_…) id.")
	}
	if !exists {
		return errBadRequest(param, "Invalid '"+param+"': "+subject+" does not exist in this instance.")
	}
	return nil
}

// claimsParam validates a claims member: absent or null is nil, anything
// else must be a JSON object, returned compacted.
func claimsParam(raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, errBadRequest("claims", "Invalid 'claims': must be a JSON object.")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, errBadRequest("claims", "Invalid 'claims': not valid JSON.")
	}
	return buf.Bytes(), nil
}

// expiryParam turns seconds_until_expiration into a time: nil is never.
func expiryParam(secs *float64, now time.Time) (time.Time, *apiError) {
	if secs == nil {
		return time.Time{}, nil
	}
	if !(*secs > 0) || *secs > float64(math.MaxInt64/int64(time.Second)) {
		return time.Time{}, errBadRequest("seconds_until_expiration", "Invalid 'seconds_until_expiration': must be greater than 0.")
	}
	return now.Add(time.Duration(*secs * float64(time.Second))), nil
}

// addAPIKey creates an API key with the checks of POST /api_keys.
func (st *state) addAPIKey(b *createAPIKeyBody, now time.Time) (*apiKeyRec, *apiError) {
	k := &apiKeyRec{seq: st.next(), id: b.id, typ: "api_key", secret: b.secret, description: b.Description,
		createdBy: b.CreatedBy, scopes: append([]string{}, b.Scopes...), createdAt: now, updatedAt: now}
	if b.Type != nil {
		if n := len(*b.Type); n < 3 || n > 25 {
			return nil, errBadRequest("type", "Invalid 'type': must be 3 to 25 characters long.")
		}
		k.typ = *b.Type
	}
	switch {
	case b.Name == nil:
		return nil, errBadRequest("name", "Invalid 'name': required.")
	case len([]rune(*b.Name)) < 3 || !apiKeyNamePattern.MatchString(*b.Name):
		return nil, errBadRequest("name", "Invalid 'name': must be at least 3 characters long, without whitespace at either end.")
	}
	k.name = *b.Name
	if b.Description != nil && len([]rune(*b.Description)) > 255 {
		return nil, errBadRequest("description", "Invalid 'description': at most 255 characters.")
	}
	if b.Subject == nil {
		return nil, errBadRequest("subject", "Invalid 'subject': required.")
	}
	if e := st.checkSubject("subject", *b.Subject); e != nil {
		return nil, e
	}
	k.subject = *b.Subject
	if b.CreatedBy != nil && st.users[*b.CreatedBy] == nil {
		return nil, errBadRequest("created_by", "Invalid 'created_by': "+*b.CreatedBy+" is not a user of this instance.")
	}
	var e *apiError
	if k.claims, e = claimsParam(b.Claims); e != nil {
		return nil, e
	}
	if k.expiresAt, e = expiryParam(b.SecondsUntilExpiration, now); e != nil {
		return nil, e
	}
	if k.id == "" {
		k.id = hexID("ak_")
	}
	if k.secret == "" {
		k.secret = newSecret("ak_")
	}
	st.mach.apiKeys[k.id] = k
	return k, nil
}

func (s *Server) createAPIKey(c *call, _ *caller, b *createAPIKeyBody) (any, int, *apiError) {
	k, e := c.st.addAPIKey(b, c.now)
	if e != nil {
		return nil, 0, e
	}
	out := apiKeyToJSON(k, c.now)
	out.Secret = k.secret
	return out, 0, nil
}

// machinePage reads limit (1..100, default 10) and offset of the API key
// and M2M token lists, which refuse values out of range with a 400.
func machinePage(q url.Values) (page, *apiError) {
	p := page{limit: 10}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, errBadRequest("limit", "Invalid 'query.limit': must be a number from 1 to 100.")
		}
		p.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errBadRequest("offset", "Invalid 'query.offset': must be a number of at least 0.")
		}
		p.offset = n
	}
	return p, nil
}

// queryBool reads a "true"/"false" query parameter (absent: false).
func queryBool(q url.Values, name string) (bool, *apiError) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, errBadRequest(name, "Invalid 'query."+name+"': must be true or false.")
}

// listAPIKeys lists the API keys of a subject, newest first: by default
// only those of type api_key that are neither revoked nor expired
// (include_invalid=true adds those); query matches names and ids.
func (s *Server) listAPIKeys(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	q := c.r.URL.Query()
	subject := q.Get("subject")
	if subject == "" {
		return nil, 0, errBadRequest("subject", "Invalid 'query.subject': required.")
	}
	p, e := machinePage(q)
	if e != nil {
		return nil, 0, e
	}
	invalid, e := queryBool(q, "include_invalid")
	if e != nil {
		return nil, 0, e
	}
	typ := q.Get("type")
	if typ == "" {
		typ = "api_key"
	}
	query := q.Get("query")
	var items []*apiKeyRec
	for _, k := range c.st.mach.apiKeys {
		if k.subject != subject || k.typ != typ || (!invalid && (k.revoked || k.expired(c.now))) ||
			(query != "" && k.id != query && !containsFold(k.name, query)) {
			continue
		}
		items = append(items, k)
	}
	sortBy(items, true, func(k *apiKeyRec) sortKey { return timeKey(k.createdAt) }, func(k *apiKeyRec) int64 { return k.seq })
	return listPage(items, p, func(k *apiKeyRec) apiKeyJSON { return apiKeyToJSON(k, c.now) }), 0, nil
}

// apiKey is the API key of the path's {apiKeyID}.
func (c *call) apiKey() (*apiKeyRec, *apiError) {
	id := c.r.PathValue("apiKeyID")
	k := c.st.mach.apiKeys[id]
	if k == nil {
		return nil, errNotFound("API key", id)
	}
	return k, nil
}

func (s *Server) getAPIKey(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	k, e := c.apiKey()
	if e != nil {
		return nil, 0, e
	}
	return apiKeyToJSON(k, c.now), 0, nil
}

type updateAPIKeyBody struct {
	Claims                 nullable[json.RawMessage] `json:"claims"`
	Scopes                 []string                  `json:"scopes"`
	Description            nullable[string]          `json:"description"`
	Subject                *string                   `json:"subject"`
	SecondsUntilExpiration nullable[float64]         `json:"seconds_until_expiration"`
}

// updateAPIKey changes the members present in the body; null clears
// claims, description and the expiry.
func (s *Server) updateAPIKey(c *call, _ *caller, b *updateAPIKeyBody) (any, int, *apiError) {
	k, e := c.apiKey()
	if e != nil {
		return nil, 0, e
	}
	next := *k
	if b.Claims.set {
		if next.claims, e = claimsParam(b.Claims.v); e != nil {
			return nil, 0, e
		}
	}
	if b.Scopes != nil {
		next.scopes = append([]string{}, b.Scopes...)
	}
	if b.Description.set {
		next.description = nil
		if !b.Description.null {
			if len([]rune(b.Description.v)) > 255 {
				return nil, 0, errBadRequest("description", "Invalid 'description': at most 255 characters.")
			}
			d := b.Description.v
			next.description = &d
		}
	}
	if b.Subject != nil {
		if e := c.st.checkSubject("subject", *b.Subject); e != nil {
			return nil, 0, e
		}
		next.subject = *b.Subject
	}
	if b.SecondsUntilExpiration.set {
		var secs *float64
		if !b.SecondsUntilExpiration.null {
			secs = &b.SecondsUntilExpiration.v
		}
		if next.expiresAt, e = expiryParam(secs, c.now); e != nil {
			return nil, 0, e
		}
	}
	next.updatedAt = c.now
	*k = next
	return apiKeyToJSON(k, c.now), 0, nil
}

type apiKeyDeletedJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func (s *Server) deleteAPIKey(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	k, e := c.apiKey()
	if e != nil {
		return nil, 0, e
	}
	delete(c.st.mach.apiKeys, k.id)
	return apiKeyDeletedJSON{ID: k.id, Object: "api_key", Deleted: true}, 0, nil
}

type apiKeySecretJSON struct {
	Secret string `json:"secret"`
}

func (s *Server) getAPIKeySecret(c *call, _ *caller, _ *noBody) (any, int, *apiError) {
	k, e := c.apiKey()
	if e != nil {
		return nil, 0, e
	}
	return apiKeySecretJSON{Secret: k.secret}, 0, nil
}

type revokeBody struct {
	RevocationReason *string `json:"revocation_reason"`
}

// revokeAPIKey revokes an API key (again: the reason is updated).
func (s *Server) revokeAPIKey(c *call, _ *caller, b *revokeBody) (any, int, *apiError) {
	k, e := c.apiKey()
	if e != nil {
		return nil, 0, e
	}
	k.revoked, k.reason, k.updatedAt = true, b.RevocationReason, c.now
	return apiKeyToJSON(k, c.now), 0, nil
}

type verifyAPIKeyBody struct {
	Secret *string `json:"secret"`
}

// verifyAPIKey answers the API key whose secret is given, and records its
// use. An unknown, revoked or expired key is a 404, as at Clerk (the JS
// SDK reads a 404 as "token invalid").
func (s *Server) verifyAPIKey(c *call, _ *caller, b *verifyAPIKeyBody) (any, int, *apiError) {
	if b.Secret == nil || *b.Secret == "" {
		return nil, 0, errBadRequest("secret", "Invalid 'secret': required.")
	}
	var found *apiKeyRec
	for _, k := range c.st.mach.apiKeys {
		if equalSecret(*b.Secret, k.secret) {
			found = k
		}
	}
	if found == nil || found.revoked || found.expired(c.now) {
		return nil, 0, errTokenNotFound("API key")
	}
	found.lastUsedAt = c.now
	return apiKeyToJSON(found, c.now), 0, nil
}

// errTokenNotFound is the 404 of a verify endpoint: the token is unknown,
// revoked or expired. It never names the token.
func errTokenNotFound(kind string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
		long: kind + " not found: it is unknown, revoked or expired"}
}
