module github.com/clerkkit/clerkkit

go 1.26.0

require (
	github.com/clerk/clerk-sdk-go/v2 v2.4.2
	github.com/go-chi/chi/v5 v5.5.0
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/stretchr/testify v1.12.1
	github.com/svix/svix-webhooks v1.44.0
	go.yaml.in/yaml/v3 v3.0.5
)

require (
	github.com/go-jose/go-jose/v3 v3.0.5 // indirect
	github.com/kr/pretty v0.3.0 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	gopkg.in/validator.v2 v2.0.1 // indirect
)
