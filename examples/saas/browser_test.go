package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds a Chromium or Chrome binary: $CHROMIUM, then the usual
// names on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the app in headless Chromium as a person would, with
// no browser SDK: /dashboard → the emulator's hosted sign-in page → choose
// the demo admin → back through the handshake to the dashboard → make Acme
// active (a handshake with organization_id) → the session token expires
// (the emulator's clock moves 70 s) → the next navigation hands shake and
// stays signed in with a new __session cookie → members page →
// invite → pending invitation → the same address again (refused) → revoke
// → remove a member through the confirmation page → create a project →
// create an API key (its secret shown once), see it listed, revoke it
// through the confirmation page → a 404 page → sign out at the emulator's
// hosted sign-out page, signed out at the app on the next navigation;
// then, as a member, the admin page is a 403; a hosted sign-in for an
// unknown user answers a page. The header keeps its height throughout.
// Screenshots of each step are saved in the test's temp dir (or in
// $SCREENSHOT_DIR when set).
func TestBrowser(t *testing.T) {
	browser := chromiumPath()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium on this CI machine: .ci/run installs the chromium package")
		}
		t.Skip("no Chromium found (apt-get install chromium, or set $CHROMIUM): skipping the browser test")
	}
	r := start(t, "", nil)

	shots := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		shots = d
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	parent, cancelAll := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelAll()
	actx, cancel := chromedp.NewExecAllocator(parent, opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser; the whole test is bounded by the
	// allocator's parent context.

	step := 0
	shot := func(name string) {
		t.Helper()
		step++
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		path := filepath.Join(shots, fmt.Sprintf("%02d-%s.png", step, strings.ReplaceAll(name, " ", "-")))
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("screenshot: %s", path)
	}
	// notice waits for the page a form post redirects back to, with the
	// notice code in its URL (the page before has a #notice too).
	notice := func(code string) chromedp.Action[chromedp.Void] {
		check := chromedp.Evaluate[bool](`location.search.includes("notice=` + code + `") && document.readyState === "complete" && !!document.querySelector("#notice")`)
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				// Errors are the navigation under way.
				if ok, err := check(ctx, tg); err == nil && ok {
					return nil
				}
			}
			return fmt.Errorf("no page with notice=%s", code)
		})
	}
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}
	get := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		require.NoError(t, err)
		return v
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	em := r.Emulator
	cookie := func(name string) string {
		t.Helper()
		all := get(chromedp.Evaluate[string](`document.cookie`))
		for kv := range strings.SplitSeq(all, "; ") {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v
			}
		}
		return ""
	}
	chooseUser := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(css(`form.user:has(input[name="user_id"][value="` + id + `"]) button`))
	}

	// 1. A signed-out visit to the dashboard lands on the emulator's
	// hosted sign-in page, with the way back.
	run(chromedp.Navigate(r.URL+"/dashboard"), chromedp.WaitVisible(css(`form.user`)))
	shot("hosted sign in")
	require.Equal(t, em.SignInURL()+"?redirect_url="+url.QueryEscape(r.URL+"/dashboard"), get(chromedp.Location()))

	// 2. Choosing the demo admin signs in: the emulator's handshake comes
	// back to the dashboard with the cookies.
	handshakes := em.Calls("GET /v1/clients/handshake_payload")
	run(chooseUser("user_demo_admin"), chromedp.WaitVisible(css(`#user-name`)))
	require.Equal(t, r.URL+"/dashboard", get(chromedp.Location()))
	text := get(chromedp.Text(css(`main`)))
	require.Contains(t, text, "Ada Admin")
	require.Contains(t, text, "Acme Inc")
	require.Equal(t, handshakes+1, em.Calls("GET /v1/clients/handshake_payload"))
	// Make Acme the active organization: a handshake with organization_id.
	run(chromedp.Click(css(`#orgs a.activate[href*="org_demo_acme"]`)), chromedp.WaitVisible(css(`#orgs .badge`)))
	require.Contains(t, get(chromedp.Text(css(`#orgs`))), "active")
	first := cookie("__session")
	require.NotEmpty(t, first, "the handshake set __session")

	// 3. The session token expires; the next navigation hands shake
	// through the emulator and comes back signed in, with a new token.
	r.Clock.Advance(70 * time.Second)
	handshakes = em.Calls("GET /v1/clients/handshake_payload")
	run(chromedp.Navigate(r.URL+"/dashboard"), chromedp.WaitVisible(css(`#user-name`)))
	shot("dashboard after handshake")
	require.Equal(t, r.URL+"/dashboard", get(chromedp.Location()))
	require.Contains(t, get(chromedp.Text(css(`main`))), "Ada Admin")
	require.Equal(t, handshakes+1, em.Calls("GET /v1/clients/handshake_payload"), "one handshake")
	second := cookie("__session")
	require.NotEqual(t, first, second, "a fresh session token")
	require.Equal(t, "org_demo_acme", orgOf(t, second), "the active organization is kept")

	headerHeight := func() float64 {
		t.Helper()
		// Measured once the page, its stylesheet included, has loaded:
		// on a busy machine the first frame can come before the CSS.
		h, err := chromedp.Run(ctx, chromedp.Poll[float64](`document.readyState === "complete" && document.querySelector("header").getBoundingClientRect().height`, chromedp.WithPollingTimeout(10*time.Second)))
		require.NoError(t, err)
		return h
	}
	signedInHeader := headerHeight()

	// 4. The members page: invite someone, see the pending invitation; a
	// second invitation for the same address is refused; revoke it.
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme/members"), chromedp.WaitVisible(css(`#invite-form`)))
	shot("members")
	require.Equal(t, signedInHeader, headerHeight(), "the header keeps its height")
	invite := func(addr, code string) {
		t.Helper()
		run(
			chromedp.SendKeys(css(`#invite-form input[name="email_address"]`), addr),
			chromedp.Click(css(`#invite-form button`)),
			notice(code),
		)
	}
	invite("grace@example.com", "invitation-sent")
	shot("invited")
	require.Equal(t, "Invitation sent.", get(chromedp.Text(css(`#notice`))))
	require.Contains(t, get(chromedp.Text(css(`#invitations`))), "grace@example.com")
	invite("grace@example.com", "invitation-duplicate")
	shot("invited twice")
	require.Contains(t, get(chromedp.Text(css(`#notice`))), "already has a pending invitation")
	run(chromedp.Click(css(`#invitations tr[data-email="grace@example.com"] button`)), notice("invitation-revoked"))
	shot("revoked")
	require.Equal(t, "Invitation revoked.", get(chromedp.Text(css(`#notice`))))
	require.NotContains(t, get(chromedp.Text(css(`#invitations`))), "grace@example.com")

	// 4. Remove asks for confirmation: the button does nothing until the
	// box is ticked (a required checkbox, no script).
	run(chromedp.Click(css(`tr[data-user="user_demo_member"] .remove-link`)), chromedp.WaitVisible(css(`#confirm-remove`)))
	shot("confirm remove")
	run(chromedp.Click(css(`#remove-button`)))
	require.Contains(t, get(chromedp.Location()), "/members/user_demo_member/remove", "the unticked form is not sent")
	run(chromedp.Click(css(`#confirm`)), chromedp.Click(css(`#remove-button`)), notice("member-removed"))
	require.Equal(t, "Member removed.", get(chromedp.Text(css(`#notice`))))
	waitFor(t, "the removal's webhook", func() bool {
		_, err := r.Store.GetMembership(context.Background(), "org_demo_acme", "user_demo_member")
		return err != nil
	})
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme/members"), chromedp.WaitVisible(css(`#members`)))
	shot("member removed")
	require.NotContains(t, get(chromedp.Text(css(`#members`))), "Max Member")

	// 5. An admin creates a project on the organization page.
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme"), chromedp.WaitVisible(css(`#project-form`)),
		chromedp.SendKeys(css(`#project-form input[name="title"]`), "Website relaunch"),
		chromedp.SendKeys(css(`#project-form textarea`), "New landing page and docs"),
		chromedp.Click(css(`#project-form button`)),
		notice("project-created"))
	shot("project created")
	require.Equal(t, "Project created.", get(chromedp.Text(css(`#notice`))))
	require.Contains(t, get(chromedp.Text(css(`#org-projects`))), "Website relaunch")
	require.Equal(t, signedInHeader, headerHeight())

	// 5b. API keys: from the organization page to its keys; create one
	// (the secret is shown once), see it listed, revoke it through the
	// confirmation page.
	run(chromedp.Click(css(`#api-keys-link`)), chromedp.WaitVisible(css(`#key-form`)))
	shot("api keys")
	require.Equal(t, signedInHeader, headerHeight())
	run(
		chromedp.SendKeys(css(`#key-form input[name="name"]`), "CI deploy"),
		chromedp.SendKeys(css(`#key-form input[name="description"]`), "used by the release pipeline"),
		chromedp.Click(css(`#key-form input[value="projects:write"]`)),
		chromedp.Click(css(`#key-form button`)),
		chromedp.WaitVisible(css(`#new-key-secret`)),
	)
	shot("api key created")
	secret := strings.TrimSpace(get(chromedp.Text(css(`#new-key-secret`))))
	require.True(t, strings.HasPrefix(secret, "ak_"), "the secret is shown")
	require.Contains(t, get(chromedp.Text(css(`#api-keys`))), "CI deploy")
	require.Contains(t, get(chromedp.Text(css(`#api-keys tr[data-name="CI deploy"]`))), "projects:write")
	code, _, _ := call(t, r, "GET", "/api/projects", secret, nil)
	require.Equal(t, 200, code, "the key works")
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme/api-keys"), chromedp.WaitVisible(css(`#api-keys`)))
	require.NotContains(t, get(chromedp.Text(css(`main`))), secret, "shown once only")
	run(chromedp.Click(css(`#api-keys tr[data-name="CI deploy"] .revoke-link`)), chromedp.WaitVisible(css(`#confirm-revoke`)))
	shot("confirm revoke key")
	run(chromedp.Click(css(`#revoke-button`)))
	require.Contains(t, get(chromedp.Location()), "/revoke", "the unticked form is not sent")
	run(chromedp.Click(css(`#confirm`)), chromedp.Click(css(`#revoke-button`)), notice("apikey-revoked"))
	shot("api key revoked")
	require.Contains(t, get(chromedp.Text(css(`#notice`))), "API key revoked")
	require.NotContains(t, get(chromedp.Text(css(`main`))), "CI deploy")

	// 6. An unknown path: the app's own 404 page.
	run(chromedp.Navigate(r.URL+"/no/such/page"), chromedp.WaitVisible(css(`#error-title`)))
	shot("not found")
	require.Equal(t, "Page not found", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))
	require.Equal(t, signedInHeader, headerHeight())

	// 7. Sign out at the emulator's hosted sign-out page: it comes back
	// through the handshake, which clears the app's cookies.
	run(chromedp.Click(css(`#sign-out`)), chromedp.WaitVisible(css(`form[action="/sign-out"] button`)))
	shot("hosted sign out")
	require.True(t, strings.HasPrefix(get(chromedp.Location()), em.SignOutURL()+"?redirect_url="))
	require.Contains(t, get(chromedp.Text(css(`body`))), "Signed in as Ada Admin")
	run(chromedp.Click(css(`form[action="/sign-out"] button`)), chromedp.WaitVisible(css(`#home`)))
	require.Equal(t, r.URL+"/", get(chromedp.Location()))
	require.Empty(t, cookie("__session"))
	require.Equal(t, "0", cookie("__client_uat"))
	shot("signed out")
	require.Equal(t, signedInHeader, headerHeight(), "signed out, the header is as tall")
	require.Contains(t, get(chromedp.Text(css(`header`))), "Sign in")
	// The next navigation: signed out, to the hosted sign-in page.
	run(chromedp.Navigate(r.URL+"/dashboard"), chromedp.WaitVisible(css(`form.user`)))
	require.True(t, strings.HasPrefix(get(chromedp.Location()), em.SignInURL()+"?redirect_url="))
	require.NotContains(t, get(chromedp.Text(css(`body`))), "Signed in as")

	// 8. Signed in as a member (of Globex only now), the admin page is
	// forbidden.
	run(
		chooseUser("user_demo_member"),
		chromedp.WaitVisible(css(`#user-name`)),
		chromedp.Navigate(r.URL+"/admin"),
		chromedp.WaitVisible(css(`#error-title`)),
	)
	shot("member admin forbidden")
	require.Equal(t, "Forbidden", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))

	// 9. A hosted sign-in for a user that does not exist answers a page.
	run(chromedp.Navigate(em.SignInURL()+"?redirect_url="+url.QueryEscape(r.URL+"/dashboard")), chromedp.WaitVisible(css(`form.user`)),
		chromedp.SetValue(css(`form.user input[name="user_id"]`), "user_nobody"),
		chromedp.Click(css(`form.user button`)),
		chromedp.WaitVisible(css(`.error`)))
	shot("hosted unknown user")
	require.Contains(t, get(chromedp.Text(css(`.error`))), "There is no such user")
}

// orgOf returns the active organization a session token names (the v2
// "o" claim, or v1's org_id).
func orgOf(t *testing.T, tok string) string {
	t.Helper()
	c := claims(t, tok)
	if o, ok := c["o"].(map[string]any); ok {
		id, _ := o["id"].(string)
		return id
	}
	id, _ := c["org_id"].(string)
	return id
}
