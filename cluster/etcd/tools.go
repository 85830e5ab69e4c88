//go:build tools

// Package etcd only pins the etcd commands that build.sh compiles,
// so that `go mod tidy` keeps their dependencies in go.mod/go.sum.
package etcd

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
