package emulator

import "encoding/json"

// DemoSeed returns the demo data of `clerkkit dev` and the examples: an
// admin (public_metadata.role "admin") who owns Acme, a member of Acme,
// and a second organization, Globex, owned by the member.
func DemoSeed() SeedData {
	return SeedData{
		Users: []SeedUser{
			{ID: "user_demo_admin", EmailAddresses: []string{"ada@example.com"}, FirstName: "Ada", LastName: "Admin",
				PublicMetadata: json.RawMessage(`{"role":"admin"}`)},
			{ID: "user_demo_member", EmailAddresses: []string{"max@example.com"}, FirstName: "Max", LastName: "Member",
				PublicMetadata: json.RawMessage(`{"role":"member"}`)},
		},
		Organizations: []SeedOrganization{
			{ID: "org_demo_acme", Name: "Acme Inc", Slug: "acme", CreatedBy: "user_demo_admin", PublicMetadata: json.RawMessage(`{"plan":"pro"}`)},
			{ID: "org_demo_globex", Name: "Globex", Slug: "globex", CreatedBy: "user_demo_member", PublicMetadata: json.RawMessage(`{"plan":"free"}`)},
		},
		Memberships: []SeedMembership{
			{OrganizationID: "org_demo_acme", UserID: "user_demo_member", Role: "org:member"},
		},
	}
}
