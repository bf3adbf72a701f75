package proto

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// appendFunc is the shape of AppendHTTPResponses and AppendRESPReplies.
type appendFunc func(dst, in []byte) ([]byte, int, error)

// feed plays a stream arriving in chunks to f the way a server does: it
// appends each chunk to the unconsumed rest of the previous ones, calls f,
// and keeps what f did not consume. It returns the concatenated output, the
// total consumed and the first error.
func feed(f appendFunc, chunks ...[]byte) (out []byte, consumed int, err error) {
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		var n int
		out, n, err = f(out, buf)
		consumed += n
		if err != nil {
			return out, consumed, err
		}
		buf = append(buf[:0], buf[n:]...)
	}
	return out, consumed, nil
}

// requireSplitsAgree checks that in, split in two at every byte boundary (at
// a few hundred of them when in is large) and also fed one byte at a time,
// gives the same output, consumption and error as in fed whole.
func requireSplitsAgree(t *testing.T, f appendFunc, in []byte) {
	t.Helper()
	want, wantN, wantErr := f(nil, in)
	check := func(what string, out []byte, n int, err error) {
		t.Helper()
		require.Equal(t, string(want), string(out), what)
		require.Equal(t, wantN, n, what)
		require.Equal(t, wantErr, err, what)
	}
	step := 1
	if len(in) > 10000 {
		step = len(in)/300 + 1
	}
	for k := 0; k <= len(in); k += step {
		out, n, err := feed(f, in[:k], in[k:])
		check("split at "+strconv.Itoa(k), out, n, err)
	}
	if len(in) <= 10000 {
		chunks := make([][]byte, len(in))
		for i := range in {
			chunks[i] = in[i : i+1]
		}
		out, n, err := feed(f, chunks...)
		check("byte by byte", out, n, err)
	}
}

// appendCase is one input to an appendFunc and what it must give.
type appendCase struct {
	name     string
	in       string
	out      string
	consumed int // -1: len(in)
	err      error
}

// runAppendCases checks f against each case: fed whole, appended after a
// prefix in dst, and split at every boundary (requireSplitsAgree).
func runAppendCases(t *testing.T, f appendFunc, cases []appendCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			wantN := tc.consumed
			if wantN < 0 {
				wantN = len(in)
			}
			out, n, err := f(nil, in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.out, string(out))
			require.Equal(t, wantN, n)

			// dst is appended to, not overwritten.
			out, n, err = f([]byte("prefix"), in)
			require.Equal(t, "prefix"+tc.out, string(out))
			require.Equal(t, wantN, n)
			require.Equal(t, tc.err, err)

			requireSplitsAgree(t, f, in)
		})
	}
}

// requireChunkedStream feeds stream to f in chunks of every size from 1 to
// 64 bytes and checks that each way gives want and consumes everything.
func requireChunkedStream(t *testing.T, f appendFunc, stream, want string) {
	t.Helper()
	for size := 1; size <= 64; size++ {
		var chunks [][]byte
		for i := 0; i < len(stream); i += size {
			chunks = append(chunks, []byte(stream[i:min(i+size, len(stream))]))
		}
		out, n, err := feed(f, chunks...)
		require.NoError(t, err)
		require.Equal(t, len(stream), n)
		require.Equal(t, want, string(out), "chunk size %d", size)
	}
}

// requireNoAllocs checks that f, appending into a dst of capacity dstCap,
// allocates nothing for any of inputs.
func requireNoAllocs(t *testing.T, f appendFunc, dstCap int, inputs map[string]string) {
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			b := []byte(in)
			dst := make([]byte, 0, dstCap)
			allocs := testing.AllocsPerRun(100, func() {
				dst, _, _ = f(dst[:0], b)
			})
			require.Zero(t, allocs)
		})
	}
}
