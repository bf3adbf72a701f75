//go:build race

package exampletest

// raceEnabled: the tests run with the race detector, so Build builds the
// example with it too.
const raceEnabled = true
