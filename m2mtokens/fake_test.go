package m2mtokens_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/clerkkit/clerkkit/internal/bapi/bapitest"
)

// httpFake is a scripted Backend API that, unlike bapitest's, wants the
// machine's secret key.
type httpFake struct {
	mux  *http.ServeMux
	url  string
	mu   sync.Mutex
	reqs []fakeReq
}

type fakeReq struct{ method, path, query, body, auth string }

func (f *httpFake) start(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, fakeReq{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("Authorization")})
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+machineKey {
			bapitest.Error(w, 401, "authentication_invalid")
			return
		}
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
}

func (f *httpFake) last() fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func (f *httpFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}
