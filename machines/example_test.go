package machines_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/clerkkit/clerkkit"
	"github.com/clerkkit/clerkkit/clerktest/emulator"
	"github.com/clerkkit/clerkkit/machines"
)

// Two machines, the worker allowed to call the API, and a rotation of the
// worker's secret key.
func ExampleNew() {
	srv, err := emulator.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	b, err := clerkkit.NewBackend(clerkkit.Config{SecretKey: srv.SecretKey(), APIURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}
	ms := machines.New(b, machines.Options{})
	ctx := context.Background()

	api, err := ms.Create(ctx, machines.CreateParams{Name: "api"})
	if err != nil {
		log.Fatal(err)
	}
	worker, err := ms.Create(ctx, machines.CreateParams{Name: "worker", ScopedMachines: []string{api.ID}, DefaultTokenTTL: 5 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(worker.Name, "may call", worker.ScopedMachines[0].Name, "with tokens of", worker.DefaultTokenTTL, "s")

	// The worker's key (worker.SecretKey) goes into its configuration as
	// CLERK_MACHINE_SECRET_KEY. To replace it, rotate: the old key keeps
	// working for an hour while the new one is deployed.
	key, err := ms.RotateSecretKey(ctx, worker.ID, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new key:", key != worker.SecretKey)
	// Output:
	// worker may call api with tokens of 300 s
	// new key: true
}
