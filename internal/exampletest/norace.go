//go:build !race

package exampletest

// raceEnabled: the tests run without the race detector.
const raceEnabled = false
