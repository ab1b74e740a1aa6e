module github.com/clerkkit/clerkkit/redisstore

go 1.26.0

require (
	github.com/clerk/clerk-sdk-go/v2 v2.4.2
	github.com/clerkkit/clerkkit v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-jose/go-jose/v3 v3.0.5 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	github.com/svix/svix-webhooks v1.44.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	gopkg.in/validator.v2 v2.0.1 // indirect
)

replace github.com/clerkkit/clerkkit => ../
