module github.com/clerkkit/clerkkit

go 1.26

require github.com/go-jose/go-jose/v4 v4.1.9

require (
	github.com/clerk/clerk-sdk-go/v2 v2.4.2 // indirect
	github.com/go-jose/go-jose/v3 v3.0.4 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/svix/svix-webhooks v1.44.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.19.0 // indirect
	gopkg.in/validator.v2 v2.0.1 // indirect
)
