package clerkkit

import (
	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/clerkkit/clerkkit/internal/bapi"
)

// NewMachineBackend is NewBackend for a machine: cfg.SecretKey is the
// machine's secret key (ak_…, CLERK_MACHINE_SECRET_KEY; see
// machines.Client.SecretKey), not the instance's, and the Backend
// authenticates as that machine. It is what a service holding only its
// machine key needs to create its M2M tokens:
//
//	b, err := clerkkit.NewMachineBackend(clerkkit.Config{SecretKey: os.Getenv("CLERK_MACHINE_SECRET_KEY")})
//	tokens := m2mtokens.New(b, m2mtokens.Options{})
//
// The key is sent as NewBackend sends the instance's: as the Authorization
// header, to APIURL's origin only, with the same retries and errors. An
// instance secret key (sk_…) or a publishable key is refused with an error
// wrapping clerkerr.ErrInvalidConfig. The endpoints outside /m2m_tokens
// refuse a machine key.
func NewMachineBackend(cfg Config) (clerk.Backend, error) {
	ic := cfg.internal()
	ic.MachineKey = true
	b, err := bapi.NewBackend(ic)
	if err != nil {
		return nil, err
	}
	return b, nil
}
