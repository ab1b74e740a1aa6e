package webhooks

import (
	"encoding/json"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
)

func TestScanEnvelope(t *testing.T) {
	for _, tc := range []struct {
		body, typ, data string
		ok              bool
	}{
		{`{"type":"user.created","data":{"id":"u"}}`, "user.created", `{"id":"u"}`, true},
		{" {\n\t\"data\" : [1, {\"type\":\"x\"}] ,\r\"type\" : \"a.b\" } ", "a.b", `[1, {"type":"x"}]`, true},
		{`{"data":{"s":"q\"}{\\","n":[{}]},"type":"t","x":-1.5e3,"y":null,"z":true}`, "t", `{"s":"q\"}{\\","n":[{}]}`, true},
		{`{"data":"str\\","type":"t"}`, "t", `"str\\"`, true},
		{`{"data":1,"type":"t"}`, "t", `1`, true},
		// Ambiguous for a quick scan: encoding/json decides.
		{`{"type":"t","Data":{}}`, "", "", false},
		{`{"type":"t","data":{},"data":{}}`, "", "", false},
		{`{"TYPE":"t","data":{}}`, "", "", false},
		{`{"type":"t","type":"u","data":{}}`, "", "", false},
		{`{"type":"t\u0031","data":{}}`, "", "", false},
		{`{"d\u0061ta":{},"type":"t"}`, "", "", false},
		{`{"type":1,"data":{}}`, "", "", false},
		{"{\"data\":0,\"type\":\"\xe8\"}", "", "", false}, // found by FuzzVerifyAndDecode
		// Incomplete or not an object.
		{`{"type":"t"}`, "", "", false},
		{`{"data":{}}`, "", "", false},
		{`{}`, "", "", false},
		{`[]`, "", "", false},
		{``, "", "", false},
		{`{"type":"t","data":{"a":"b"}`, "", "", false},
		{`{"type":"t","data":{"a":"b}}`, "", "", false},
		{`{"type":"t" "data":{}}`, "", "", false},
		{`{"type":"t","data":}`, "", "", false},
		{`{"type":"t","data":{}`, "", "", false},
	} {
		typ, data, ok := scanEnvelope([]byte(tc.body))
		if ok != tc.ok || (ok && (typ != tc.typ || string(data) != tc.data)) {
			t.Errorf("scanEnvelope(%s) = %q, %s, %v; want %q, %s, %v", tc.body, typ, data, ok, tc.typ, tc.data, tc.ok)
		}
		if ok {
			assertSameAsEncodingJSON(t, []byte(tc.body), typ, data)
		}
	}
}

// assertSameAsEncodingJSON checks a scan result against encoding/json's view
// of the same (valid) body.
func assertSameAsEncodingJSON(t testing.TB, body []byte, typ string, data []byte) {
	t.Helper()
	var want struct {
		Type string
		Data json.RawMessage
	}
	if json.Unmarshal(body, &want) != nil {
		return // invalid JSON: the decoder rejects it after the scan
	}
	if want.Type != typ || string(want.Data) != string(data) {
		t.Fatalf("scan of %q: type %q data %s; encoding/json: type %q data %s", body, typ, data, want.Type, want.Data)
	}
}

func TestEnvelopeFallbackWhenTypedDecodeFails(t *testing.T) {
	v, _ := NewVerifier(Config{SigningSecret: testSecret, Now: fixedNow})
	// A known type whose data does not fit the typed value: Verify still
	// succeeds (raw data stays available), Payload reports it.
	body := []byte(`{"type":"user.created","object":"event","data":{"id":"user_1","banned":"yes"}}`)
	ev, err := v.Verify(signedHeader(t, testSecret, "msg_f", testNow, body), body)
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Data) != `{"id":"user_1","banned":"yes"}` || ev.Object != "event" {
		t.Fatalf("%+v", ev)
	}
	if _, err := Payload[*clerk.User](ev); err == nil {
		t.Fatal("User() accepted a string for a bool")
	}
	// An ambiguous envelope takes the plain path and still decodes.
	body = []byte(`{"type":"user.created","Data":{"id":"user_2"}}`)
	ev, err = v.Verify(signedHeader(t, testSecret, "msg_g", testNow, body), body)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := Payload[*clerk.User](ev); err != nil || u.ID != "user_2" {
		t.Fatalf("%v %v", u, err)
	}
}
