// Package layers holds no code: its test checks the import rules of
// docs/architecture.md, so that no package imports one above it.
package layers
