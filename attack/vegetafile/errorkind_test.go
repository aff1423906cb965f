package vegetafile

import (
	"testing"

	"github.com/stampede-dev/stampede/attack/results"
)

func TestErrorKindOf(t *testing.T) {
	tests := []struct {
		msg  string
		want results.ErrorKind
	}{
		{"", results.ErrNone},
		{`Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`, results.ErrRefused},
		{`Get "http://127.0.0.1:8080/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, results.ErrTimeout},
		{`Get "http://127.0.0.1:8080/": net/http: request canceled (Client.Timeout exceeded while reading body)`, results.ErrTimeout},
		{`Post "http://10.0.0.1/": dial tcp 10.0.0.1:80: i/o timeout`, results.ErrTimeout},
		{`Get "https://127.0.0.1/": net/http: TLS handshake timeout`, results.ErrTimeout},
		{`Get "http://10.0.0.1/": dial tcp 10.0.0.1:80: connect: connection timed out`, results.ErrTimeout},
		{"context deadline exceeded", results.ErrTimeout},
		{"timeout", results.ErrTimeout},
		{`Get "http://127.0.0.1:8080/": read tcp 127.0.0.1:5->127.0.0.1:8080: read: connection reset by peer`, results.ErrReset},
		{`Post "http://127.0.0.1:8080/": write tcp 127.0.0.1:5->127.0.0.1:8080: write: broken pipe`, results.ErrReset},
		{`Get "http://127.0.0.1:8080/": EOF`, results.ErrReset},
		{`Get "http://127.0.0.1:8080/": unexpected EOF`, results.ErrReset},
		{"connection reset by peer", results.ErrReset},
		{`Get "https://127.0.0.1:8443/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, results.ErrTLS},
		{`Get "https://127.0.0.1:8080/": tls: first record does not look like a TLS handshake`, results.ErrTLS},
		{`Get "https://127.0.0.1:8443/": remote error: tls: handshake failure`, results.ErrTLS},
		{"x509: certificate has expired or is not yet valid", results.ErrTLS},
		{`Get "http://nosuch.invalid/": dial tcp: lookup nosuch.invalid: no such host`, results.ErrDNS},
		{`Get "http://a.example/": dial tcp: lookup a.example on 127.0.0.53:53: server misbehaving`, results.ErrDNS},
		{`Get "http://a.example/": dial tcp: lookup a.example on 127.0.0.53:53: read udp 127.0.0.1:5->127.0.0.53:53: i/o timeout`, results.ErrDNS},
		{`Get "ftp://x/": unsupported protocol scheme "ftp"`, results.ErrOther},
		{"503 Service Unavailable", results.ErrOther},
		{"context canceled", results.ErrOther},
		// Words in the URL do not count.
		{`Get "http://127.0.0.1:8080/timeout/lookup here/tls:": connection refused`, results.ErrRefused},
		{`Get "http://127.0.0.1:8080/EOF": context canceled`, results.ErrOther},
		// Words inside other words do not count.
		{"GEOFENCE failed", results.ErrOther},
		{"lookups disabled", results.ErrOther},
	}
	for _, tc := range tests {
		if got := ErrorKindOf(tc.msg); got != tc.want {
			t.Errorf("ErrorKindOf(%q) = %v; want %v", tc.msg, got, tc.want)
		}
	}
}

// TestKindTextRoundTrip checks that the text a Writer writes for each kind
// maps back to that kind.
func TestKindTextRoundTrip(t *testing.T) {
	for _, k := range results.ErrorKinds {
		if got := ErrorKindOf(kindText(k)); got != k {
			t.Errorf("ErrorKindOf(kindText(%v) = %q) = %v", k, kindText(k), got)
		}
	}
	if got := kindText(results.ErrorKind(200)); got != kindText(results.ErrOther) {
		t.Errorf("kindText(200) = %q; want the text of other", got)
	}
}
