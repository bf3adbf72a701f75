package prom_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/metrics/prom"
)

// Register a Loop's collector; a program then serves promhttp.Handler()
// at /metrics.
func ExampleNewCollector() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		log.Fatal(err)
	}
	defer func() { l.Exit(); _ = l.Wait() }()
	reg := prometheus.NewRegistry()
	if err := reg.Register(prom.NewCollector(l, prometheus.Labels{"service": "echo"})); err != nil {
		log.Fatal(err)
	}
	err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP asyncnet_servers Servers not yet closed.
# TYPE asyncnet_servers gauge
asyncnet_servers{service="echo"} 0
`), "asyncnet_servers")
	fmt.Println(err)
	// Output: <nil>
}
