package adapters

import "testing"

// ForceDirectWrites has the connections opened from now until t ends
// written directly (conn.writeDirect) whatever their kind. Call it before
// starting the transport.
func ForceDirectWrites(t testing.TB) {
	old := writeDirectAlways
	writeDirectAlways = true
	t.Cleanup(func() { writeDirectAlways = old })
}
