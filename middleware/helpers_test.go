package middleware_test

import (
	"context"
	"net/http"
)

type ctxCalls struct{}

func contextWith(r *http.Request, calls *int) context.Context {
	return context.WithValue(r.Context(), ctxCalls{}, calls)
}
