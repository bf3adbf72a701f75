package pipepath

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		path     string
		abstract bool
		reason   string // "" when the path is good
	}{
		{name: "absolute", path: "/run/app.sock"},
		{name: "relative", path: "app.sock"},
		{name: "longest", path: "/" + strings.Repeat("a", MaxLen-1)},
		{name: "empty", path: "", reason: "empty path"},
		{name: "NUL", path: "/tmp/a\x00b", reason: "NUL byte"},
		{name: "one too long", path: "/" + strings.Repeat("a", MaxLen), reason: "at most"},
		{name: "relative file named @", path: "./@app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.path)
			if tc.reason != "" {
				require.ErrorContains(t, err, tc.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.path, p.Name)
			require.Equal(t, tc.abstract, p.Abstract)
		})
	}
}

func TestParseAbstract(t *testing.T) {
	p, err := Parse("@asyncnet-test")
	if !AbstractSupported {
		require.ErrorContains(t, err, "only on Linux")
		require.ErrorContains(t, err, `"./@asyncnet-test"`, "the error says how to name a file")
		return
	}
	require.NoError(t, err)
	require.True(t, p.Abstract)

	_, err = Parse("@")
	require.ErrorContains(t, err, "empty abstract")
	_, err = Parse("@" + strings.Repeat("a", SunPath-1))
	require.NoError(t, err, "an abstract name may fill sun_path: it has no terminating NUL")
	_, err = Parse("@" + strings.Repeat("a", SunPath))
	require.ErrorContains(t, err, "at most")
}

func TestSunPath(t *testing.T) {
	require.Contains(t, []int{104, 108}, SunPath, "sun_path is 108 bytes on Linux and Windows, 104 on macOS and the BSDs")
}
