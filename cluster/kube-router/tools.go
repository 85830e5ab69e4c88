//go:build tools

// Package kuberouter only pins the kube-router command that build.sh compiles,
// so that `go mod tidy` keeps its dependencies in go.mod/go.sum.
package kuberouter

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
