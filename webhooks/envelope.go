package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/internal/strictjson"
)

// envelope is the wire form of an event. Data points at the value the
// "data" member decodes into: a *json.RawMessage, or directly the typed
// payload when the event type is known up front.
type envelope struct {
	Type       string          `json:"type"`
	Object     string          `json:"object"`
	Timestamp  int64           `json:"timestamp"`
	InstanceID string          `json:"instance_id"`
	Attributes EventAttributes `json:"event_attributes"`
	Data       any             `json:"data"`
}

// maxPayloadDepth bounds the nesting of a webhook body, generously: Clerk's
// own objects nest a few levels, metadata as deep as an application makes
// it.
const maxPayloadDepth = 512

// newPayload returns a pointer to a new value of the type the payload kind
// decodes into (see nilPayload), or nil for kindUnknown.
func newPayload(k payloadKind) any {
	switch k {
	case kindDeleted:
		return new(DeletedObject)
	case kindEmail:
		return new(Email)
	case kindOrganization:
		return new(clerk.Organization)
	case kindOrganizationDomain:
		return new(OrganizationDomain)
	case kindOrganizationInvitation:
		return new(OrganizationInvitation)
	case kindMembership:
		return new(clerk.OrganizationMembership)
	case kindPaymentAttempt:
		return new(PaymentAttempt)
	case kindPermission:
		return new(Permission)
	case kindRole:
		return new(Role)
	case kindSession:
		return new(Session)
	case kindSMS:
		return new(SMSMessage)
	case kindSubscription:
		return new(Subscription)
	case kindSubscriptionItem:
		return new(SubscriptionItem)
	case kindUser:
		return new(clerk.User)
	case kindWaitlistEntry:
		return new(WaitlistEntry)
	}
	return nil
}

// decodeEnvelope fills ev from body. When a quick scan finds the event type
// unambiguously and the type is known, the envelope and the typed data are
// decoded in a single json.Unmarshal pass and the typed value is cached for
// Payload. Otherwise, or when that pass fails, the envelope is decoded
// with raw data and typed decoding waits for the first Payload call.
//
// Before any decoding the body must be one valid JSON object in which no
// object repeats a member name, exactly or ignoring case: encoding/json
// would keep the last of two "id" members, and match "ID" or "Id" to the
// id field, so one signed payload could be read two ways.
func decodeEnvelope(ev *Event, body []byte) error {
	if err := strictjson.Check(body, maxPayloadDepth); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedPayload, err)
	}
	if typ, data, ok := scanEnvelope(body); ok {
		if typed := newPayload(kindOf(typ)); typed != nil {
			env := envelope{Data: typed}
			if json.Unmarshal(body, &env) == nil && env.Type == typ {
				ev.setEnvelope(&env, bytes.Clone(data))
				ev.once.Do(func() { ev.decoded = typed })
				return ev.checkEnvelope()
			}
		}
	}
	var raw json.RawMessage
	env := envelope{Data: &raw}
	if err := json.Unmarshal(body, &env); err != nil {
		return malformed("envelope", err)
	}
	ev.setEnvelope(&env, raw)
	return ev.checkEnvelope()
}

func (e *Event) setEnvelope(env *envelope, data json.RawMessage) {
	e.Type, e.Object, e.Timestamp, e.InstanceID, e.Attributes = env.Type, env.Object, env.Timestamp, env.InstanceID, env.Attributes
	e.Data = data
}

func (e *Event) checkEnvelope() error {
	switch {
	case e.Type == "":
		return fmt.Errorf("%w: envelope has no type", ErrMalformedPayload)
	case len(e.Data) == 0 || string(e.Data) == "null":
		return fmt.Errorf("%w: envelope has no data", ErrMalformedPayload)
	}
	return nil
}

// scanEnvelope locates the "type" string and the "data" value of a JSON
// object without decoding or validating it (json.Unmarshal validates
// afterwards). It reports ok only when the answer cannot differ from
// encoding/json's: both members present exactly once under their exact
// names, no other member matching them case-insensitively, no escapes in the
// keys or in the type, and a type in valid UTF-8 (encoding/json would replace
// invalid bytes).
func scanEnvelope(b []byte) (typ string, data []byte, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", nil, false
	}
	var haveType, haveData bool
	for i = skipSpace(b, i+1); ; i = skipSpace(b, i+1) {
		if i >= len(b) || b[i] != '"' {
			return "", nil, false
		}
		end := stringEnd(b, i)
		if end < 0 {
			return "", nil, false
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' || bytes.IndexByte(key, '\\') >= 0 {
			return "", nil, false
		}
		i = skipSpace(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return "", nil, false
		}
		val := b[i:vend]
		switch {
		case bytes.EqualFold(key, []byte("data")):
			if haveData || string(key) != "data" {
				return "", nil, false
			}
			data, haveData = val, true
		case bytes.EqualFold(key, []byte("type")):
			if haveType || string(key) != "type" || val[0] != '"' || bytes.IndexByte(val, '\\') >= 0 || !utf8.Valid(val) {
				return "", nil, false
			}
			typ, haveType = string(val[1:len(val)-1]), true
		}
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == '}' {
			return typ, data, haveType && haveData
		}
		if i >= len(b) || b[i] != ',' {
			return "", nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] == '"', or
// -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		backslashes := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1
		}
		j++
	}
}

// valueEnd returns the index after the JSON value starting at b[i], or -1.
// It assumes valid JSON and only tracks strings and nesting.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := stringEnd(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
