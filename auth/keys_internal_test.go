package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jwksServer(t *testing.T) *httptest.Server {
	t.Helper()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &fuzzKey.PublicKey, KeyID: "ins_1", Algorithm: "RS256", Use: "sig"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A caller that saw no key set, and asks for a cold fetch just after
// another caller's fetch succeeded, gets that key set: not a "throttled"
// error (the window between snap.Load and start).
func TestColdStartAfterConcurrentSuccess(t *testing.T) {
	srv := jwksServer(t)
	now := time.Unix(1732629566, 0)
	v, err := NewVerifier(Config{JWKSURL: srv.URL, Issuer: "https://clerk.example.com", Now: func() time.Time { return now }})
	require.NoError(t, err)
	call, err := v.keys.start(true)
	require.NoError(t, err)
	<-call.done
	require.NoError(t, call.err)

	late, err := v.keys.start(true)
	require.NoError(t, err, "the key set is there; no throttling error")
	<-late.done
	assert.NoError(t, late.err)
	assert.Same(t, call.set, late.set)
	assert.EqualValues(t, 1, v.KeyFetches())
	require.NoError(t, v.Warm(context.Background()))
}

func TestTokenCacheBounded(t *testing.T) {
	srv := jwksServer(t)
	now := time.Unix(1732629566, 0)
	v, err := NewVerifier(Config{JWKSURL: srv.URL, Issuer: "https://clerk.example.com", Now: func() time.Time { return now }, TokenCacheSize: 10})
	require.NoError(t, err)
	for i := range 50 {
		tok := fuzzSign(`{"alg":"RS256","kid":"ins_1"}`, `{"sub":"user_1","sid":"sess_`+string(rune('a'+i%26))+string(rune('a'+i/26))+`","iss":"https://clerk.example.com","exp":1732629626}`)
		_, err := v.Verify(context.Background(), tok)
		require.NoError(t, err)
		assert.LessOrEqual(t, v.tokens.len(), 10)
	}
	assert.Positive(t, v.tokens.len())
}
