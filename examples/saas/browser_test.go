package main

import (
	"context"
	"fmt"
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

// TestBrowser drives the app in headless Chromium as a person would:
// /dashboard → sign-in → choose the demo admin → dashboard → members page →
// invite → pending invitation → the same address again (refused) → revoke
// → remove a member through the confirmation page → create a project →
// create an API key (its secret shown once), see it listed, revoke it
// through the confirmation page → a 404 page; then, as a member, the admin page is a 403; a sign-in for an
// unknown user answers a page. The header keeps its height throughout.
// Screenshots of each step are saved in the test's temp dir (and in
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

	// 1. A signed-out visit to the dashboard lands on the sign-in page.
	run(chromedp.Navigate(r.URL+"/dashboard"), chromedp.WaitVisible(css(`#demo-users`)))
	shot("sign in")
	require.Contains(t, get(chromedp.Location()), "/sign-in?redirect_url=")

	// 2. Choosing the demo admin (active organization Acme) signs in.
	run(chromedp.Click(css(`button[data-user="user_demo_admin"][data-org="org_demo_acme"]`)), chromedp.WaitVisible(css(`#user-name`)))
	shot("dashboard")
	require.True(t, strings.HasSuffix(get(chromedp.Location()), "/dashboard"))
	text := get(chromedp.Text(css(`main`)))
	require.Contains(t, text, "Ada Admin")
	require.Contains(t, text, "Acme Inc")

	headerHeight := func() float64 {
		t.Helper()
		// Measured once the page, its stylesheet included, has loaded:
		// on a busy machine the first frame can come before the CSS.
		h, err := chromedp.Run(ctx, chromedp.Poll[float64](`document.readyState === "complete" && document.querySelector("header").getBoundingClientRect().height`, chromedp.WithPollingTimeout(10*time.Second)))
		require.NoError(t, err)
		return h
	}
	signedInHeader := headerHeight()

	// 3. The members page: invite someone, see the pending invitation; a
	// second invitation for the same address is refused; revoke it.
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme/members"), chromedp.WaitVisible(css(`#invite-form`)))
	shot("members")
	require.Equal(t, signedInHeader, headerHeight(), "the header keeps its height")
	invite := func(addr string) {
		t.Helper()
		run(
			chromedp.SendKeys(css(`#invite-form input[name="email_address"]`), addr),
			chromedp.Click(css(`#invite-form button`)),
			chromedp.WaitVisible(css(`#notice`)),
		)
	}
	invite("grace@example.com")
	shot("invited")
	require.Equal(t, "Invitation sent.", get(chromedp.Text(css(`#notice`))))
	require.Contains(t, get(chromedp.Text(css(`#invitations`))), "grace@example.com")
	invite("grace@example.com")
	shot("invited twice")
	require.Contains(t, get(chromedp.Text(css(`#notice`))), "already has a pending invitation")
	run(chromedp.Click(css(`#invitations tr[data-email="grace@example.com"] button`)), chromedp.WaitVisible(css(`#notice`)))
	shot("revoked")
	require.Equal(t, "Invitation revoked.", get(chromedp.Text(css(`#notice`))))
	require.NotContains(t, get(chromedp.Text(css(`#invitations`))), "grace@example.com")

	// 4. Remove asks for confirmation: the button does nothing until the
	// box is ticked (a required checkbox, no script).
	run(chromedp.Click(css(`tr[data-user="user_demo_member"] .remove-link`)), chromedp.WaitVisible(css(`#confirm-remove`)))
	shot("confirm remove")
	run(chromedp.Click(css(`#remove-button`)))
	require.Contains(t, get(chromedp.Location()), "/members/user_demo_member/remove", "the unticked form is not sent")
	run(chromedp.Click(css(`#confirm`)), chromedp.Click(css(`#remove-button`)), chromedp.WaitVisible(css(`#notice`)))
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
		chromedp.WaitVisible(css(`#notice`)))
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
	run(chromedp.Click(css(`#confirm`)), chromedp.Click(css(`#revoke-button`)), chromedp.WaitVisible(css(`#notice`)))
	shot("api key revoked")
	require.Contains(t, get(chromedp.Text(css(`#notice`))), "API key revoked")
	require.NotContains(t, get(chromedp.Text(css(`main`))), "CI deploy")

	// 6. An unknown path: the app's own 404 page.
	run(chromedp.Navigate(r.URL+"/no/such/page"), chromedp.WaitVisible(css(`#error-title`)))
	shot("not found")
	require.Equal(t, "Page not found", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))
	require.Equal(t, signedInHeader, headerHeight())

	// 7. Signed in as a member (of Globex only now), the admin page is
	// forbidden.
	run(
		chromedp.Click(css(`header form button`)), // sign out
		chromedp.WaitVisible(css(`#home`)),
	)
	require.Equal(t, signedInHeader, headerHeight(), "signed out, the header is as tall")
	run(
		chromedp.Navigate(r.URL+"/sign-in"),
		chromedp.WaitVisible(css(`#demo-users`)),
	)
	shot("sign in again")
	run(
		chromedp.Click(css(`button[data-user="user_demo_member"][data-org=""]`)),
		chromedp.WaitVisible(css(`#user-name`)),
		chromedp.Navigate(r.URL+"/admin"),
		chromedp.WaitVisible(css(`#error-title`)),
	)
	shot("member admin forbidden")
	require.Equal(t, "Forbidden", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))

	// 8. A sign-in for a user that does not exist answers a page.
	run(chromedp.Click(css(`header form button`)), chromedp.WaitVisible(css(`#home`)),
		chromedp.Navigate(r.URL+"/sign-in"), chromedp.WaitVisible(css(`#demo-users`)),
		chromedp.SetValue(css(`#demo-users form input[name="user_id"]`), "user_nobody"),
		chromedp.Click(css(`#demo-users form button`)),
		chromedp.WaitVisible(css(`#error-title`)))
	shot("unknown user")
	require.Equal(t, "Cannot sign in", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))
}
