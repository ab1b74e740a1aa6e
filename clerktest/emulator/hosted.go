// The hosted sign-in and sign-out pages, like Clerk's Account Portal but
// with plain HTML forms: no JavaScript needed.

package emulator

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Password hashing of the passwords the hosted sign-in page checks. The
// emulator keeps no plain-text password; the cost is low because it
// holds test data in memory only.
const (
	pwIterations = 4096
	pwKeyLen     = 32
)

func hashPassword(pw string, salt []byte) []byte {
	k, err := pbkdf2.Key(sha256.New, pw, salt, pwIterations, pwKeyLen)
	if err != nil {
		panic("emulator: pbkdf2: " + err.Error()) // only for parameters outside FIPS bounds, which these are not
	}
	return k
}

// setPassword keeps a salted hash of pw for the hosted sign-in page.
func (u *userRec) setPassword(pw string) {
	u.pwSalt = make([]byte, 16)
	rand.Read(u.pwSalt)
	u.pwHash = hashPassword(pw, u.pwSalt)
}

// dummySalt is hashed against when no user has the address, so that the
// answer takes as long whether the address exists or not.
var dummySalt = []byte("clerkkit-emulator")

// passwordUser returns the user with the email address and password, or
// nil: an unknown or unverified address (reserved ones sign in, as at
// Clerk), a user without a checkable password and a wrong password look
// the same. s.mu must be held.
func (s *Server) passwordUser(email, pw string) *userRec {
	addr := strings.ToLower(strings.TrimSpace(email))
	u := s.st.users[s.st.emails[addr]]
	if u != nil && !slices.ContainsFunc(u.emails, func(em *emailRec) bool { return em.address == addr && !em.unverified }) {
		u = nil
	}
	salt, want := dummySalt, make([]byte, pwKeyLen)
	if u != nil && u.pwHash != nil {
		salt, want = u.pwSalt, u.pwHash
	}
	got := hashPassword(pw, salt)
	if subtle.ConstantTimeCompare(got, want) != 1 || u == nil || u.pwHash == nil {
		return nil
	}
	return u
}

// maxListedUsers bounds the users the sign-in page offers to choose.
const maxListedUsers = 100

type pageUser struct {
	ID, Name, Email string
}

type pageData struct {
	Title       string
	Error       string
	RedirectURL string
	DevBrowser  string
	SignedInAs  string
	Users       []pageUser
	More        int
	Form        string // "sign-in", "sign-out", or "" for none (an error page)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · clerkkit emulator</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}form{margin:.5rem 0}
button,input{font:inherit}button{padding:.45rem .9rem;cursor:pointer}
.user button{width:100%;text-align:left}.error{color:#b00020;border:1px solid #b00020;padding:.5rem}
label{display:block;margin:.4rem 0}input[type=email],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
small{color:#666}</style></head><body>
<h1>{{.Title}}</h1>
<p><small>Local Clerk emulator: test data only. Never enter a real password.</small></p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .SignedInAs}}<p>Signed in as <strong>{{.SignedInAs}}</strong>.</p>{{end}}
{{if eq .Form "sign-out"}}
<form method="post" action="/sign-out">
<input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
<button type="submit">Sign out</button></form>
{{else if eq .Form "sign-in"}}
{{if .Users}}<h2>Continue as</h2>
{{range .Users}}<form class="user" method="post" action="/sign-in">
<input type="hidden" name="user_id" value="{{.ID}}">
<input type="hidden" name="redirect_url" value="{{$.RedirectURL}}">
<input type="hidden" name="__clerk_db_jwt" value="{{$.DevBrowser}}">
<button type="submit">{{.Name}}{{if .Email}} &lt;{{.Email}}&gt;{{end}} <small>{{.ID}}</small></button></form>
{{end}}{{if .More}}<p><small>… and {{.More}} more users (sign in with a password, or lower the seed).</small></p>{{end}}
{{else}}<p>No users yet: seed some (clerkkit dev --seed FILE) or create them with the Backend API.</p>{{end}}
<h2>Or with a password</h2>
<form method="post" action="/sign-in">
<input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
<input type="hidden" name="__clerk_db_jwt" value="{{.DevBrowser}}">
<label>Email address <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
{{end}}
</body></html>
`))

// writePage renders d with status.
func writePage(w http.ResponseWriter, status int, d pageData) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		panic("emulator: render page: " + err.Error()) // only our own data is rendered
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	// The forms post here and then redirect, through the handshake, to
	// the app: browsers check form-action on those redirects too, so the
	// app's origin (redirect_url's, validated already) is allowed.
	formAction := "'self'"
	if u, err := parseAbsolute(d.RedirectURL); err == nil {
		formAction += " " + originOf(u)
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction+"; frame-ancestors 'none'")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on the page's own form posts, which sameOrigin
	// refuses; the app the browser goes back to still gets no Referer.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// displayName is how the sign-in page names u.
func (st *state) displayName(u *userRec) (name, email string) {
	for _, em := range u.emails {
		if em.id == u.primaryEmailID || email == "" {
			email = em.address
		}
	}
	var parts []string
	for _, p := range []*string{u.firstName, u.lastName} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	switch {
	case len(parts) > 0:
		name = strings.Join(parts, " ")
	case u.username != nil && *u.username != "":
		name = *u.username
	case email != "":
		name = email
	default:
		name = u.id
	}
	return name, email
}

// signInData is the sign-in page for r's browser: the users to choose
// (oldest first) and who is signed in. s.mu must be held.
func (s *Server) signInData(r *http.Request, redirectURL, devBrowser string, now time.Time) pageData {
	d := pageData{Title: "Sign in", RedirectURL: redirectURL, DevBrowser: devBrowser, Form: "sign-in"}
	users := make([]*userRec, 0, len(s.st.users))
	for _, u := range s.st.users {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b *userRec) int { return int(a.seq - b.seq) })
	for i, u := range users {
		if i == maxListedUsers {
			d.More = len(users) - i
			break
		}
		name, email := s.st.displayName(u)
		d.Users = append(d.Users, pageUser{ID: u.id, Name: name, Email: email})
	}
	if cl, _ := s.currentClient(r); cl != nil {
		if se := s.activeSession(cl, now); se != nil {
			name, _ := s.st.displayName(s.st.users[se.userID])
			d.SignedInAs = name
		}
	}
	return d
}

// pageRedirect validates a page's redirect_url ("" is none) and returns it
// as given, or an error page's message.
func (s *Server) pageRedirect(raw string) (string, string) {
	if raw == "" {
		return "", ""
	}
	if _, e := s.redirectTarget(raw); e != nil {
		return "", e.long
	}
	return raw, ""
}

// signInPage is GET /sign-in?redirect_url=…: the hosted sign-in page. A
// redirect_url that is not allowed (see Options.AllowedOrigins) is a 400
// page, before anything is offered.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirectURL, bad := s.pageRedirect(q.Get("redirect_url"))
	if bad != "" {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign in", Error: bad})
		return
	}
	s.mu.Lock()
	d := s.signInData(r, redirectURL, q.Get(paramDevBrowser), s.clock.Now())
	s.mu.Unlock()
	writePage(w, http.StatusOK, d)
}

// maxForm bounds a page's form body.
const maxForm = 64 << 10

// sameOrigin reports whether a form post may change the browser's
// sign-in: its Origin header, when the browser sends one, is the
// Server's own origin, or one of extra. Browsers send Origin on every
// cross-origin POST, so a page elsewhere cannot sign the browser in.
func (s *Server) sameOrigin(r *http.Request, extra func(*url.URL) bool) bool {
	origin := r.Header.Get("Origin")
	if origin == "" { // not a browser, or one that tells where it comes from otherwise
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	u, err := parseAbsolute(origin)
	if err != nil || u.Path != "" {
		return false // including "null"
	}
	own, _ := url.Parse(s.url)
	return originOf(u) == originOf(own) || (extra != nil && extra(u))
}

// signIn is POST /sign-in: user_id (a user chosen on the page) or email
// and password sign the browser in: a new session for the user on the
// browser's client (created, with the __client cookie on the Server's
// host, when it has none; a session it had is ended), then a 303 to the
// handshake for redirect_url (format=nonce), so that the app's cookies
// are set without any browser SDK, or back to the page without one.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r, nil) {
		writePage(w, http.StatusForbidden, pageData{Title: "Sign in", Error: "This form can only be posted from the emulator's own sign-in page."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign in", Error: "The form could not be read."})
		return
	}
	f := r.PostForm
	redirectURL, bad := s.pageRedirect(f.Get("redirect_url"))
	if bad != "" {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign in", Error: bad})
		return
	}
	devBrowser := f.Get(paramDevBrowser)

	s.mu.Lock()
	now := s.clock.Now()
	var u *userRec
	var problem string
	switch {
	case f.Get("user_id") != "":
		if u = s.st.users[f.Get("user_id")]; u == nil {
			problem = "There is no such user."
		}
	case f.Get("email") != "" || f.Get("password") != "":
		if u = s.passwordUser(f.Get("email"), f.Get("password")); u == nil {
			problem = "Incorrect email address or password."
		}
	default:
		problem = "Choose a user, or enter an email address and a password."
	}
	var se *sessRec
	if u != nil {
		var e *apiError
		if se, e = s.st.addSession(u, "", now); e != nil {
			problem = "This user cannot sign in: " + strings.ToLower(e.msg) + "."
		}
	}
	if problem != "" {
		d := s.signInData(r, redirectURL, devBrowser, now)
		d.Error = problem
		s.unlock(r)
		writePage(w, http.StatusUnprocessableEntity, d)
		return
	}
	cl, _ := s.currentClient(r)
	if cl == nil {
		cl = s.newClient(w, now)
	}
	if old := s.activeSession(cl, now); old != nil {
		old.status, old.updatedAt = "ended", now
		s.st.emitSession("session.ended", old, now)
	}
	se.clientID = cl.id
	cl.sessionID, cl.updatedAt = se.id, now
	s.unlock(r)
	s.redirectThroughHandshake(w, r, redirectURL, devBrowser)
}

// newClient creates a client for the browser and sets its __client cookie
// (HttpOnly, on the Server's host). s.mu must be held.
func (s *Server) newClient(w http.ResponseWriter, now time.Time) *clientRec {
	for k := range s.fe.clients { // full: drop any
		if len(s.fe.clients) < maxClients {
			break
		}
		delete(s.fe.clients, k)
	}
	secret := randomString(48)
	cl := &clientRec{id: randomID("client_"), createdAt: now, updatedAt: now}
	s.fe.clients[secret] = cl
	http.SetCookie(w, &http.Cookie{Name: cookieClient, Value: secret, Path: "/", MaxAge: cookieYear,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return cl
}

// redirectThroughHandshake answers a form post: 303 to the handshake for
// redirectURL (already validated), or to the sign-in page without one.
func (s *Server) redirectThroughHandshake(w http.ResponseWriter, r *http.Request, redirectURL, devBrowser string) {
	w.Header().Set("Cache-Control", "no-store")
	if redirectURL == "" {
		http.Redirect(w, r, pathSignIn, http.StatusSeeOther)
		return
	}
	q := url.Values{"redirect_url": {redirectURL}, "format": {"nonce"}, "suffixed_cookies": {"false"}}
	if s.dev && devBrowser != "" {
		q.Set(paramDevBrowser, devBrowser)
	}
	http.Redirect(w, r, "/v1/client/handshake?"+q.Encode(), http.StatusSeeOther)
}

// signOutPage is GET /sign-out?redirect_url=…: a page with a button that
// signs out (a GET never does, so that a link or an image elsewhere
// cannot sign the browser out).
func (s *Server) signOutPage(w http.ResponseWriter, r *http.Request) {
	redirectURL, bad := s.pageRedirect(r.URL.Query().Get("redirect_url"))
	if bad != "" {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign out", Error: bad})
		return
	}
	d := pageData{Title: "Sign out", RedirectURL: redirectURL, Form: "sign-out"}
	s.mu.Lock()
	if cl, _ := s.currentClient(r); cl != nil {
		if se := s.activeSession(cl, s.clock.Now()); se != nil {
			d.SignedInAs, _ = s.st.displayName(s.st.users[se.userID])
		}
	}
	s.mu.Unlock()
	writePage(w, http.StatusOK, d)
}

// signOut is POST /sign-out: it ends the browser's session (status ended,
// session.ended) and redirects (303) through the handshake to
// redirect_url, whose directives clear the app's cookies (__session
// cleared, __client_uat=0). It may be posted from the Server's own page
// or from an allowed origin (an app's sign-out button).
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r, s.originAllowed) {
		writePage(w, http.StatusForbidden, pageData{Title: "Sign out", Error: "This form can only be posted from the emulator's page or an allowed origin."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign out", Error: "The form could not be read."})
		return
	}
	redirectURL, bad := s.pageRedirect(r.PostForm.Get("redirect_url"))
	if bad != "" {
		writePage(w, http.StatusBadRequest, pageData{Title: "Sign out", Error: bad})
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	if cl, _ := s.currentClient(r); cl != nil {
		if se := s.activeSession(cl, now); se != nil {
			se.status, se.updatedAt = "ended", now
			s.st.emitSession("session.ended", se, now)
		}
		if cl.sessionID != "" {
			cl.sessionID, cl.updatedAt = "", now
		}
	}
	s.unlock(r)
	s.redirectThroughHandshake(w, r, redirectURL, r.PostForm.Get(paramDevBrowser))
}
