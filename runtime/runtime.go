// Package runtime carries the lifecycle library that every generated operator embeds as
// internal/dsoi. It is kept here as real, tested Go code (package dsoi) rather than as a
// template, so the per-application code that dsoi-gen renders stays small.
package runtime

import "embed"

// Files holds the source of package dsoi, tests included, as copied into generated projects.
//
//go:embed dsoi/*.go
var Files embed.FS
