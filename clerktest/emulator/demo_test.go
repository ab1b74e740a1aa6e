package emulator

import "testing"

func TestDemoSeedLoads(t *testing.T) {
	srv := NewServer(t)
	if err := srv.Seed(DemoSeed()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SessionToken("user_demo_member", "org_demo_acme"); err != nil {
		t.Fatalf("member of Acme: %v", err)
	}
	if err := srv.Seed(DemoSeed()); err == nil {
		t.Fatal("seeding twice must fail (duplicate ids), and change nothing")
	}
}
