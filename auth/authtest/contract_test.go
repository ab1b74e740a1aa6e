package authtest_test

import (
	"testing"

	"github.com/clerkkit/clerkkit/auth"
	"github.com/clerkkit/clerkkit/auth/authtest"
)

func TestMemoryMachineCacheContract(t *testing.T) {
	authtest.RunMachineCacheContract(t, func(t *testing.T) auth.MachineCache {
		return auth.NewMemoryMachineCache(0, nil)
	})
}
