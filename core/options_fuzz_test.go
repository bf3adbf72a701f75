package core_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
)

// optionsFrom decodes b into a list of socket options, 5 bytes each: which
// option, then an int32 argument.
func optionsFrom(b []byte) []core.ServerOption {
	var opts []core.ServerOption
	for ; len(b) >= 5; b = b[5:] {
		n := int(int32(binary.LittleEndian.Uint32(b[1:5])))
		d := time.Duration(n) * time.Millisecond
		switch b[0] % 12 {
		case 0:
			opts = append(opts, core.WithReadTimeout(d))
		case 1:
			opts = append(opts, core.WithWriteTimeout(d))
		case 2:
			opts = append(opts, core.WithMaxReadBuffer(n))
		case 3:
			opts = append(opts, core.WithMaxWriteBuffer(n))
		case 4:
			opts = append(opts, core.WithWriteWatermarks(n&0xffff, n>>16))
		case 5:
			opts = append(opts, core.WithWriteOverflow(core.OverflowPolicy(n)))
		case 6:
			opts = append(opts, core.WithDontDrainReadBuffer())
		case 7:
			opts = append(opts, core.OnEvent(nil))
		case 8:
			opts = append(opts, core.NewOption("legacy", core.ForWrite, func(*core.Settings) error { return nil })) // a runtime-checked option of another target
		case 9:
			opts = append(opts, core.OnDrain(func(*core.Socket) {}))
		case 10:
			opts = append(opts, nil) // a nil option
		case 11:
			opts = append(opts, core.OnWrite(func(*core.Socket) {}))
		}
	}
	return opts
}

// FuzzOptions: any list of options either configures a server consistently
// or is rejected with an error that matches ErrInvalidArgument; never a
// panic.
func FuzzOptions(f *testing.F) {
	f.Add([]byte{0, 100, 0, 0, 0})
	f.Add([]byte{3, 0, 0, 1, 0, 4, 0, 1, 0, 2})                               // a cap of 64 KiB below watermarks of 1 KiB..512 KiB
	f.Add([]byte{2, 0xff, 0xff, 0xff, 0xff})                                  // a negative size
	f.Add([]byte{5, 7, 0, 0, 0, 10, 0, 0, 0, 0})                              // an unknown policy, a zero Option
	f.Add([]byte{8, 0, 0, 0, 0})                                              // OnRead: for writes only
	f.Add([]byte{4, 0, 1, 0, 1, 3, 0, 0, 0, 1, 6, 0, 0, 0, 0, 1, 0, 0, 0, 0}) // watermarks, cap, dont-drain, no timeout
	f.Fuzz(func(t *testing.T, b []byte) {
		opts := optionsFrom(b)
		st, err := core.ResolveServer("fuzz", opts)
		if err != nil {
			require.ErrorIs(t, err, core.ErrInvalidArgument)
			return
		}
		require.GreaterOrEqual(t, st.ReadTimeout, time.Duration(0))
		require.GreaterOrEqual(t, st.WriteTimeout, time.Duration(0))
		require.GreaterOrEqual(t, st.MaxReadBuffer, 0)
		require.GreaterOrEqual(t, st.MaxWriteBuffer, 0)
		require.Contains(t, []core.OverflowPolicy{core.OverflowClose, core.OverflowRefuse}, st.Overflow)
		if st.WriteHighWatermark != 0 {
			require.Less(t, st.WriteLowWatermark, st.WriteHighWatermark)
		}
		if st.MaxWriteBuffer != 0 && st.WriteHighWatermark != 0 {
			require.GreaterOrEqual(t, st.MaxWriteBuffer, st.WriteHighWatermark)
		}
	})
}
