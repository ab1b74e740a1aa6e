package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// pngHeader is the start of a PNG file, enough for content sniffing.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")

// putLogo sends PUT …/logo with file (when non-nil) and the form fields.
func (a *api) putLogo(orgID string, file []byte, fields map[string]string) (int, map[string]any, []byte) {
	a.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", "logo.png")
		fw.Write(file)
	}
	w.Close()
	req, _ := http.NewRequest("PUT", a.srv.URL()+"/v1/organizations/"+orgID+"/logo", &body)
	req.Header.Set("Authorization", "Bearer "+a.srv.SecretKey())
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := a.srv.HTTPClient().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(out, &m)
	return resp.StatusCode, m, out
}

func TestOrgLogo(t *testing.T) {
	t.Parallel()
	a := newHookAPI(t)
	u := a.createUser("logo@example.com", "L")["id"].(string)
	org := a.ok("POST", "/v1/organizations", map[string]any{"name": "Logo", "created_by": u})
	oid := org["id"].(string)
	if org["has_image"] != false {
		t.Fatalf("new organization: %v", org)
	}
	a.fail("DELETE", "/v1/organizations/"+oid+"/logo", nil, 404, "resource_not_found")
	status, got, out := a.putLogo(oid, pngHeader, map[string]string{"uploader_user_id": u})
	if status != 200 || got["has_image"] != true || !strings.HasPrefix(got["image_url"].(string), "https://img.clerk.com/") ||
		got["image_url"] == org["image_url"] {
		t.Fatalf("upload: %d %s", status, out)
	}
	if g := a.ok("GET", "/v1/organizations/"+oid, nil); g["image_url"] != got["image_url"] || g["has_image"] != true {
		t.Errorf("after upload: %v", g)
	}
	for _, c := range []struct {
		org    string
		file   []byte
		fields map[string]string
		status int
		code   string
	}{
		{oid, []byte("just text, no image"), nil, 400, "form_param_format_invalid"},
		{oid, nil, nil, 422, "form_param_missing"},
		{oid, pngHeader, map[string]string{"uploader_user_id": "user_nope"}, 422, "form_param_value_invalid"},
		{"org_nope", pngHeader, nil, 404, "resource_not_found"},
		{oid, append(bytes.Clone(pngHeader), make([]byte, 11<<20)...), nil, 413, "request_body_too_large"},
	} {
		status, _, out := a.putLogo(c.org, c.file, c.fields)
		checkAPIError(t, "PUT logo", status, out, c.status, c.code)
	}
	status, out = a.do("PUT", "/v1/organizations/"+oid+"/logo", map[string]any{"file": "x"})
	checkAPIError(t, "PUT logo as JSON", status, out, 400, "malformed_request")
	d := a.ok("DELETE", "/v1/organizations/"+oid+"/logo", nil)
	if d["has_image"] != false || d["image_url"] != org["image_url"] {
		t.Errorf("deleted logo: %v", d)
	}
	status, out = a.doAuth("DELETE", "/v1/organizations/"+oid+"/logo", nil, "")
	checkAPIError(t, "DELETE logo", status, out, 401, "authentication_invalid")
	if ev := events(t, a); len(ev["organization.updated"]) != 2 {
		t.Errorf("%d organization.updated events, want 2", len(ev["organization.updated"]))
	}
}

// exerciseOrgLogoRoutes uploads and deletes a logo (see
// TestEveryRouteIsExercised).
func exerciseOrgLogoRoutes(t *testing.T, a *api) {
	t.Helper()
	oid := a.ok("POST", "/v1/organizations", map[string]any{"name": "Logos"})["id"].(string)
	if status, _, out := a.putLogo(oid, pngHeader, nil); status != 200 {
		t.Errorf("upload: %d %s", status, out)
	}
	a.ok("DELETE", "/v1/organizations/"+oid+"/logo", nil)
}
