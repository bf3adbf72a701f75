package client_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMisplacedOptionsDoNotCompile: an option passed where it cannot apply
// is a compile error, not a run-time one; the options shared by several
// entry points fit each of them. It builds small programs in a module of
// their own that uses this one.
func TestMisplacedOptionsDoNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH: cannot build the programs under test")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	tests := []struct {
		name string
		code string // statements; l is a *core.Loop, s a *core.Socket
		want string // a part of the compile error; "" means it compiles
	}{
		{name: "shared", code: `_, _ = server.TCPServer(l, "", nil, core.OnEvent(nil), core.WithReadTimeout(1), server.WithBacklog(8))
	_, _ = client.TCPConnect(l, "", nil, core.OnEvent(nil), core.WithReadTimeout(1), client.WithData(nil))
	_ = s.WriteSocketData(nil, core.OnWrite(nil), core.OnEvent(nil), core.OnRead(nil))
	_, _ = client.ConnectTCPSocket(s, "", core.OnEvent(nil), client.WithDialTimeout(1))
	_, _ = adapters.Wrap(nil, adapters.WithLoopOptions(core.WithTickInterval(1)))`},
		{name: "clientToServer", code: `_, _ = server.TCPServer(l, "", nil, client.WithData(nil))`, want: "missing method ApplyServer"},
		{name: "serverToClient", code: `_, _ = client.TCPConnect(l, "", nil, server.WithBacklog(1))`, want: "missing method ApplyConnect"},
		{name: "readToServer", code: `_, _ = server.TCPServer(l, "", nil, core.OnRead(nil))`, want: "missing method ApplyServer"},
		{name: "connectToWrite", code: `_ = s.WriteSocketData(nil, core.OnConnect(nil))`, want: "missing method ApplyWrite"},
		{name: "dataToDial", code: `_, _ = client.ConnectTCPSocket(s, "", client.WithData(nil))`, want: "missing method ApplyDial"},
		{name: "reactorsToPlugin", code: `_, _ = adapters.Wrap(nil, adapters.WithLoopOptions(core.WithReactors(1)))`, want: "missing method hosted"},
	}
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("go.mod", fmt.Sprintf("module misuse\n\ngo 1.24\n\nrequire github.com/asyncnet/asyncnet v0.0.0\n\nreplace github.com/asyncnet/asyncnet => %s\n", root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	write("go.sum", string(sum))
	for _, tt := range tests {
		write(tt.name+"/main.go", `package main

import (
	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

var (
	_ = adapters.Wrap
	_ = client.TCPConnect
	_ = server.TCPServer
)

func main() {
	var l *core.Loop
	var s *core.Socket
	_, _ = l, s
	`+tt.code+`
}
`)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(goTool, "build", "-o", os.DevNull, "./"+tt.name)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			if tt.want == "" {
				require.NoError(t, err, "%s", out)
				return
			}
			require.Error(t, err, "it compiled")
			require.True(t, strings.Contains(string(out), tt.want), "want %q in:\n%s", tt.want, out)
		})
	}
}
