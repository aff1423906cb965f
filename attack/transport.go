package attack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http2"

	"github.com/stampede-dev/stampede/internal/readfile"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
)

// TransportOptions configure the HTTP client of an attack.
type TransportOptions struct {
	Timeout        time.Duration // whole attempt: connect, send, and read the full response
	Connections    int           // idle connections kept open per host
	MaxConnections int           // connections per host, 0 for no limit
	HTTP2          bool          // negotiate HTTP/2 over TLS
	Insecure       bool          // skip TLS certificate verification
	KeepAlive      bool          // reuse connections
	// CAFile names PEM certificates to trust instead of the system's;
	// CertFile and KeyFile a client certificate and its key (PEM). ""
	// for none.
	CAFile, CertFile, KeyFile string
}

// NewClient returns an HTTP client built as an attack's is: the transport
// of o, o.Timeout for each request, and no redirect followed. The probe
// sends with one.
func NewClient(o TransportOptions) (*http.Client, error) {
	tr, err := newTransport(o)
	if err != nil {
		return nil, fmt.Errorf("build transport: %w", err)
	}
	return newClient(o, tr), nil
}

// newClient is the client of an attack over rt.
func newClient(o TransportOptions, rt http.RoundTripper) *http.Client {
	return &http.Client{
		Timeout:   o.Timeout,
		Transport: rt,
		// Follow no redirects: a load test measures the answer the target
		// gives, and a 3xx is that answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newTransport builds the http.Transport. vegeta's own options type-assert
// the client's transport and panic on a wrapper, so the whole client is built
// here and handed to vegeta with vegeta.Client, last.
func newTransport(o TransportOptions) (*http.Transport, error) {
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	if !o.KeepAlive {
		dialer.KeepAlive = -1
	}
	tlsConfig, err := tlsConfigOf(o)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConfig,
		MaxIdleConnsPerHost: o.Connections,
		MaxConnsPerHost:     o.MaxConnections,
		DisableKeepAlives:   !o.KeepAlive,
		TLSHandshakeTimeout: o.Timeout,
		// Bytes in are the bytes on the wire, and a load test sends the
		// headers the user gave, not an Accept-Encoding of Go's choosing.
		DisableCompression: true,
	}
	if o.HTTP2 {
		if err := http2.ConfigureTransport(tr); err != nil {
			return nil, err
		}
	} else {
		// A non-nil empty map turns off HTTP/2 negotiation.
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return tr, nil
}

// maxPEM bounds a certificate or key file.
const maxPEM = 1 << 20

// tlsConfigOf is the TLS configuration of o: its trusted certificates and
// client certificate read from their files.
func tlsConfigOf(o TransportOptions) (*tls.Config, error) {
	c := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // the user asked for it
	if o.CAFile != "" {
		pem, err := readfile.Regular(o.CAFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("ca-file %s: %w", o.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca-file %s: no PEM certificate in it", o.CAFile)
		}
		c.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, errors.New("a client certificate needs both cert-file and key-file")
		}
		certPEM, err := readfile.Regular(o.CertFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("cert-file %s: %w", o.CertFile, err)
		}
		keyPEM, err := readfile.Regular(o.KeyFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("key-file %s: %w", o.KeyFile, err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert-file %s, key-file %s: %w", o.CertFile, o.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// KindOf sorts a transport error into a kind. It works on typed errors,
// never on their text, save net/http's one untyped error for a peer that
// closed the connection (isServerClosedIdle).
func KindOf(err error) records.ErrorKind {
	if err == nil {
		return records.ErrNone
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return records.ErrDNS
	}
	if isTLS(err) {
		return records.ErrTLS
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) ||
		(errors.As(err, &netErr) && netErr.Timeout()) {
		return records.ErrTimeout
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return records.ErrRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		isServerClosedIdle(err):
		// A peer that closes the connection before a complete response
		// surfaces as EOF: to the client it is a reset.
		return records.ErrReset
	}
	return records.ErrOther
}

// serverClosedIdle is the text of net/http's errServerClosedIdle.
const serverClosedIdle = "http: server closed idle connection"

// isServerClosedIdle reports whether err is, or wraps, net/http's
// errServerClosedIdle: the connection's EOF, read before the request was
// handed to it, so that the transport took it for an idle connection's
// close. It is the same failure as an EOF read after (a server that
// accepts and closes gives either, by a race), but net/http returns it as
// an unexported errors.New that wraps nothing, so no type or errors.Is can
// know it: its exact text is matched, in err and each error it wraps,
// never a part of a text.
func isServerClosedIdle(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == serverClosedIdle {
			return true
		}
	}
	return false
}

func isTLS(err error) bool {
	var (
		rec     tls.RecordHeaderError
		alert   tls.AlertError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// seqHeader is the header vegeta sets on every request with its sequence
// number; the meter uses it to join what it sees to vegeta's Result.
const seqHeader = "X-Vegeta-Seq"

// observation is what the meter saw of one attempt.
type observation struct {
	status    int
	header    http.Header // the response's, kept when its body fails after it
	bytesIn   uint64
	bytesOut  uint64 // request body, unless no connection was made
	kind      records.ErrorKind
	body      *[]byte       // the first bytes of the body, when captured (pooled)
	scope     uint64        // the limiter the request falls under (scopesOf)
	principal uint64        // whose limit it counts against (scopesOf)
	request   string        // the request's name (requestName)
	req       *http.Request // the request sent, when the meter keeps requests (for retries)
}

// RequestHeader carries the name of a request from Options.Next to the
// meter, which removes it before the request leaves.
const RequestHeader = "X-Stampede-Request"

// maxCachedNames bounds the names the meter remembers per method and path.
const maxCachedNames = 4096

// names remembers the name of each method and path, "GET /v1/items", so
// that naming a request of a static target does not allocate.
type names struct {
	mu sync.RWMutex
	m  map[nameKey]string
}

type nameKey struct{ method, path string }

// of returns the name of a request: the one Options.Next gave it (in
// RequestHeader, removed here), else its method and path without the
// query.
func (n *names) of(req *http.Request) string {
	if v := req.Header[RequestHeader]; len(v) > 0 {
		delete(req.Header, RequestHeader)
		return v[0]
	}
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	key := nameKey{req.Method, path}
	n.mu.RLock()
	name, ok := n.m[key]
	n.mu.RUnlock()
	if ok {
		return name
	}
	name = records.PathName(req.Method, path)
	n.mu.Lock()
	if len(n.m) < maxCachedNames {
		n.m[nameKey{strings.Clone(req.Method), strings.Clone(path)}] = name
	}
	n.mu.Unlock()
	return name
}

// secretNames decides which request headers and query parameters carry
// credentials: the redaction policy's defaults (Authorization, X-API-Key,
// Cookie, any name with auth, token, key, …).
var secretNames = redact.Policy{}

// secretNameCache remembers secretNames' verdict per header or query
// name: the names of an attack's requests are few and repeat, and
// deciding lower-cases the name, an allocation on every request.
var secretNameCache sync.Map // string → bool

// isSecretName reports whether a header or query name carries credentials.
func isSecretName(name string) bool {
	if v, ok := secretNameCache.Load(name); ok {
		return v.(bool)
	}
	secret := secretNames.IsSecret(name)
	secretNameCache.Store(strings.Clone(name), secret)
	return secret
}

// pairHash hashes a name and value, kept apart by sep, without building
// their concatenation.
func pairHash(name string, sep byte, value string) uint64 {
	var h maphash.Hash
	h.SetSeed(scopeSeed)
	h.WriteString(name)
	h.WriteByte(sep)
	h.WriteString(value)
	return h.Sum64()
}

// scopeSeed seeds scopesOf; scopes live only in memory.
var scopeSeed = maphash.MakeSeed()

// scopesOf identifies whose rate limit a request counts against. principal
// is its host and credentials (secret headers and query values), whose
// limit usually spans every endpoint; scope narrows it to the method and
// path, the one limiter whose promises a rejection is held to. The
// credentials are combined without regard to order.
func scopesOf(req *http.Request) (scope, principal uint64) {
	var creds uint64
	for name, values := range req.Header {
		if name == seqHeader || !isSecretName(name) {
			continue
		}
		for _, v := range values {
			creds ^= pairHash(name, 0, v)
		}
	}
	if req.URL.RawQuery != "" {
		for pair := range strings.SplitSeq(req.URL.RawQuery, "&") {
			if name, value, ok := strings.Cut(pair, "="); ok && isSecretName(name) {
				creds ^= pairHash(name, '=', value)
			}
		}
	}
	var h maphash.Hash
	h.SetSeed(scopeSeed)
	h.WriteString(req.URL.Host)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], creds)
	h.Write(b[:])
	principal = h.Sum64()
	h.WriteString(req.Method)
	h.WriteByte(0)
	h.WriteString(req.URL.Path)
	return h.Sum64(), principal
}

// bodyPool recycles the buffers of captured bodies. A buffer grows to the
// capture limit at most.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// meter is a RoundTripper that records, per attempt, what vegeta's Result
// loses: the typed kind of a transport error and every body byte received
// (vegeta counts only the bytes it keeps). Entries are removed when the
// attempt's record is built, so memory is bounded by the attempts in flight.
type meter struct {
	next    http.RoundTripper
	capture Capture
	names   names
	// keepRequests keeps each attempt's request in its observation, for
	// a retry to repeat it.
	keepRequests bool

	mu  sync.Mutex // guards obs; held only for map operations
	obs map[uint64]*observation
}

func newMeter(next http.RoundTripper, capture Capture) *meter {
	return &meter{next: next, capture: capture, obs: make(map[uint64]*observation), names: names{m: make(map[nameKey]string)}}
}

// RoundTrip implements http.RoundTripper.
func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, err := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	if err != nil {
		delete(req.Header, RequestHeader)
		return m.next.RoundTrip(req)
	}
	// Redirects repeat the header: reuse the attempt's observation.
	m.mu.Lock()
	o := m.obs[seq]
	if o == nil {
		o = &observation{}
		m.obs[seq] = o
	}
	m.mu.Unlock()
	if req.ContentLength > 0 {
		o.bytesOut = uint64(req.ContentLength)
	}
	if o.request == "" { // a redirect keeps the name of the first request
		o.request = m.names.of(req)
	}
	o.scope, o.principal = scopesOf(req)
	if m.keepRequests && o.req == nil {
		o.req = req
	}

	resp, err := m.next.RoundTrip(req)
	if err != nil {
		// Only this attempt's goroutine writes o until take: no lock needed.
		o.kind = kindIn(req.Context(), err)
		switch o.kind {
		case records.ErrRefused, records.ErrDNS, records.ErrTLS:
			o.bytesOut = 0 // the body never left: there was no connection to send it on
		}
		return nil, err
	}
	o.status, o.header = resp.StatusCode, resp.Header
	cb := &countingBody{ReadCloser: resp.Body, o: o, ctx: req.Context()}
	if m.capture.wants(resp.StatusCode) {
		if o.body == nil { // a redirect's second response reuses the buffer
			o.body = bodyPool.Get().(*[]byte)
		}
		*o.body = (*o.body)[:0]
		cb.limit = m.capture.Limit
	}
	resp.Body = cb
	return resp, nil
}

// kindIn is KindOf for an error met while ctx was the request's context.
// http.Client enforces its Timeout through the context's deadline and,
// racing with it, a cancel channel whose error ("request canceled") carries
// no type; a deadline that has passed is the reliable sign of a timeout, as
// it is for http.Client itself.
func kindIn(ctx context.Context, err error) records.ErrorKind {
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return records.ErrTimeout
	}
	return KindOf(err)
}

// take returns and forgets the observation of attempt seq.
func (m *meter) take(seq uint64) (observation, bool) {
	m.mu.Lock()
	o, ok := m.obs[seq]
	delete(m.obs, seq)
	m.mu.Unlock()
	if !ok {
		return observation{}, false
	}
	return *o, true
}

// countingBody counts the body bytes read, keeps the first limit of them
// in o.body, and types a read failure.
type countingBody struct {
	io.ReadCloser
	o     *observation
	ctx   context.Context // the request's
	limit int             // bytes to keep in o.body; 0 keeps none
}

// drainPool holds the buffers WriteTo drains bodies through.
var drainPool = sync.Pool{New: func() any { b := make([]byte, drainBuffer); return &b }}

// drainBuffer is the size of a drain buffer: the body is read from the
// connection's own 4 KB buffer, so a small one costs no extra syscall.
const drainBuffer = 1 << 10

// WriteTo drains the body into w. vegeta discards each body with
// io.Copy(io.Discard, body), which would take an 8 KB buffer from
// io.Discard's pool for every body being read; with WriteTo it takes a
// 1 KB one: 7 KB less per request in flight (heap profile of 20,000/s,
// docs/performance.md).
func (b *countingBody) WriteTo(w io.Writer) (int64, error) {
	buf := drainPool.Get().(*[]byte)
	defer drainPool.Put(buf)
	var n int64
	for {
		k, err := b.Read(*buf)
		if k > 0 {
			wrote, werr := w.Write((*buf)[:k])
			n += int64(wrote)
			if werr != nil {
				return n, werr
			}
		}
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.limit > 0 { // then o.body is set
		if keep := min(n, b.limit-len(*b.o.body)); keep > 0 {
			*b.o.body = append(*b.o.body, p[:keep]...)
		}
	}
	b.o.bytesIn += uint64(n)
	if err != nil && err != io.EOF && b.o.kind == records.ErrNone {
		b.o.kind = kindIn(b.ctx, err)
	}
	return n, err
}
