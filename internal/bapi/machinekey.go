package bapi

import (
	"fmt"
	"strings"

	"github.com/clerkkit/clerkkit/clerkerr"
)

// checkMachineKey checks a machine's secret key (Clerk's begin "ak_"):
// present, printable, not too short, and not one of the instance's keys,
// which authenticate as the instance, not as a machine.
func checkMachineKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("%w: the machine's secret key is required", clerkerr.ErrInvalidConfig)
	case strings.HasPrefix(k, "sk_test_"), strings.HasPrefix(k, "sk_live_"):
		return fmt.Errorf("%w: the machine's secret key is needed, not the instance's (sk_…)", clerkerr.ErrInvalidConfig)
	case strings.HasPrefix(k, "pk_test_"), strings.HasPrefix(k, "pk_live_"):
		return fmt.Errorf("%w: the machine's secret key is needed, not a publishable key", clerkerr.ErrInvalidConfig)
	case len(k) < 16:
		return fmt.Errorf("%w: the machine's secret key is too short", clerkerr.ErrInvalidConfig)
	case !printable(k):
		return fmt.Errorf("%w: the machine's secret key contains spaces or non-printable characters", clerkerr.ErrInvalidConfig)
	}
	return nil
}
