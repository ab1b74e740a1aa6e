package emulatorspec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/clerkkit/clerkkit/clerktest/emulator"
)

// webhookSpecPath is Clerk's webhook spec, beside the Backend API spec.
const webhookSpecPath = specDir + "/webhooks-2025-04-15.yml"

// webhookSpec holds, per event type, the schema of the request body
// (the whole envelope) that the spec's x-webhooks give.
type webhookSpec struct {
	bodies map[string]*openapi3.Schema
}

// webhookSpecFixes are the schemas of the spec that contradict the spec's
// own examples, and what loadWebhookSpec does about them. In both, an
// allOf joins a schema with additionalProperties: false to a schema that
// adds properties, so no object can match (each allOf branch is checked
// on its own); Clerk sends, and its examples show, the added properties.
// TestWebhookSpecFixes checks that each one is still needed and right.
var webhookSpecFixes = map[string]struct {
	schema string   // the component fixed
	types  []string // the event types whose examples break without the fix
}{
	// SessionEventPayload = allOf(Session, {user}): the session's
	// properties plus user.
	"session": {"SessionEventPayload", []string{"session.created", "session.ended", "session.removed", "session.revoked"}},
	// OrganizationInvitationAcceptedPayload = allOf(OrganizationInvitation,
	// {user_id, data}), both required: the invitation's properties plus
	// user_id. The required "data" (data.data.public_organization_data)
	// is dropped too: the spec's example has none, and Clerk sends none.
	"invitation accepted": {"OrganizationInvitationAcceptedPayload", []string{"organizationInvitation.accepted"}},
}

// parseFixedWebhookSpec parses webhookSpecPath with webhookSpecFixes
// applied, once, for every test.
var parseFixedWebhookSpec = sync.OnceValues(func() (*webhookSpec, error) { return parseWebhookSpec(webhookSpecPath, true) })

// loadWebhookSpec returns the webhook spec with webhookSpecFixes applied;
// see specAbsent.
func loadWebhookSpec(t testing.TB) *webhookSpec {
	t.Helper()
	s, err := parseFixedWebhookSpec()
	if errors.Is(err, fs.ErrNotExist) {
		specAbsent(t, webhookSpecPath)
	}
	if err != nil {
		t.Fatalf("load %s: %v", webhookSpecPath, err)
	}
	return s
}

// parseWebhookSpec loads the spec. kin-openapi reads OpenAPI 3.0, which
// has no webhooks, so each x-webhooks entry becomes the path "/<type>" of
// the document loaded; the $refs into components resolve as usual.
func parseWebhookSpec(path string, fix bool) (*webhookSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hooks, _ := doc["x-webhooks"].(map[string]any)
	if len(hooks) == 0 {
		return nil, fmt.Errorf("%s has no x-webhooks", path)
	}
	paths := map[string]any{}
	for typ, item := range hooks {
		paths["/"+typ] = item
	}
	delete(doc, "x-webhooks")
	doc["paths"] = paths
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	t, err := openapi3.NewLoader().LoadFromData(j)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fix {
		for _, f := range webhookSpecFixes {
			if err := mergeAllOf(t, f.schema); err != nil {
				return nil, err
			}
		}
	}
	s := &webhookSpec{bodies: map[string]*openapi3.Schema{}}
	for typ := range hooks {
		op := t.Paths.Value("/" + typ).Post
		if op == nil || op.RequestBody == nil || op.RequestBody.Value.Content["application/json"] == nil {
			return nil, fmt.Errorf("%s: webhook %s has no application/json request body", path, typ)
		}
		s.bodies[typ] = op.RequestBody.Value.Content["application/json"].Schema.Value
	}
	return s, nil
}

// mergeAllOf turns the component name, allOf(base, extra), into base's
// schema with extra's properties and required ones (but "data") added,
// in place, so that every reference to it sees the change.
func mergeAllOf(doc *openapi3.T, name string) error {
	ref := doc.Components.Schemas[name]
	if ref == nil || len(ref.Value.AllOf) != 2 {
		return fmt.Errorf("webhook spec: %s is no longer allOf(base, extra): revisit webhookSpecFixes", name)
	}
	base, extra := ref.Value.AllOf[0].Value, ref.Value.AllOf[1].Value
	if base.AdditionalProperties.Has == nil || *base.AdditionalProperties.Has {
		return fmt.Errorf("webhook spec: the base of %s allows additional properties now: revisit webhookSpecFixes", name)
	}
	merged := *base
	merged.Properties = maps.Clone(base.Properties)
	merged.Required = slices.Clone(base.Required)
	for k, v := range extra.Properties {
		if k != "data" {
			merged.Properties[k] = v
		}
	}
	for _, k := range extra.Required {
		if k != "data" && !slices.Contains(merged.Required, k) {
			merged.Required = append(merged.Required, k)
		}
	}
	*ref.Value = merged
	return nil
}

// validate checks a webhook body against the schema of its type.
func (s *webhookSpec) validate(typ string, body []byte) error {
	schema := s.bodies[typ]
	if schema == nil {
		return fmt.Errorf("the webhook spec has no event type %q", typ)
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return schema.VisitJSON(v, openapi3.MultiErrors())
}

// TestWebhookSpecFixes checks webhookSpecFixes: each spec example it
// names fails its unfixed schema and passes the fixed one, and the fixes
// break no other example.
func TestWebhookSpecFixes(t *testing.T) {
	t.Parallel()
	fixed := loadWebhookSpec(t)
	unfixed, err := parseWebhookSpec(webhookSpecPath, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range webhookSpecFixes {
		for _, typ := range f.types {
			ex := completeExample(t, typ)
			if err := unfixed.validate(typ, ex); err == nil {
				t.Errorf("fix %q: the spec's %s example passes the unfixed schema: the fix is no longer needed", name, typ)
			}
			if err := fixed.validate(typ, ex); err != nil {
				t.Errorf("fix %q: the spec's %s example fails the fixed schema: %.300v", name, typ, err)
			}
		}
	}
	for typ := range fixed.bodies {
		ex := completeExample(t, typ)
		if (unfixed.validate(typ, ex) == nil) && fixed.validate(typ, ex) != nil {
			t.Errorf("the fixes break the spec's %s example", typ)
		}
	}
	// The invitation examples, completed, pass: the emulator's
	// invitations carry inviter_id and public_inviter_data.
	for _, typ := range []string{"organizationInvitation.created", "organizationInvitation.revoked"} {
		if err := fixed.validate(typ, completeExample(t, typ)); err != nil {
			t.Errorf("the completed %s example fails: %.300v", typ, err)
		}
	}
	// The validator bites: a user.created without data.id, and with an
	// unknown data member, fail.
	ex, _ := emulator.WebhookExample("user.created")
	var m map[string]any
	if err := json.Unmarshal(ex, &m); err != nil {
		t.Fatal(err)
	}
	data := m["data"].(map[string]any)
	data["extra"] = 1
	bad, _ := json.Marshal(m)
	if fixed.validate("user.created", bad) == nil {
		t.Error("user.created with an unknown data member passed")
	}
	delete(data, "extra")
	delete(m, "instance_id")
	bad, _ = json.Marshal(m)
	if fixed.validate("user.created", bad) == nil {
		t.Error("an envelope without instance_id passed")
	}
}

// completeExample returns the spec's example for typ. The invitation
// examples lack inviter_id and public_inviter_data, which their schema
// requires (both nullable): completeExample adds them as null, so that
// only the schema's own contradictions remain.
func completeExample(t *testing.T, typ string) []byte {
	t.Helper()
	ex, ok := emulator.WebhookExample(typ)
	if !ok {
		t.Fatalf("no example for %s", typ)
	}
	if !strings.HasPrefix(typ, "organizationInvitation.") {
		return ex
	}
	var m map[string]any
	if err := json.Unmarshal(ex, &m); err != nil {
		t.Fatal(err)
	}
	data := m["data"].(map[string]any)
	for _, k := range []string{"inviter_id", "public_inviter_data"} {
		if _, ok := data[k]; !ok {
			data[k] = nil
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
