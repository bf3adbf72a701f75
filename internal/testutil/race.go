//go:build race

package testutil

// raceEnabled: built with -race.
const raceEnabled = true
