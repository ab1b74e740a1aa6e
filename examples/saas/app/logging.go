package app

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/auth"
)

// requestInfo is filled in along the request path and logged at the end.
type requestInfo struct {
	id            string
	userID, orgID string
	// apiKeyID is the id (ak_…, not the secret) of the API key the
	// request was authenticated with, if any.
	apiKeyID string
}

type infoKey struct{}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests gives every request an id (X-Request-Id) and logs one line
// when it ends: method, path (no query), status, duration, user and org.
// Tokens, cookies and query strings are never logged.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r)}
		w.Header().Set("X-Request-Id", info.id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		a.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
			slog.String("user_id", info.userID), slog.String("org_id", info.orgID), slog.String("api_key_id", info.apiKeyID))
	})
}

// logPath is path with every segment that looks like a secret (an API
// key, M2M or OAuth token, which a client may send by mistake where an id
// belongs, or a JWT) replaced by "[redacted]"; ids (ak_ and 32 hex
// digits) are kept.
func logPath(path string) string {
	if !strings.Contains(path, "_") && !strings.Contains(path, "eyJ") {
		return path
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if secretLike(s) {
			segs[i] = "[redacted]"
		}
	}
	return strings.Join(segs, "/")
}

func secretLike(seg string) bool {
	if strings.HasPrefix(seg, "eyJ") {
		return true
	}
	for _, p := range []string{"ak_", "mt_", "oat_"} {
		if rest, ok := strings.CutPrefix(seg, p); ok {
			return !isHexID(rest)
		}
	}
	return false
}

// isHexID reports whether s is the 32 lower-case hex digits of an id.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// requestID keeps a sane incoming X-Request-Id, or makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); len(id) > 0 && len(id) <= 64 {
		ok := true
		for _, c := range id {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	return rand.Text()[:16]
}

// recordSession copies the session's user and org into the request's log
// line.
func recordSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
			if s, ok := auth.FromContext(r.Context()); ok {
				info.userID, info.orgID = s.UserID, s.OrgID
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recordPrincipal copies an API key's id and organization into the
// request's log line; it runs behind RequireToken.
func recordPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
			if k, ok := auth.MachineFromContext(r.Context()); ok {
				info.apiKeyID, info.orgID = k.ID, k.OrgID()
			}
		}
		next.ServeHTTP(w, r)
	})
}
