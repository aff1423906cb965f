package records

import "testing"

func TestPathNameMasksIDs(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/items":          "GET /v1/items",
		"/users/42":          "GET /users/{id}",
		"/users/42/orders/7": "GET /users/{id}/orders/{id}",
		"/v2/agents":         "GET /v2/agents",
		"/runs/3f2a9c1e-0b4d-4e8a-9f1c-2d3e4f5a6b7c": "GET /runs/{id}",
		"/blobs/deadbeef42":                          "GET /blobs/{id}",
		"/v1/chat/completions":                       "GET /v1/chat/completions",
		"/scripts/scr_missing":                       "GET /scripts/scr_missing",
	} {
		if got := PathName("GET", in); got != want {
			t.Errorf("PathName(GET, %q) = %q, want %q", in, got, want)
		}
	}
}
