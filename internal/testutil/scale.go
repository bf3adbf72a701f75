package testutil

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// ScaleEnv names the environment variable that sets the factor by which
// Scale widens the time bounds of timing tests: a number >= 1, such as 3
// on a slow or busy machine. Unset, it is 2 under the race detector
// (which slows the code several times) and 1 without.
const ScaleEnv = "ASYNCNET_TEST_SCALE"

// scale is the factor, read once.
var scale = func() float64 {
	v := os.Getenv(ScaleEnv)
	if v == "" {
		if raceEnabled {
			return 2
		}
		return 1
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 1 {
		panic(fmt.Sprintf("testutil: %s=%q: want a number >= 1", ScaleEnv, v))
	}
	return f
}()

// Scale returns d widened by the factor ScaleEnv sets. Every upper bound a
// test puts on a duration measured on the real clock (a timer fires no
// later than, a program exits within) goes through it, so that a slower
// machine widens the bound rather than fail the test; lower bounds ("never
// early") do not. Tests on memtransport inside testing/synctest need
// neither: their time is fake.
func Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * scale)
}
