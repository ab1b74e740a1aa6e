// Request bodies: strict JSON decoding and the validation of parameters
// that several endpoints share.

package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/clerkkit/clerkkit/metadata"
)

const maxBody = 1 << 20

// decodeBody decodes the JSON object of r's body into v (a pointer to a
// struct). An empty body or null leaves v as it is. Members that v has no
// field for are rejected, as Clerk rejects unknown parameters, except those
// named in ignored, which the spec allows but the Server does not use.
func decodeBody(r *http.Request, v any, ignored ...string) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errBadJSON("The request body could not be read.")
	}
	if len(b) > maxBody {
		return errBadJSON("The request body is too large.")
	}
	return decodeObject(b, v, ignored...)
}

// decodeObject is decodeBody for the JSON object b (also an element of a
// JSON array body, see decodeArray).
func decodeObject(b []byte, v any, ignored ...string) *apiError {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return errBadJSON("The request body must be a JSON object: " + err.Error())
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	for k := range members {
		if !known[k] && !slices.Contains(ignored, k) {
			return errUnknownParam(k)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errFormat(te.Field, fmt.Sprintf("%s must be of type %s, not %s.", te.Field, jsonKind(te.Type), te.Value))
		}
		return errBadJSON("The request body is not valid: " + err.Error())
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		if t == reflect.TypeFor[json.RawMessage]() {
			return "object"
		}
		return "array"
	}
	return t.String()
}

func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// nullable is a body member that distinguishes absent, null and a value.
type nullable[T any] struct {
	set  bool // present in the body
	null bool // present as null
	v    T
}

// UnmarshalJSON records that the member is present, and whether as null.
func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if string(b) == "null" {
		n.null = true
		return nil
	}
	return json.Unmarshal(b, &n.v)
}

// metadataParam validates a metadata member: absent or null gives nil
// (no change); otherwise it must be a JSON object, returned normalized.
func metadataParam(name string, raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, errFormat(name, name+" must be a JSON object.")
	}
	n, err := metadata.Normalize(t)
	if err != nil {
		return nil, errFormat(name, name+" must be a JSON object: "+err.Error())
	}
	return n, nil
}

// replaceParam is metadataParam for PUT …/metadata, whose members replace
// the stored metadata cur.
func replaceParam(name string, _, raw json.RawMessage) (json.RawMessage, *apiError) {
	return metadataParam(name, raw)
}

// metadataParams validates the public_metadata and private_metadata
// members of a body with metadataParam.
func metadataParams(pubRaw, privRaw json.RawMessage) (pub, priv json.RawMessage, e *apiError) {
	if pub, e = metadataParam("public_metadata", pubRaw); e != nil {
		return nil, nil, e
	}
	if priv, e = metadataParam("private_metadata", privRaw); e != nil {
		return nil, nil, e
	}
	return pub, priv, nil
}

// mergeParam merges the patch raw (a metadata member of a PATCH
// …/metadata body) into cur; absent or null leaves cur as it is.
func mergeParam(name string, cur, raw json.RawMessage) (json.RawMessage, *apiError) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return cur, nil
	}
	if t[0] != '{' {
		return nil, errFormat(name, name+" must be a JSON object.")
	}
	out, err := metadata.Merge(cur, t)
	if err != nil {
		return nil, errFormat(name, name+": "+err.Error())
	}
	return out, nil
}

var emptyObject = json.RawMessage("{}")

func orEmpty(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return emptyObject
	}
	return raw
}

func parseRFC3339(name string, v *string) (time.Time, *apiError) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, errFormat(name, name+" must be an RFC3339 date-time, e.g. 2012-10-20T07:15:20.902Z.")
	}
	return t, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
