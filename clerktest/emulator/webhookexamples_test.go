package emulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateExamples = flag.Bool("update", false, "rewrite webhook_examples.json from the webhooks package's spec corpus")

// specCorpus is the webhooks package's seed corpus: one file per event type,
// each holding that type's spec example (kept in sync with the spec there).
const specCorpus = "../../webhooks/testdata/fuzz/FuzzVerifyAndDecode"

func TestWebhookExamplesInSync(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(specCorpus, "spec-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec corpus in %s: %v", specCorpus, err)
	}
	want := map[string]json.RawMessage{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a go test fuzz v1 []byte entry", f)
		}
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		typ := strings.TrimPrefix(filepath.Base(f), "spec-")
		var env struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.Type != typ {
			t.Fatalf("%s: type %q, err %v", f, env.Type, err)
		}
		want[typ] = json.RawMessage(body)
	}
	if len(want) != 46 {
		t.Fatalf("%d event types in the corpus, want 46 (45 in the spec + subscriptionItem.created)", len(want))
	}
	gen, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	gen = append(gen, '\n')
	if *updateExamples {
		if err := os.WriteFile("webhook_examples.json", gen, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(gen, webhookExamplesJSON) {
		t.Fatal("webhook_examples.json is out of date: go test ./clerktest -run TestWebhookExamplesInSync -update")
	}
	for typ, body := range want {
		got, ok := WebhookExample(typ)
		if !ok || !json.Valid(got) {
			t.Fatalf("WebhookExample(%q) = %v", typ, ok)
		}
		var a, b any
		json.Unmarshal(got, &a)
		json.Unmarshal(body, &b)
		if !jsonEqual(a, b) {
			t.Fatalf("WebhookExample(%q) differs from the corpus", typ)
		}
	}
	if _, ok := WebhookExample("no.such"); ok {
		t.Fatal("unknown type found")
	}
	if n := len(WebhookExampleTypes()); n != 46 {
		t.Fatalf("WebhookExampleTypes: %d", n)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
