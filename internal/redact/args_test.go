package redact

import (
	"encoding/base64"
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
// (escaped and not), the Basic credentials of user info, and the URL
// encodings of them all, longest first and once each; short values are
// left.
func TestSecrets(t *testing.T) {
	p := NewPolicy("X-Tenant")
	got := p.Secrets(
		Request{Header: http.Header{"Authorization": {"Bearer sk-live-123"}, "Accept": {"text/plain-long"}, "X-Tenant": {"tenant-42"}}, URL: "http://127.0.0.1/?api_key=q%2B555&q=visible"},
		Request{Header: http.Header{"X-Api-Key": {"sk-live-123"}, "Cookie": {"ab"}}, URL: "https://bob:pw-777@127.0.0.1/x"},
	)
	want := []string{
		"Bearer%20sk-live-123", "Ym9iOnB3LTc3Nw%3D%3D", "Bearer sk-live-123", "Bearer+sk-live-123", "Ym9iOnB3LTc3Nw==",
		"sk-live-123", "q%252B555", "tenant-42", "q%2B555", "pw-777", "q+555",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets = %q; want %q", got, want)
	}
}

// TestSecretsDerivedForms: what Go derives from a secret is secret too:
// the Basic credentials it sends for a URL's user info (base64 of
// "user:password", decoded), and every secret's URL encodings.
func TestSecretsDerivedForms(t *testing.T) {
	got := NewPolicy().Secrets(
		Request{URL: "http://bob:pw%2F777@127.0.0.1/"},
		Request{URL: "http://tok-only-888@127.0.0.1/"},
		Request{Header: http.Header{"X-Api-Key": {"sk live/123"}}},
	)
	for _, want := range []string{
		base64.StdEncoding.EncodeToString([]byte("bob:pw/777")),
		base64.StdEncoding.EncodeToString([]byte("tok-only-888:")),
		"sk+live%2F123", "sk%20live%2F123",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets = %q; want %q among them", got, want)
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte("bob:pw-777"))
	msg := Args("echoed Authorization: Basic "+basic, []string{"attack", "-u", "http://bob:pw-777@127.0.0.1/"})
	if strings.Contains(msg, basic) {
		t.Errorf("Args = %q; want the Basic credentials masked", msg)
	}
}
