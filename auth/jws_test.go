package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNumericDate(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1732629566": 1732629566, "1732629566.75": 1732629566} {
		var n numericDate
		assert.NoError(t, n.UnmarshalJSON([]byte(in)), in)
		assert.Equal(t, want, n.sec)
		assert.True(t, n.set)
	}
	for _, in := range []string{`"1732629566"`, "-1", "1e9", "null", "253402300800", "99999999999999999999999", "1.", "1.5x", "true", ""} {
		var n numericDate
		assert.Error(t, n.UnmarshalJSON([]byte(in)), in)
	}
}

func TestParseCompactRejects(t *testing.T) {
	h := b64e(`{"alg":"RS256","kid":"k","typ":"JWT"}`)
	p := b64e(`{"sub":"user_1"}`)
	cases := map[string]struct {
		tok  string
		want *Error
	}{
		"two segments":      {h + "." + p, ErrMalformed},
		"four segments":     {h + "." + p + ".c2ln.c2ln", ErrMalformed},
		"empty signature":   {h + "." + p + ".", ErrMalformed},
		"padded base64":     {h + "=." + p + ".c2ln", ErrMalformed},
		"newline in token":  {h + "\n." + p + ".c2ln", ErrMalformed},
		"std base64 chars":  {h + "." + p + ".c2+n", ErrMalformed},
		"json serialized":   {`{"payload":"` + p + `"}`, ErrMalformed},
		"header not json":   {b64e("nope") + "." + p + ".c2ln", ErrMalformed},
		"alg none":          {b64e(`{"alg":"none"}`) + "." + p + ".c2ln", ErrAlgorithm},
		"alg HS256":         {b64e(`{"alg":"HS256","kid":"k"}`) + "." + p + ".c2ln", ErrAlgorithm},
		"alg ES256":         {b64e(`{"alg":"ES256","kid":"k"}`) + "." + p + ".c2ln", ErrAlgorithm},
		"alg lowercase":     {b64e(`{"alg":"rs256","kid":"k"}`) + "." + p + ".c2ln", ErrAlgorithm},
		"typ at+jwt":        {b64e(`{"alg":"RS256","typ":"at+jwt"}`) + "." + p + ".c2ln", ErrTokenType},
		"crit":              {b64e(`{"alg":"RS256","crit":["exp"],"exp":1}`) + "." + p + ".c2ln", ErrMalformed},
		"b64 false":         {b64e(`{"alg":"RS256","b64":false}`) + "." + p + ".c2ln", ErrMalformed},
		"duplicate alg":     {b64e(`{"alg":"HS256","alg":"RS256"}`) + "." + p + ".c2ln", ErrMalformed},
		"template cat":      {b64e(`{"alg":"RS256","cat":"cl_B7d4PD222AAA"}`) + "." + p + ".c2ln", ErrTokenType},
		"machine cat":       {b64e(`{"alg":"RS256","cat":"cl_B7d4PD333AAA"}`) + "." + p + ".c2ln", ErrTokenType},
		"unknown cat":       {b64e(`{"alg":"RS256","cat":"cl_other"}`) + "." + p + ".c2ln", ErrTokenType},
		"payload not b64":   {h + ".!!!.c2ln", ErrMalformed},
		"alg not a string":  {b64e(`{"alg":256}`) + "." + p + ".c2ln", ErrMalformed},
		"non-canonical b64": {h + "." + p + ".c2l", ErrMalformed},
	}
	for name, tc := range cases {
		_, err := parseCompact(tc.tok)
		assert.ErrorIs(t, err, tc.want, name)
	}
}
