package analyze

import "testing"

// TestVegetaRequestsNamedAsLiveOnes: a vegeta result's request is named
// as a live run names it, ids masked, without query or host.
func TestVegetaRequestsNamedAsLiveOnes(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"GET", "http://h:8080/users/42?api_key=x"}: "GET /users/{id}",
		{"POST", "https://h"}:                       "POST /",
		{"GET", ""}:                                 "",
		{"", "http://h/x"}:                          "",
	} {
		if got := pathName(in[0], in[1]); got != want {
			t.Errorf("pathName(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
