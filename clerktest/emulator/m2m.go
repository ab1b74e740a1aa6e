// M2M tokens: created by a machine with its secret key, opaque (mt_…) or
// JWTs signed with the instance's keys, verified by the machines they are
// scoped to or with the instance's secret key.

package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// m2mCategory is the cat header Clerk gives M2M JWTs.
const m2mCategory = "cl_B7d4PD333AAA"

// m2mRec is an M2M token. JWT ones are kept only so that the verify
// endpoint knows them: they are neither listed nor revocable, as at Clerk.
type m2mRec struct {
	seq        int64
	id         string // mt_ and 32 hex digits; a JWT's jti
	subject    string // the machine that created it
	scopes     []string
	claims     json.RawMessage // nil: null
	token      string
	jwt        bool
	revoked    bool
	reason     *string
	expiresAt  time.Time
	lastUsedAt time.Time
	createdAt  time.Time
	updatedAt  time.Time
}

func (t *m2mRec) expired(now time.Time) bool { return !now.Before(t.expiresAt) }

type m2mJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Subject          string          `json:"subject"`
	Claims           json.RawMessage `json:"claims"`
	Scopes           []string        `json:"scopes"`
	Token            string          `json:"token,omitempty"` // on creation only
	Revoked          bool            `json:"revoked"`
	RevocationReason *string         `json:"revocation_reason"`
	Expired          bool            `json:"expired"`
	Expiration       *int64          `json:"expiration"`
	LastUsedAt       *int64          `json:"last_used_at"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
}

func m2mToJSON(t *m2mRec, now time.Time) m2mJSON {
	return m2mJSON{
		Object: "machine_to_machine_token", ID: t.id, Subject: t.subject, Claims: rawOrNull(t.claims),
		Scopes: append([]string{}, t.scopes...), Revoked: t.revoked, RevocationReason: t.reason,
		Expired: t.expired(now), Expiration: msPtr(t.expiresAt), LastUsedAt: msPtr(t.lastUsedAt),
		CreatedAt: ms(t.createdAt), UpdatedAt: ms(t.updatedAt),
	}
}

type createM2MBody struct {
	TokenFormat            *string         `json:"token_format"`
	SecondsUntilExpiration *float64        `json:"seconds_until_expiration"`
	Claims                 json.RawMessage `json:"claims"`
	MinRemainingTTLSeconds *int64          `json:"min_remaining_ttl_seconds"`
}

// m2mReserved are the claims of an M2M JWT that custom claims cannot
// replace.
var m2mReserved = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scopes"}

// createM2MToken mints a token for the machine whose secret key
// authenticated the request, scoped to the machines it may reach, living
// seconds_until_expiration or the machine's default_token_ttl. With
// min_remaining_ttl_seconds, an opaque token of the machine with the same
// claims and scopes and at least that much life left is answered instead
// of a new one.
func (s *Server) createM2MToken(c *call, who *caller, b *createM2MBody) (any, int, *apiError) {
	m := who.machine
	format := "opaque"
	if b.TokenFormat != nil {
		format = *b.TokenFormat
	}
	if format != "opaque" && format != "jwt" {
		return nil, 0, errBadRequest("token_format", "Invalid 'token_format': must be opaque or jwt.")
	}
	claims, e := claimsParam(b.Claims)
	if e != nil {
		return nil, 0, e
	}
	lifetime := time.Duration(m.ttl) * time.Second
	if b.SecondsUntilExpiration != nil {
		exp, e := expiryParam(b.SecondsUntilExpiration, c.now)
		if e != nil {
			return nil, 0, e
		}
		lifetime = exp.Sub(c.now)
	}
	scopes := m.scopedIDs()
	if minLeft := b.MinRemainingTTLSeconds; minLeft != nil {
		if *minLeft < 0 || time.Duration(*minLeft)*time.Second >= lifetime {
			return nil, 0, errBadRequest("min_remaining_ttl_seconds",
				"Invalid 'min_remaining_ttl_seconds': must be at least 0 and less than the token's lifetime.")
		}
		if format == "opaque" {
			if t := c.st.reusableM2M(m.id, claims, scopes, c.now.Add(time.Duration(*minLeft)*time.Second), c.now); t != nil {
				out := m2mToJSON(t, c.now)
				out.Token = t.token
				return out, http.StatusCreated, nil
			}
		}
	}
	t := &m2mRec{seq: c.st.next(), id: hexID("mt_"), subject: m.id, scopes: scopes, claims: claims,
		jwt: format == "jwt", expiresAt: c.now.Add(lifetime), createdAt: c.now, updatedAt: c.now}
	if t.jwt {
		t.token = s.signM2M(t)
	} else {
		t.token = newSecret("mt_")
	}
	c.st.mach.m2m[t.id] = t
	out := m2mToJSON(t, c.now)
	out.Token = t.token
	return out, http.StatusCreated, nil
}

// reusableM2M is the newest opaque, unrevoked token of machine with these
// claims and scopes that lives until at least until.
func (st *state) reusableM2M(machine string, claims json.RawMessage, scopes []string, until, now time.Time) *m2mRec {
	var best *m2mRec
	for _, t := range st.mach.m2m {
		if t.jwt || t.revoked || t.subject != machine || t.expiresAt.Before(until) || t.expired(now) ||
			string(t.claims) != string(claims) || !slices.Equal(t.scopes, scopes) {
			continue
		}
		if best == nil || t.seq > best.seq {
			best = t
		}
	}
	return best
}

// signM2M returns t as a JWT signed with the Issuer's current key, with
// the header and claims of Clerk's M2M JWTs: header cat cl_B7d4PD333AAA
// (absent with Options.M2MJWTWithoutCategory), sub the machine, jti the
// token id, aud and scopes (space-separated) the scoped machines when
// there are any, and the custom claims beside them (the standard claims
// win over custom ones of the same name).
func (s *Server) signM2M(t *m2mRec) string {
	header := map[string]any{"alg": "RS256", "kid": s.iss.KeyID(), "typ": "JWT"}
	if !s.m2mNoCategory {
		header["cat"] = m2mCategory
	}
	payload := map[string]any{}
	if t.claims != nil {
		var custom map[string]any
		if json.Unmarshal(t.claims, &custom) == nil {
			maps.Copy(payload, custom)
		}
	}
	for _, k := range m2mReserved {
		delete(payload, k)
	}
	payload["iss"] = s.iss.IssuerURL()
	payload["sub"] = t.subject
	payload["jti"] = t.id
	payload["iat"] = t.createdAt.Unix()
	payload["nbf"] = t.createdAt.Unix()
	payload["exp"] = t.expiresAt.Unix()
	if len(t.scopes) > 0 {
		payload["aud"] = t.scopes
		payload["scopes"] = strings.Join(t.scopes, " ")
	}
	return s.iss.SignRaw(mustMarshal(header), mustMarshal(payload))
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: encode: " + err.Error()) // only our own values are encoded
	}
	return b
}

type m2mListJSON struct {
	M2MTokens  []m2mJSON `json:"m2m_tokens"`
	TotalCount int       `json:"total_count"`
}

// listM2MTokens lists the opaque tokens of the machine named by subject,
// newest first: by default those neither revoked nor expired;
// revoked=true adds the revoked ones, expired=true the expired ones. A
// machine secret key lists its own machine's tokens only (403 otherwise).
func (s *Server) listM2MTokens(c *call, who *caller, _ *noBody) (any, int, *apiError) {
	q := c.r.URL.Query()
	subject := q.Get("subject")
	if subject == "" {
		return nil, 0, errBadRequest("subject", "Invalid 'query.subject': required.")
	}
	if !strings.HasPrefix(subject, "mch_") {
		return nil, 0, errBadRequest("subject", "Invalid 'query.subject': must be a machine id (mch_…).")
	}
	if who.machine != nil && who.machine.id != subject {
		return nil, 0, &apiError{status: http.StatusForbidden, code: "authorization_invalid", msg: "Unauthorized request",
			long: "A machine secret key can list only its own machine's M2M tokens."}
	}
	if _, e := c.st.machine(subject); e != nil {
		return nil, 0, e
	}
	p, e := machinePage(q)
	if e != nil {
		return nil, 0, e
	}
	revoked, e := queryBool(q, "revoked")
	if e != nil {
		return nil, 0, e
	}
	expired, e := queryBool(q, "expired")
	if e != nil {
		return nil, 0, e
	}
	var items []*m2mRec
	for _, t := range c.st.mach.m2m {
		if t.jwt || t.subject != subject || (t.revoked && !revoked) || (t.expired(c.now) && !expired) {
			continue
		}
		items = append(items, t)
	}
	sortBy(items, true, func(t *m2mRec) sortKey { return timeKey(t.createdAt) }, func(t *m2mRec) int64 { return t.seq })
	out := m2mListJSON{M2MTokens: []m2mJSON{}, TotalCount: len(items)}
	for _, t := range paginate(items, p) {
		out.M2MTokens = append(out.M2MTokens, m2mToJSON(t, c.now))
	}
	return out, 0, nil
}

// revokeM2MToken revokes an opaque token. A machine secret key revokes
// only its own machine's tokens: another machine's is a 404.
func (s *Server) revokeM2MToken(c *call, who *caller, b *revokeBody) (any, int, *apiError) {
	id := c.r.PathValue("m2m_token_id")
	t := c.st.mach.m2m[id]
	if t == nil || (who.machine != nil && who.machine.id != t.subject) {
		return nil, 0, errNotFound("M2M token", id)
	}
	if t.jwt {
		return nil, 0, errBadRequest("m2m_token_id", "JWT-format M2M tokens are stateless and cannot be revoked.")
	}
	t.revoked, t.reason, t.updatedAt = true, b.RevocationReason, c.now
	return m2mToJSON(t, c.now), 0, nil
}

type verifyM2MBody struct {
	Token *string `json:"token"`
}

// verifyM2MToken answers the token given, opaque or JWT, and records its
// use. With a machine secret key, the token must be scoped to that
// machine. An unknown, revoked or expired token, one of a deleted machine
// or one not scoped to the verifying machine is a 404.
func (s *Server) verifyM2MToken(c *call, who *caller, b *verifyM2MBody) (any, int, *apiError) {
	if b.Token == nil || *b.Token == "" {
		return nil, 0, errBadRequest("token", "Invalid 'token': required.")
	}
	var found *m2mRec
	for _, t := range c.st.mach.m2m {
		if equalSecret(*b.Token, t.token) {
			found = t
		}
	}
	if found == nil || found.revoked || found.expired(c.now) || c.st.mach.machines[found.subject] == nil ||
		(who.machine != nil && !slices.Contains(found.scopes, who.machine.id)) {
		return nil, 0, errTokenNotFound("Machine token")
	}
	found.lastUsedAt = c.now
	return m2mToJSON(found, c.now), 0, nil
}
