//go:build unix

package client_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// PipeServer and PipeConnect (cl-async's pipe-server and pipe-connect)
// are TCPServer and TCPConnect over a Unix domain socket, given its path.
// WithSocketMode says who may connect; the server removes its socket file
// when it closes.
func ExamplePipeConnect() {
	dir, err := os.MkdirTemp("", "asyncnet-example") // mode 0700: nobody else gets in
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")

	err = core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.PipeServer(l, path, func(s *core.Socket, data []byte) {
			_, _ = s.Write(data) // echo
		}, server.WithSocketMode(0o600))
		if err != nil {
			fmt.Println(err)
			return
		}
		fi, err := os.Stat(path)
		if err != nil {
			fmt.Println(err)
		} else {
			fmt.Println("socket file mode:", fi.Mode())
		}
		_, err = client.PipeConnect(l, path, func(s *core.Socket, data []byte) {
			fmt.Printf("got %q\n", data)
			_ = s.Close()
			_ = srv.Close()
		}, client.WithData([]byte("hello, pipe")))
		if err != nil {
			fmt.Println(err)
			_ = srv.Close()
		}
	})
	fmt.Println("loop ended:", err)
	_, err = os.Stat(path)
	fmt.Println("socket file removed:", errors.Is(err, fs.ErrNotExist))
	// Output:
	// socket file mode: Srw-------
	// got "hello, pipe"
	// loop ended: <nil>
	// socket file removed: true
}

// A PipeConnect to a path where no server listens fails in the
// background: OnEvent gets conditions.TCPRefused, which unwraps to the
// OS error: ENOENT when there is no file, ECONNREFUSED when a socket file
// has nobody behind it.
func ExamplePipeConnect_refused() {
	path := filepath.Join(os.TempDir(), "asyncnet-example-nobody-here.sock")
	err := core.StartEventLoop(func(l *core.Loop) {
		_, err := client.PipeConnect(l, path, func(*core.Socket, []byte) {},
			core.OnEvent(func(s *core.Socket, ev error) {
				fmt.Println("refused:", errors.Is(ev, conditions.TCPRefused))
				fmt.Println("ENOENT:", errors.Is(ev, syscall.ENOENT))
				fmt.Println("closed:", s.Closed())
			}))
		if err != nil {
			fmt.Println(err)
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// refused: true
	// ENOENT: true
	// closed: true
	// loop ended: <nil>
}
