package core_test

import (
	"testing"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// TestMain runs core's tests on the transport that ASYNCNET_TRANSPORT
// names (gnet by default; `make test` runs them on memtransport too).
func TestMain(m *testing.M) { testutil.Main(testutil.OnTransport(m)) }
