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
// invite → pending invitation; then, as a member, the admin page is a 403.
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

	// 3. The members page: invite someone, see the pending invitation.
	run(chromedp.Navigate(r.URL+"/orgs/org_demo_acme/members"), chromedp.WaitVisible(css(`#invite-form`)))
	shot("members")
	run(
		chromedp.SendKeys(css(`#invite-form input[name="email_address"]`), "grace@example.com"),
		chromedp.Click(css(`#invite-form button`)),
		chromedp.WaitVisible(css(`#notice`)),
	)
	shot("invited")
	require.Contains(t, get(chromedp.Text(css(`#invitations`))), "grace@example.com")

	// 4. Signed in as a member, the admin page is forbidden.
	run(
		chromedp.Click(css(`header form button`)), // sign out
		chromedp.WaitVisible(css(`#home`)),
		chromedp.Navigate(r.URL+"/sign-in"),
		chromedp.Click(css(`button[data-user="user_demo_member"][data-org="org_demo_acme"]`)),
		chromedp.WaitVisible(css(`#user-name`)),
		chromedp.Navigate(r.URL+"/admin"),
		chromedp.WaitVisible(css(`#error-title`)),
	)
	shot("member admin forbidden")
	require.Equal(t, "Forbidden", strings.TrimSpace(get(chromedp.Text(css(`#error-title`)))))
}
