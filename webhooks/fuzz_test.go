package webhooks

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateCorpus = flag.Bool("update", false, "rewrite the FuzzVerifyAndDecode seed corpus from the spec")

const corpusDir = "testdata/fuzz/FuzzVerifyAndDecode"

// corpusFile renders one []byte input in the "go test fuzz v1" format.
func corpusFile(body []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", body)
}

// TestFuzzCorpusMatchesSpec checks that the committed seed corpus holds
// exactly the spec examples (go generate rewrites it with -update).
func TestFuzzCorpusMatchesSpec(t *testing.T) {
	examples := loadSpecExamples(t)
	if *updateCorpus {
		must(t, os.MkdirAll(corpusDir, 0o755))
		for _, ex := range examples {
			must(t, os.WriteFile(filepath.Join(corpusDir, "spec-"+ex.Type), corpusFile(ex.Body), 0o644))
		}
	}
	for _, ex := range examples {
		got, err := os.ReadFile(filepath.Join(corpusDir, "spec-"+ex.Type))
		if err != nil {
			t.Fatalf("%v (run go generate ./webhooks)", err)
		}
		if string(got) != string(corpusFile(ex.Body)) {
			t.Errorf("seed corpus for %s differs from the spec (run go generate ./webhooks)", ex.Type)
		}
	}
}

// FuzzVerifyAndDecode signs arbitrary bodies correctly, so that inputs reach
// envelope and typed decoding: nothing may panic, a rejected body must be a
// malformed payload, and for a known type exactly the Payload of its type
// succeeds or reports malformed data.
func FuzzVerifyAndDecode(f *testing.F) {
	v, err := NewVerifier(Config{SigningSecret: testSecret, Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		hdr := signedHeader(t, testSecret, "msg_fuzz", testNow, body)
		ev, err := v.Verify(hdr, body)
		if err != nil {
			if !errors.Is(err, ErrMalformedPayload) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("correctly signed body rejected with %v", err)
			}
			return
		}
		if ev.Type == "" || len(ev.Data) == 0 || ev.ID != "msg_fuzz" {
			t.Fatalf("accepted event without type, data or id: %+v", ev)
		}
		assertSameAsEncodingJSON(t, body, ev.Type, ev.Data)
		if typ, data, ok := scanEnvelope(body); ok {
			assertSameAsEncodingJSON(t, body, typ, data)
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[len(tampered)/2] ^= 1
			if _, err := v.Verify(hdr, tampered); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("tampered body: %v", err)
			}
		}
		_ = ev.Time()
		_, _ = ev.UpdatedAt()
		kind := kindOf(ev.Type)
		for k, get := range accessors {
			val, err := get(ev)
			switch {
			case kind == kindUnknown:
				if err != nil && !errors.Is(err, ErrMalformedPayload) {
					t.Fatalf("Payload for %q of unknown type %q: %v", k, ev.Type, err)
				}
			case k != kind:
				if !errors.Is(err, ErrWrongType) {
					t.Fatalf("accessor %q on %q: %v", k, ev.Type, err)
				}
			case err != nil:
				if !errors.Is(err, ErrMalformedPayload) {
					t.Fatalf("accessor %q: %v", k, err)
				}
			case val == nil:
				t.Fatalf("accessor %q returned nil without error", k)
			}
		}
	})
}
