package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// haproxyConfig is the HAProxy recipe of docs/scaling.md: TCP mode, the
// PROXY protocol v2 to the backends (so that they see the client's
// address), Redis health checks (which send the header too), and a
// runtime API on a Unix socket, through which the demo takes a backend out
// of rotation before it stops it.
const haproxyConfig = `global
    stats socket {{.Socket}} mode 600 level admin
    maxconn 4096

defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A connect that fails (a backend that has just stopped listening) is
    # tried again, on another server.
    retries 3
    option redispatch

frontend redis
    bind {{.Frontend}}
    default_backend resp

backend resp
    balance roundrobin
    # PING, expect +PONG; every 200ms; down after 2 failures, up after 1
    # success.
    option redis-check
    default-server send-proxy-v2 check-send-proxy check inter 200ms fall 2 rise 1
{{- range .Servers}}
    server {{.Name}} {{.Addr}}
{{- end}}
`

// haproxy is a running HAProxy in front of the backends.
type haproxy struct {
	path     string
	dir      string // its configuration and runtime API socket
	frontend string // where clients connect
	socket   string // the runtime API
	cmd      *exec.Cmd
	exited   chan struct{}
	err      error
}

// server is a backend as HAProxy knows it.
type server struct{ Name, Addr string }

// findHAProxy returns the path of haproxy: Debian installs it in /usr/sbin,
// which a user's PATH may lack.
func findHAProxy() (string, error) {
	if path, err := exec.LookPath("haproxy"); err == nil {
		return path, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		path := filepath.Join(dir, "haproxy")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("haproxy is not installed (make deps installs it, from Debian's haproxy package)")
}

// freePort returns a loopback address no one listens on now, for HAProxy's
// frontend (HAProxy cannot say which port the kernel chose for it). Another
// program could take it before HAProxy does; then HAProxy fails to start
// and says so.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startHAProxy writes the configuration into dir, starts HAProxy in the
// foreground, and waits until its runtime API answers and every server
// has passed its health check.
func startHAProxy(ctx context.Context, path, dir string, servers []server, log io.Writer) (*haproxy, error) {
	frontend, err := freePort()
	if err != nil {
		return nil, err
	}
	h := &haproxy{path: path, dir: dir, frontend: frontend, socket: filepath.Join(dir, "haproxy.sock"), exited: make(chan struct{})}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	f, err := os.Create(cfgPath)
	if err != nil {
		return nil, err
	}
	err = template.Must(template.New("haproxy").Parse(haproxyConfig)).Execute(f, map[string]any{
		"Socket": h.socket, "Frontend": frontend, "Servers": servers,
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	h.cmd = exec.Command(path, "-f", cfgPath, "-db") // -db: in the foreground
	stderr, err := h.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	h.cmd.Stdout = h.cmd.Stderr
	if err := h.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintf(log, "  [haproxy] %s\n", sc.Text())
		}
		h.err = h.cmd.Wait()
		close(h.exited)
	}()
	for _, s := range servers {
		if err := h.waitStatus(ctx, s.Name, "UP"); err != nil {
			h.stop()
			return nil, err
		}
	}
	return h, nil
}

// stop ends HAProxy (SIGTERM: at once) and waits for it.
func (h *haproxy) stop() {
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err == nil {
		<-h.exited
	}
}

// api sends one command to HAProxy's runtime API and returns its answer.
func (h *haproxy) api(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.socket, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c) // without "prompt", HAProxy closes after its answer
	if err != nil {
		return "", err
	}
	answer := strings.TrimSpace(string(out))
	if strings.HasPrefix(cmd, "set ") && answer != "" && !strings.Contains(answer, "changed from") {
		return answer, fmt.Errorf("haproxy: %s: %s", cmd, answer)
	}
	return answer, nil
}

// stats returns HAProxy's "show stat" rows of the backend's servers, by
// server name, each a map of column to value.
func (h *haproxy) stats() (map[string]map[string]string, error) {
	out, err := h.api("show stat")
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# "))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("haproxy: show stat: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("haproxy: show stat: no header")
	}
	byServer := map[string]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, col := range rows[0] {
			if i < len(row) {
				m[col] = row[i]
			}
		}
		if m["pxname"] == "resp" {
			byServer[m["svname"]] = m
		}
	}
	return byServer, nil
}

// stat returns one number of a server's "show stat" row.
func (h *haproxy) stat(name, column string) (uint64, error) {
	st, err := h.stats()
	if err != nil {
		return 0, err
	}
	v, ok := st[name][column]
	if !ok {
		return 0, fmt.Errorf("haproxy: no %s for server %s", column, name)
	}
	if v == "" {
		return 0, nil
	}
	return strconv.ParseUint(v, 10, 64)
}

// waitStatus polls until the server's status starts with want ("UP",
// "MAINT"), within 10 seconds.
func (h *haproxy) waitStatus(ctx context.Context, name, want string) error {
	return poll(ctx, 10*time.Second, func() (bool, error) {
		st, err := h.stats()
		if err != nil {
			return false, nil // not answering yet
		}
		return strings.HasPrefix(st[name]["status"], want), nil
	}, func() string { return fmt.Sprintf("haproxy: server %s is not %s", name, want) })
}

// poll calls cond every 10ms until it is true or fails, ctx ends, or
// timeout passes (then the error says what).
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error), what func() string) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s after %v", what(), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond): // the pace of the polling
		}
	}
}
