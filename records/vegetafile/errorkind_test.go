package vegetafile

import (
	"testing"

	"github.com/stampede-dev/stampede/records"
)

func TestErrorKindOf(t *testing.T) {
	tests := []struct {
		msg  string
		want records.ErrorKind
	}{
		{"", records.ErrNone},
		{`Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`, records.ErrRefused},
		{`Get "http://127.0.0.1:8080/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, records.ErrTimeout},
		{`Get "http://127.0.0.1:8080/": net/http: request canceled (Client.Timeout exceeded while reading body)`, records.ErrTimeout},
		{`Post "http://10.0.0.1/": dial tcp 10.0.0.1:80: i/o timeout`, records.ErrTimeout},
		{`Get "https://127.0.0.1/": net/http: TLS handshake timeout`, records.ErrTimeout},
		{`Get "http://10.0.0.1/": dial tcp 10.0.0.1:80: connect: connection timed out`, records.ErrTimeout},
		{"context deadline exceeded", records.ErrTimeout},
		{"timeout", records.ErrTimeout},
		{`Get "http://127.0.0.1:8080/": read tcp 127.0.0.1:5->127.0.0.1:8080: read: connection reset by peer`, records.ErrReset},
		{`Post "http://127.0.0.1:8080/": write tcp 127.0.0.1:5->127.0.0.1:8080: write: broken pipe`, records.ErrReset},
		{`Get "http://127.0.0.1:8080/": EOF`, records.ErrReset},
		{`Get "http://127.0.0.1:8080/": unexpected EOF`, records.ErrReset},
		{`Get "http://127.0.0.1:8080/": http: server closed idle connection`, records.ErrReset},
		{"connection reset by peer", records.ErrReset},
		{`Get "https://127.0.0.1:8443/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, records.ErrTLS},
		{`Get "https://127.0.0.1:8080/": tls: first record does not look like a TLS handshake`, records.ErrTLS},
		{`Get "https://127.0.0.1:8443/": remote error: tls: handshake failure`, records.ErrTLS},
		{"x509: certificate has expired or is not yet valid", records.ErrTLS},
		{`Get "http://nosuch.invalid/": dial tcp: lookup nosuch.invalid: no such host`, records.ErrDNS},
		{`Get "http://a.example/": dial tcp: lookup a.example on 127.0.0.53:53: server misbehaving`, records.ErrDNS},
		{`Get "http://a.example/": dial tcp: lookup a.example on 127.0.0.53:53: read udp 127.0.0.1:5->127.0.0.53:53: i/o timeout`, records.ErrDNS},
		{`Get "ftp://x/": unsupported protocol scheme "ftp"`, records.ErrOther},
		{"503 Service Unavailable", records.ErrOther},
		{"context canceled", records.ErrOther},
		// Words in the URL do not count.
		{`Get "http://127.0.0.1:8080/timeout/lookup here/tls:": connection refused`, records.ErrRefused},
		{`Get "http://127.0.0.1:8080/EOF": context canceled`, records.ErrOther},
		// Words inside other words do not count.
		{"GEOFENCE failed", records.ErrOther},
		{"lookups disabled", records.ErrOther},
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
	for _, k := range records.ErrorKinds {
		if got := ErrorKindOf(kindText(k)); got != k {
			t.Errorf("ErrorKindOf(kindText(%v) = %q) = %v", k, kindText(k), got)
		}
	}
	if got := kindText(records.ErrorKind(200)); got != kindText(records.ErrOther) {
		t.Errorf("kindText(200) = %q; want the text of other", got)
	}
}
