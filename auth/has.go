package auth

import "strings"

// Check is an authorization question for Session.Has. Every non-zero field
// is a requirement; all of them must hold, and at least one must be set.
type Check struct {
	// Role is an organization role, with or without the "org:" prefix
	// ("admin" and "org:admin" are the same role). Needs an active org.
	Role string
	// Permission is an organization permission, "org:<feature>:<perm>"
	// (the "org:" prefix may be omitted). Needs an active org.
	Permission string
	// Feature is a billing feature: "org:<f>" / "o:<f>" for the active
	// organization, "user:<f>" / "u:<f>" for the user, or unscoped "<f>"
	// for either.
	Feature string
	// Plan is a billing plan, scoped like Feature.
	Plan string
	// Reverification requires recently verified factors (see Reverify).
	Reverification Reverification
}

// Reverification levels.
const (
	FirstFactor  = "first_factor"
	SecondFactor = "second_factor"
	MultiFactor  = "multi_factor"
)

// Reverification is a requirement on the fva claim: the given Level must
// have been verified less than AfterMinutes ago. Preset, when set, names
// one of Clerk's presets and takes precedence over Level and AfterMinutes.
// The zero value requires nothing.
type Reverification struct {
	Preset       string `json:"-"`
	Level        string `json:"level"`
	AfterMinutes int    `json:"afterMinutes"`
}

// Clerk's reverification presets, for Reverify.
const (
	StrictMFA = "strict_mfa" // multi-factor, within 10 minutes
	Strict    = "strict"     // second factor, within 10 minutes
	Moderate  = "moderate"   // second factor, within 60 minutes
	Lax       = "lax"        // second factor, within 1440 minutes
)

// Reverify returns the Reverification for one of Clerk's presets
// (StrictMFA, Strict, Moderate, Lax). An unknown name gives a requirement
// that never passes.
func Reverify(preset string) Reverification {
	return Reverification{Preset: preset}
}

// IsZero reports whether r requires nothing.
func (r Reverification) IsZero() bool {
	return r.Preset == "" && r.Level == "" && r.AfterMinutes == 0
}

// resolve returns the level and minutes r stands for, and false when r is
// not a valid requirement.
func (r Reverification) resolve() (level string, after int, ok bool) {
	switch r.Preset {
	case "":
	case StrictMFA:
		return MultiFactor, 10, true
	case Strict:
		return SecondFactor, 10, true
	case Moderate:
		return SecondFactor, 60, true
	case Lax:
		return SecondFactor, 1440, true
	default:
		return "", 0, false
	}
	switch r.Level {
	case FirstFactor, SecondFactor, MultiFactor:
		return r.Level, r.AfterMinutes, r.AfterMinutes > 0
	}
	return "", 0, false
}

// Has answers c with Clerk's has() semantics: every requested dimension
// must pass and at least one must be requested; role and permission need an
// active organization; anything malformed fails closed. A nil Session, or
// one without a user, has nothing.
func (s *Session) Has(c Check) bool {
	if s == nil || s.UserID == "" {
		return false
	}
	asked := false
	if c.Role != "" || c.Permission != "" {
		asked = true
		if s.OrgID == "" {
			return false
		}
		if c.Role != "" && (s.OrgRole == "" || OrgPrefixed(s.OrgRole) != OrgPrefixed(c.Role)) {
			return false
		}
		if c.Permission != "" && !contains(s.OrgPermissions, OrgPrefixed(c.Permission)) {
			return false
		}
	}
	if c.Feature != "" {
		asked = true
		if !hasScoped(s.Features, c.Feature) {
			return false
		}
	}
	if c.Plan != "" {
		asked = true
		if !hasScoped(s.Plans, c.Plan) {
			return false
		}
	}
	if !c.Reverification.IsZero() {
		asked = true
		if !s.reverified(c.Reverification) {
			return false
		}
	}
	return asked
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// hasScoped reports whether a claim list (entries "scope:name", scope o, u,
// ou or uo) grants want, as Clerk's has() decides: want is "org:x", "o:x",
// "organization:x", "user:x", "u:x" or unscoped "x" (either scope); of a
// want with more colons only the part between the first two counts, and
// "o:" asks for "o". An entry without a scope, or an unknown scope in
// want, fails the check.
func hasScoped(entries []string, want string) bool {
	scope, rest, explicit := strings.Cut(want, ":")
	id, _, _ := strings.Cut(rest, ":")
	if id == "" {
		id = scope
	}
	wantOrg, wantUser := true, true
	if explicit {
		switch scope {
		case "o", "org", "organization":
			wantUser = false
		case "u", "user":
			wantOrg = false
		default:
			return false
		}
	}
	found := false
	for _, e := range entries {
		es, name, ok := strings.Cut(e, ":")
		if !ok {
			return false // malformed claim: fail closed
		}
		if name != id {
			continue
		}
		isOrg := es == "o" || es == "ou" || es == "uo"
		isUser := es == "u" || es == "ou" || es == "uo"
		found = found || (wantOrg && isOrg) || (wantUser && isUser)
	}
	return found
}

// reverified applies Clerk's fva rules (checkReverificationAuthorization in
// @clerk/shared). An age of -1 means that factor is not enrolled; with both
// -1 nothing passes. first_factor needs a fresh first factor.
// second_factor needs a fresh second factor, or a fresh first factor when
// no second factor is enrolled. multi_factor needs both fresh, or a fresh
// first factor when no second factor is enrolled.
func (s *Session) reverified(r Reverification) bool {
	level, after, ok := r.resolve()
	if !ok || s.FactorVerificationAge == nil {
		return false
	}
	fa, sa := s.FactorVerificationAge[0], s.FactorVerificationAge[1]
	if fa < -1 || sa < -1 || fa == -1 && sa == -1 {
		return false
	}
	faFresh := fa != -1 && after > fa
	saFresh := sa != -1 && after > sa
	switch level {
	case FirstFactor:
		return faFresh
	case SecondFactor:
		if sa == -1 {
			return faFresh
		}
		return saFresh
	case MultiFactor:
		if sa == -1 {
			return faFresh
		}
		return faFresh && saFresh
	}
	return false
}
