// Package templates embeds the template tree of a generated project. The tree mirrors the
// output: every file ends in .tmpl (so no template is compiled or read as a nested module),
// and __version__ and __kind__ in a path stand for the API version and lowercase kind.
package templates

import "embed"

// Project is the template tree of a generated operator.
//
//go:embed all:project
var Project embed.FS
