package testutil

import "testing"

// FullListener skips the test: it needs listen(2) with backlog 0, which
// Windows does not honour.
func FullListener(t testing.TB) string {
	t.Skip("needs a listener with a full accept queue; not available on Windows")
	return ""
}
