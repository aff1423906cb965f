package main

import (
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	args := []string{
		"attack", "-H", "Authorization: Bearer sk-live-123", "-HX-API-Key:key-456", "--header=Cookie: sid=abc789",
		"--secret-header", "X-Tenant", "-H", "X-Tenant: tenant-42", "-H", "Accept: text/plain",
		"-u", "http://bob:pa%2Fss@127.0.0.1/?api_key=q-555&q=visible#access_token=frag-666",
		"--url=https://u:pw-777@127.0.0.1/",
	}
	msg := "saw sk-live-123, Bearer sk-live-123, key-456, sid=abc789, tenant-42, pa%2Fss, pa/ss, q-555, frag-666, pw-777; kept text/plain, visible, bob, Bearer"
	got := scrub(msg, args)
	for _, secret := range []string{"sk-live-123", "key-456", "abc789", "tenant-42", "pa%2Fss", "pa/ss", "q-555", "frag-666", "pw-777"} {
		if strings.Contains(got, secret) {
			t.Errorf("scrub left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "kept text/plain, visible, bob, Bearer") {
		t.Errorf("scrub = %q; want the text that is no secret kept", got)
	}
	if got := scrub("no secrets here", []string{"attack", "-H", "Authorization: ab"}); got != "no secrets here" {
		t.Errorf("short values: scrub = %q; want the message unchanged", got)
	}
}
