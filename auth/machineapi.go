package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// maxVerifyBody caps a Backend API verification response.
const maxVerifyBody = 64 << 10

// verifyEndpoint is where and how a kind of opaque token is verified
// (bapi-2025-04-10: POST /api_keys/verify {secret}, /m2m_tokens/verify
// {token}, /oauth_applications/access_tokens/verify {access_token}).
type verifyEndpoint struct {
	path, field, object string
	subjects            []string // accepted subject prefixes
}

func endpointFor(kind TokenKind) verifyEndpoint {
	switch kind {
	case APIKey:
		return verifyEndpoint{"/v1/api_keys/verify", "secret", "api_key", []string{"user_", "org_", "mch_"}}
	case M2MToken:
		return verifyEndpoint{"/v1/m2m_tokens/verify", "token", "machine_to_machine_token", []string{"mch_"}}
	default:
		return verifyEndpoint{"/v1/oauth_applications/access_tokens/verify", "access_token", "clerk_idp_oauth_access_token", []string{"user_"}}
	}
}

// callAPI verifies an opaque token with the Backend API, within the
// bounds on calls in flight and per second.
func (ms *machineState) callAPI(ctx context.Context, kind TokenKind, token string) machineResult {
	select {
	case ms.sem <- struct{}{}:
	default:
		return machineResult{err: fail(ErrVerificationBusy, "too many verifications in flight")}
	}
	defer func() { <-ms.sem }()
	if !ms.bucket.take(ms.cfg.Now()) {
		return machineResult{err: fail(ErrVerificationBusy, "verification rate limit reached")}
	}
	ms.calls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, ms.cfg.FetchTimeout)
	defer cancel()
	ep := endpointFor(kind)
	body, err := json.Marshal(map[string]string{ep.field: token})
	if err != nil {
		return machineResult{err: failCause(ErrVerificationUnavailable, "encode request", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ms.cfg.APIURL+ep.path, bytes.NewReader(body))
	if err != nil {
		return machineResult{err: failCause(ErrVerificationUnavailable, "request", err)}
	}
	req.Header.Set("Authorization", "Bearer "+ms.cfg.SecretKey)
	req.Header.Set("Clerk-API-Version", ms.cfg.APIVersion)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkkit")
	resp, err := ms.cfg.HTTPClient.Do(req)
	if err != nil {
		// The error of a failed request names the URL, never the body.
		return machineResult{err: failCause(ErrVerificationUnavailable, "Backend API request failed", errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxVerifyBody+1))
	if err != nil {
		return machineResult{err: failCause(ErrVerificationUnavailable, "read response", err)}
	}
	now := ms.cfg.Now()
	invalid := func(err error) machineResult {
		return machineResult{err: err, final: true, until: now.Add(ms.cfg.MachineNegativeTTL)}
	}
	// Response bodies are never quoted in errors: they may echo the token.
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusBadRequest,
		resp.StatusCode == http.StatusUnprocessableEntity:
		return invalid(fail(ErrTokenInvalid, fmt.Sprintf("Backend API answered %d", resp.StatusCode)))
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden:
		return machineResult{err: fail(ErrSecretKeyInvalid, fmt.Sprintf("Backend API answered %d", resp.StatusCode))}
	default:
		return machineResult{err: fail(ErrVerificationUnavailable, fmt.Sprintf("Backend API answered %d", resp.StatusCode))}
	}
	if len(b) > maxVerifyBody {
		return machineResult{err: fail(ErrVerificationUnavailable, "response too large")}
	}
	m, err := parseVerification(b, kind, ep)
	if err != nil {
		if errors.Is(err, ErrTokenInvalid) || errors.Is(err, ErrExpired) {
			return invalid(err)
		}
		return machineResult{err: failCause(ErrVerificationUnavailable, "response", err)}
	}
	if !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt.Add(ms.cfg.ClockSkew)) {
		return invalid(fail(ErrExpired, "token expired"))
	}
	until := now.Add(ms.cfg.MachineCacheTTL)
	if !m.ExpiresAt.IsZero() {
		until = minTime(until, m.ExpiresAt.Add(ms.cfg.ClockSkew))
	}
	return machineResult{m: m, final: true, until: until}
}

// verification is a Backend API verification response, decoded by exact
// member name.
type verification struct {
	object, id, subject, name, clientID string
	scopes, aud                         []string
	claims                              map[string]any
	revoked, expired                    bool
	activeFalse                         bool
	expiration                          *float64
}

// errBadVerification is wrapped when a 200 answer is not a verification.
var errBadVerification = errors.New("not a verification result")

// parseVerification reads a 200 answer for kind. A revoked or expired
// token (or OAuth's {"active":false}) is an ErrTokenInvalid or ErrExpired
// error; an answer that is not a well-formed verification of a token of
// this kind is errBadVerification.
func parseVerification(b []byte, kind TokenKind, ep verifyEndpoint) (*Machine, error) {
	var r verification
	err := strictjson.Walk(b, maxJSONDepth, func(name, v []byte) error {
		var err error
		switch string(name) {
		case "object":
			r.object, err = jsonString(v)
		case "id":
			r.id, err = jsonString(v)
		case "subject":
			r.subject, err = jsonString(v)
		case "name":
			r.name, err = jsonString(v)
		case "client_id":
			r.clientID, err = jsonString(v)
		case "scopes":
			if !isNull(v) {
				err = json.Unmarshal(v, &r.scopes)
			}
		case "aud":
			r.aud, _, err = stringOrList(v)
		case "claims":
			if !isNull(v) {
				if !strictjson.Object(v) {
					return errors.New("claims is not an object")
				}
				err = json.Unmarshal(v, &r.claims)
			}
		case "revoked":
			err = jsonBool(v, &r.revoked)
		case "expired":
			err = jsonBool(v, &r.expired)
		case "active":
			var active bool
			err = jsonBool(v, &active)
			r.activeFalse = err == nil && !active
		case "expiration":
			if !isNull(v) {
				var f float64
				if err = json.Unmarshal(v, &f); err == nil {
					r.expiration = &f
				}
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadVerification, err)
	}
	if kind == OAuthToken && r.activeFalse {
		return nil, fail(ErrTokenInvalid, "token not active")
	}
	if r.object != ep.object {
		return nil, fmt.Errorf("%w: object is not %s", errBadVerification, ep.object)
	}
	if r.revoked {
		return nil, fail(ErrTokenInvalid, "token revoked")
	}
	if r.expired {
		return nil, fail(ErrExpired, "token expired")
	}
	if r.id == "" {
		return nil, fmt.Errorf("%w: no id", errBadVerification)
	}
	ok := false
	for _, p := range ep.subjects {
		ok = ok || (strings.HasPrefix(r.subject, p) && len(r.subject) > len(p))
	}
	if !ok {
		return nil, fmt.Errorf("%w: subject is not one this kind of token can have", errBadVerification)
	}
	m := &Machine{Kind: kind, ID: r.id, Subject: r.subject, Scopes: r.scopes, Claims: r.claims}
	switch kind {
	case APIKey:
		m.Name = r.name
	case OAuthToken:
		m.ClientID, m.Audience = r.clientID, r.aud
	}
	if r.expiration != nil {
		ms := *r.expiration
		if ms < 0 || ms > maxNumericDate*1000 || math.IsNaN(ms) {
			return nil, fmt.Errorf("%w: expiration out of range", errBadVerification)
		}
		m.ExpiresAt = time.UnixMilli(int64(ms))
	}
	return m, nil
}

func jsonBool(v []byte, dst *bool) error {
	switch string(v) {
	case "true":
		*dst = true
	case "false", "null":
		*dst = false
	default:
		return errors.New("not a boolean")
	}
	return nil
}
