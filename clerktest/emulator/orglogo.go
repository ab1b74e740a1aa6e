// Organization logos: PUT and DELETE /v1/organizations/{organization_id}/logo.

package emulator

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
)

// maxLogoBytes is the largest logo the Server accepts (Clerk: 10 MB).
const maxLogoBytes = 10 << 20

// logoTypes are the image types a logo may have, as sniffed from its bytes.
var logoTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

func (s *Server) registerOrgLogoRoutes() {
	s.route("PUT /v1/organizations/{organization_id}/logo", s.uploadOrgLogo)
	s.handle("DELETE /v1/organizations/{organization_id}/logo", s.deleteOrgLogo)
}

func errLogo(long string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "form_param_format_invalid", msg: "is invalid", long: long, param: "file"}
}

// uploadOrgLogo is PUT …/logo: a multipart/form-data body with the image
// in file (PNG, JPEG, GIF or WebP, at most 10 MB: 413 beyond) and an
// optional uploader_user_id, which must be a user's. The Server keeps no
// image: the organization gets an image_url of its own and has_image.
func (s *Server) uploadOrgLogo(r *http.Request) (any, *apiError) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxLogoBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "request_body_too_large",
				msg: "Request body too large", long: "The logo must be at most 10 MB."}
		}
		return nil, errBadJSON("The request body must be multipart/form-data with the image in file.")
	}
	defer r.MultipartForm.RemoveAll()
	f, fh, err := r.FormFile("file")
	if err != nil {
		return nil, errMissing("file")
	}
	defer f.Close()
	if fh.Size > maxLogoBytes {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "request_body_too_large",
			msg: "Request body too large", long: "The logo must be at most 10 MB."}
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	typ, _, _ := strings.Cut(http.DetectContentType(head[:n]), ";")
	if n == 0 || !slices.Contains(logoTypes, typ) {
		return nil, errLogo("file must be a PNG, JPEG, GIF or WebP image.")
	}
	uploader := r.FormValue("uploader_user_id")
	s.mu.Lock()
	defer s.unlock(r)
	st, now := s.st, s.clock.Now()
	o, e := st.org(r.PathValue("organization_id"), false)
	if e != nil {
		return nil, e
	}
	if uploader != "" && st.users[uploader] == nil {
		return nil, errValue("uploader_user_id", "uploader_user_id must be the id of an existing user.")
	}
	o.logoURL, o.updatedAt = "https://img.clerk.com/uploaded/img_"+randomString(27), now
	st.emitOrg("organization.updated", o, now)
	return st.orgJSON(o, false, now), nil
}

// deleteOrgLogo is DELETE …/logo; an organization without a logo of its
// own is a 404.
func (s *Server) deleteOrgLogo(c *call) (any, *apiError) {
	o, e := c.org()
	if e != nil {
		return nil, e
	}
	if o.logoURL == "" {
		return nil, &apiError{status: http.StatusNotFound, code: "resource_not_found", msg: "not found",
			long: "The organization " + o.id + " has no logo."}
	}
	o.logoURL, o.updatedAt = "", c.now
	c.st.emitOrg("organization.updated", o, c.now)
	return c.st.orgJSON(o, false, c.now), nil
}
