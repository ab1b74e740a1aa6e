package oauthapps_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/oauthapps"
)

// A confidential OAuth client for a partner's web app, then a new client
// secret. (The emulator does not serve OAuth applications, so this
// example is compiled, not run.)
func ExampleNew() {
	b, err := clerkkit.NewBackend(clerkkit.ConfigFromEnv())
	if err != nil {
		log.Fatal(err)
	}
	apps := oauthapps.New(b, oauthapps.Options{})
	ctx := context.Background()

	app, err := apps.Create(ctx, oauthapps.CreateParams{
		Name:         "Partner dashboard",
		RedirectURIs: []string{"https://partner.example.com/oauth/callback"},
		Scopes:       "profile email",
	})
	if err != nil {
		log.Fatal(err)
	}
	// app.ClientID is public; *app.ClientSecret goes to the partner once.
	fmt.Fprintln(os.Stderr, "client id:", app.ClientID)

	app, err = apps.RotateSecret(ctx, app.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "new secret issued:", app.ClientSecret != nil)
}
