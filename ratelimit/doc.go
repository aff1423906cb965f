// Package ratelimit reads what an HTTP response says about rate limits and
// waits: Retry-After in both of its forms (measured against the response's
// own Date), the X-RateLimit-*, X-Rate-Limit-*, IETF RateLimit and vendor
// header families, and waits stated in error bodies. It is a leaf: the
// attack engine, the probe and the contract checks all parse with it, and
// it imports nothing of stampede.
package ratelimit
