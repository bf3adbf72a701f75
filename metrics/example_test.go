package metrics_test

import (
	"expvar"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/metrics"
)

// A Loop's Stats, counters included, at /debug/vars. A program would
// serve expvar.Handler() (or http.DefaultServeMux, where expvar registers
// it) on its admin port.
func ExamplePublishExpvar() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		log.Fatal(err)
	}
	defer func() { l.Exit(); _ = l.Wait() }()
	if err := metrics.PublishExpvar(l, "asyncnet_example"); err != nil {
		log.Fatal(err)
	}
	admin := httptest.NewServer(expvar.Handler())
	defer admin.Close()
	fmt.Println(expvar.Get("asyncnet_example") != nil)
	// Output: true
}
