// More of the Users endpoints: bulk ban and unban, password verification
// and removal, and the profile image.

package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

func (s *Server) registerUserRecordRoutes() {
	handleBody(s, "POST /v1/users/ban", s.bulkBan(true))
	handleBody(s, "POST /v1/users/unban", s.bulkBan(false))
	handleBody(s, "POST /v1/users/{user_id}/verify_password", s.verifyPassword)
	handleBody(s, "POST /v1/users/{user_id}/remove_password", s.removePassword)
	s.route("POST /v1/users/{user_id}/profile_image", s.setProfileImage)
	s.handle("DELETE /v1/users/{user_id}/profile_image", s.deleteProfileImage)
}

type bulkBanBody struct {
	UserIDs []string `json:"user_ids"`
}

// bulkBan is POST /v1/users/ban and /unban: 1 to 50 user ids, all of
// which must exist (else nothing changes: 404); answers the users, in
// the order given. Banning revokes their sessions.
func (s *Server) bulkBan(ban bool) func(*call, *bulkBanBody) (any, *apiError) {
	return func(c *call, b *bulkBanBody) (any, *apiError) {
		if len(b.UserIDs) == 0 {
			return nil, &apiError{status: http.StatusBadRequest, code: "form_param_missing", msg: "user_ids must be included.",
				long: "user_ids must include at least one user id.", param: "user_ids"}
		}
		if len(b.UserIDs) > 50 {
			return nil, &apiError{status: http.StatusBadRequest, code: "form_param_value_invalid", msg: "is invalid",
				long: "user_ids can include at most 50 user ids.", param: "user_ids"}
		}
		var users []*userRec
		for _, id := range b.UserIDs {
			u, e := c.st.user(id)
			if e != nil {
				return nil, e
			}
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		out := []userJSON{}
		for _, u := range users {
			if u.banned != ban {
				u.banned, u.updatedAt = ban, c.now
				c.st.emitUser("user.updated", u, c.now)
				if ban {
					c.st.endSessions(u.id, "revoked", c.now)
				}
			}
			out = append(out, c.st.userJSON(u, c.now))
		}
		return out, nil
	}
}

type verifyPasswordBody struct {
	Password *string `json:"password"`
}

type verifiedJSON struct {
	Verified bool `json:"verified"`
}

// verifyPassword is POST /v1/users/{user_id}/verify_password: {"verified":
// true} for the user's password (one given in clear to POST or PATCH
// /v1/users or seeded), else 422 form_password_incorrect, also for a user
// without a password or with only a digest, which the Server cannot check.
func (s *Server) verifyPassword(c *call, b *verifyPasswordBody) (any, *apiError) {
	if b.Password == nil {
		return nil, errMissing("password")
	}
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	if u.pwHash == nil || subtle.ConstantTimeCompare(hashPassword(*b.Password, u.pwSalt), u.pwHash) != 1 {
		return nil, &apiError{status: http.StatusUnprocessableEntity, code: "form_password_incorrect",
			msg:  "Password is incorrect. Try again, or use another method.",
			long: "Password is incorrect. Try again, or use another method.", param: "password"}
	}
	return verifiedJSON{Verified: true}, nil
}

type removePasswordBody struct {
	SignOutOfOtherSessions *bool `json:"sign_out_of_other_sessions"`
}

// removePassword is POST /v1/users/{user_id}/remove_password: the user has
// no password afterwards (user.updated); with sign_out_of_other_sessions
// its active sessions are revoked.
func (s *Server) removePassword(c *call, b *removePasswordBody) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	u.passwordEnabled, u.passwordUpdated, u.pwSalt, u.pwHash, u.updatedAt = false, c.now, nil, nil, c.now
	c.st.emitUser("user.updated", u, c.now)
	if b.SignOutOfOtherSessions != nil && *b.SignOutOfOtherSessions {
		c.st.endSessions(u.id, "revoked", c.now)
	}
	return c.st.userJSON(u, c.now), nil
}

// maxProfileImage is the largest profile image Clerk accepts (10 MB).
const maxProfileImage = 10 << 20

// setProfileImage is POST /v1/users/{user_id}/profile_image: a
// multipart/form-data body whose "file" part is a PNG, JPEG, GIF or WebP
// image of at most 10 MB. The Server keeps only a URL naming the image's
// SHA-256 (it serves no images): image_url and profile_image_url become
// it, has_image true, and user.updated is sent.
func (s *Server) setProfileImage(r *http.Request) (any, *apiError) {
	bad := func(code, long string) *apiError {
		return &apiError{status: http.StatusBadRequest, code: code, msg: "is invalid", long: long, param: "file"}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxProfileImage+1<<20)
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, bad("form_param_missing", "The body must be multipart/form-data with the image in a part named file.")
	}
	img, err := io.ReadAll(io.LimitReader(f, maxProfileImage+1))
	f.Close()
	if err != nil || len(img) == 0 {
		return nil, bad("form_param_missing", "The file part is empty or could not be read.")
	}
	if len(img) > maxProfileImage {
		return nil, bad("form_param_value_invalid", "The image is larger than 10 MB.")
	}
	switch http.DetectContentType(img) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return nil, bad("form_param_format_invalid", "The file must be a PNG, JPEG, GIF or WebP image.")
	}
	sum := sha256.Sum256(img)
	s.mu.Lock()
	defer s.unlock(r)
	c := &call{r: r, st: s.st, now: s.clock.Now()}
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	b, _ := json.Marshal(map[string]string{"type": "upload", "iid": s.st.instanceID, "rid": u.id, "sha256": hex.EncodeToString(sum[:])})
	u.imageURL, u.updatedAt = "https://img.clerk.com/"+base64.RawURLEncoding.EncodeToString(b), c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.userJSON(u, c.now), nil
}

// deleteProfileImage is DELETE /v1/users/{user_id}/profile_image: back to
// Clerk's default image (user.updated).
func (s *Server) deleteProfileImage(c *call) (any, *apiError) {
	u, e := c.user()
	if e != nil {
		return nil, e
	}
	u.imageURL, u.updatedAt = "", c.now
	c.st.emitUser("user.updated", u, c.now)
	return c.st.userJSON(u, c.now), nil
}
