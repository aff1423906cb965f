package redact

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	args := []string{
		"attack", "-H", "Authorization: Bearer sk-live-123", "-HX-API-Key:key-456", "--header=Cookie: sid=abc789",
		"--secret-header", "X-Tenant", "-H", "X-Tenant: tenant-42", "-H", "Accept: text/plain",
		"-u", "http://bob:pa%2Fss@127.0.0.1/?api_key=q-555&q=visible#access_token=frag-666",
		"--url=https://u:pw-777@127.0.0.1/",
	}
	msg := "saw sk-live-123, Bearer sk-live-123, key-456, sid=abc789, tenant-42, pa%2Fss, pa/ss, q-555, frag-666, pw-777; kept text/plain, visible, bob, Bearer"
	got := Args(msg, args)
	for _, secret := range []string{"sk-live-123", "key-456", "abc789", "tenant-42", "pa%2Fss", "pa/ss", "q-555", "frag-666", "pw-777"} {
		if strings.Contains(got, secret) {
			t.Errorf("scrub left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "kept text/plain, visible, bob, Bearer") {
		t.Errorf("scrub = %q; want the text that is no secret kept", got)
	}
	if got := Args("no secrets here", []string{"attack", "-H", "Authorization: ab"}); got != "no secrets here" {
		t.Errorf("short values: scrub = %q; want the message unchanged", got)
	}
}

// TestSecrets lists what requests carry that is secret: whole values and
// their words (not the auth scheme), URL passwords, secret query values
// (escaped and not), longest first and once each; short values are left.
func TestSecrets(t *testing.T) {
	p := NewPolicy("X-Tenant")
	got := p.Secrets(
		Request{Header: http.Header{"Authorization": {"Bearer sk-live-123"}, "Accept": {"text/plain-long"}, "X-Tenant": {"tenant-42"}}, URL: "http://127.0.0.1/?api_key=q%2B555&q=visible"},
		Request{Header: http.Header{"X-Api-Key": {"sk-live-123"}, "Cookie": {"ab"}}, URL: "https://bob:pw-777@127.0.0.1/x"},
	)
	want := []string{"Bearer sk-live-123", "sk-live-123", "tenant-42", "q%2B555", "pw-777", "q+555"}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets = %q; want %q", got, want)
	}
}
