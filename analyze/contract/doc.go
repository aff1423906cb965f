// Package contract checks the rate-limit contract on every response of a
// run: a 429 carries a valid Retry-After, the rate-limit headers are valid
// and consistent, and a request sent once the advertised wait has passed
// is admitted. A Checker takes responses one at a time and keeps bounded
// state; its Report is what a result file's trailer stores and what
// reports show, and Reports of shards merge.
package contract
