// Command coredns is CoreDNS with only the plugins a test cluster's DNS needs (see ../NODE-NOTES.md).
// No forward/proxy plugin is compiled in: names outside the served zones get REFUSED and no query leaves
// the machine, whatever the Corefile says.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The plugin chain order, a subset of upstream's plugin.cfg in the same relative order.
func init() {
	dnsserver.Directives = []string{"log", "errors", "health", "ready", "cache", "kubernetes"}
}

func main() { coremain.Run() }
