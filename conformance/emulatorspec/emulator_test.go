package emulatorspec_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// envSpecRecord names the variable that makes clerktest/emulator's tests
// record what their Servers send (see record_test.go there).
const envSpecRecord = "CLERKKIT_SPEC_RECORD"

// emulatorPackage is the package whose tests are recorded, from repoRoot.
const emulatorPackage = "./clerktest/emulator/"

// The least a full run of the emulator's tests records: fewer means the
// recording broke, or the tests lost coverage (a run records about 1 240
// responses and 60 deliveries).
const (
	minResponses = 1000
	minPayloads  = 40
)

// specRecord is one line of the record, as clerktest/emulator's tests
// write it.
type specRecord struct {
	Kind string `json:"kind"` // "response" or "webhook"
	Test string `json:"test"`

	Method string      `json:"method"`
	Target string      `json:"target"` // path and query
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`

	MessageID string `json:"message_id"`
	EventType string `json:"event_type"`
	Endpoint  string `json:"endpoint"`
	Payload   []byte `json:"payload"`
}

// TestEmulatorConformsToSpec runs clerktest/emulator's tests, recording
// every response of their Servers and every webhook delivery, and
// validates each response against the Backend API spec and each payload
// against the webhook spec. It fails on any mismatch, naming the test and
// the request, and when the run recorded fewer than minResponses
// responses or minPayloads payloads; it logs the counts per route and per
// event type.
func TestEmulatorConformsToSpec(t *testing.T) {
	api := backendSpec(t)
	hooks := loadWebhookSpec(t)
	records := recordEmulatorTests(t)

	byRoute, byType := map[string]int{}, map[string]int{}
	responses, payloads, failures := 0, 0, 0
	fail := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= 50 {
			t.Errorf(format, args...)
		}
	}
	for _, rec := range records {
		switch rec.Kind {
		case "response":
			r, err := http.NewRequest(rec.Method, "http://127.0.0.1"+rec.Target, nil)
			if err != nil {
				fail("%s: recorded request %s %s: %v", rec.Test, rec.Method, rec.Target, err)
				continue
			}
			bucket, err := api.validate(r, rec.Status, rec.Header, rec.Body)
			if err != nil {
				fail("%s: %s %s → %d breaks the Backend API spec: %v\nbody: %.600s", rec.Test, rec.Method, rec.Target, rec.Status, err, rec.Body)
				continue
			}
			byRoute[bucket]++
			responses++
		case "webhook":
			if err := hooks.validate(rec.EventType, rec.Payload); err != nil {
				fail("%s: webhook %s %s to %s breaks the webhook spec: %.1500v\npayload: %s", rec.Test, rec.MessageID, rec.EventType, rec.Endpoint, err, rec.Payload)
				continue
			}
			byType[rec.EventType]++
			payloads++
		default:
			fail("%s: a record of unknown kind %q", rec.Test, rec.Kind)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byRoute)) {
		t.Logf("spec-validated %5d × %s", byRoute[k], k)
	}
	for _, k := range slices.Sorted(maps.Keys(byType)) {
		t.Logf("spec-validated %5d × webhook %s", byType[k], k)
	}
	t.Logf("%d responses validated against %s, %d webhook payloads against %s, %d failures",
		responses, backendSpecPath, payloads, webhookSpecPath, failures)
	if failures > 50 {
		t.Errorf("… and %d more failures", failures-50)
	}
	if failures == 0 && responses < minResponses {
		t.Errorf("only %d responses validated, want at least %d: is the recording broken, or did the emulator's tests lose coverage?", responses, minResponses)
	}
	if failures == 0 && payloads < minPayloads {
		t.Errorf("only %d webhook payloads validated, want at least %d", payloads, minPayloads)
	}
}

// recordEmulatorTests runs the emulator's tests from the repository's
// root with CLERKKIT_SPEC_RECORD set, and returns what they recorded.
// When those tests fail, t fails too, but what they recorded is still
// validated: a change that breaks both shows how it breaks the spec.
func recordEmulatorTests(t *testing.T) []specRecord {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.jsonl")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", emulatorPackage)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), envSpecRecord+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("go test -count=1 %s (in %s): %v\n%.4000s", emulatorPackage, repoRoot, err, out)
	}
	records, err := readRecords(path)
	if err != nil {
		t.Fatalf("%s: %v\ngo test output:\n%s", envSpecRecord, err, out)
	}
	return records
}

// readRecords decodes the record file, one specRecord per line.
func readRecords(path string) ([]specRecord, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var records []specRecord
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, len(raw)+1)
	for n := 1; sc.Scan(); n++ {
		var rec specRecord
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.DisallowUnknownFields()
		if err := d.Decode(&rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		records = append(records, rec)
	}
	return records, sc.Err()
}

// TestReadRecords: a record line decodes with its bytes intact, and a
// line that is not a record — garbage, or a field the emulator's tests do
// not write (a change of format on one side only) — fails the read.
func TestReadRecords(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, content string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "records.jsonl")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	body := []byte(`{"id":"user_1"}`)
	line, err := json.Marshal(map[string]any{"kind": "response", "test": "TestX", "method": "GET", "target": "/v1/users/user_1?x=1",
		"status": 200, "header": http.Header{"Content-Type": {"application/json"}}, "body": body})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(write(t, string(line)+"\n"+`{"kind":"webhook","test":"TestY","event_type":"user.created","payload":"e30="}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Test != "TestX" || recs[0].Target != "/v1/users/user_1?x=1" || recs[0].Status != 200 ||
		recs[0].Header.Get("Content-Type") != "application/json" || !bytes.Equal(recs[0].Body, body) ||
		recs[1].Kind != "webhook" || recs[1].EventType != "user.created" || string(recs[1].Payload) != "{}" {
		t.Fatalf("records: %+v", recs)
	}
	for name, content := range map[string]string{
		"garbage":       "not json\n",
		"unknown field": `{"kind":"response","request_body":"e30="}` + "\n",
		"truncated":     string(line[:len(line)/2]) + "\n",
	} {
		if _, err := readRecords(write(t, content)); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	if _, err := readRecords(filepath.Join(t.TempDir(), "absent.jsonl")); err == nil {
		t.Error("an absent record file read without error")
	}
}
