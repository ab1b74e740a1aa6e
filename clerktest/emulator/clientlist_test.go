package emulator_test

import "testing"

// TestClientListPaginated: GET /v1/clients?paginated=true, as
// @clerk/backend's clients.getClientList sends it, answers {data,
// total_count} (conformance/devprobe's TestClerkJSScenario decodes it);
// without paginated=true the spec's bare array.
func TestClientListPaginated(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	uid := a.createUser("clientlist@example.com", "C")["id"].(string)
	var ids []any
	for range 3 {
		ids = append([]any{a.ok("POST", "/v1/sessions", map[string]any{"user_id": uid})["client_id"]}, ids...) // newest first
	}
	l := a.ok("GET", "/v1/clients?paginated=true&limit=2", nil)
	data, _ := l["data"].([]any)
	if l["total_count"] != 3.0 || len(data) != 2 || data[0].(map[string]any)["id"] != ids[0] || data[1].(map[string]any)["id"] != ids[1] {
		t.Fatalf("paginated: %v, want the newest 2 of %v and total_count 3", l, ids)
	}
	if bare := a.list("/v1/clients?paginated=false"); len(bare) != 3 || bare[2]["id"] != ids[2] {
		t.Fatalf("paginated=false: %v", bare)
	}
	a.fail("GET", "/v1/clients?paginated=maybe", nil, 422, "form_param_format_invalid")
}
