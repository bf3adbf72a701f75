package memtransport_test

import (
	"testing"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }
