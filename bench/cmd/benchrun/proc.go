package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// proc is a benchserver process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its standard output, line by line
	addr  string
}

// serverSpec says how to start servers.
type serverSpec struct {
	bin   string // the benchserver binary
	loops int    // event loops (and GOMAXPROCS) of each server
	cpus  string // taskset CPU list for the servers ("" = no pinning)
}

// start starts impl serving proto on a free loopback port and waits until
// it is ready.
func (sp serverSpec) start(impl, proto string) (*proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-impl", impl, "-proto", proto, "-addr", addr, "-loops", strconv.Itoa(sp.loops)}
	name := sp.bin
	if sp.cpus != "" {
		name, args = "taskset", append([]string{"-c", sp.cpus, sp.bin}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(sp.loops))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", impl, err)
	}
	p := &proc{cmd: cmd, stdin: stdin, lines: make(chan string, 16), addr: addr}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	if err := p.expect("READY", 20*time.Second); err != nil {
		p.kill()
		return nil, fmt.Errorf("%s (%s): %w", impl, proto, err)
	}
	return p, nil
}

// freePort returns a loopback address with a port nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// expect waits for the line want on the process's output.
func (p *proc) expect(want string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return errors.New("the server exited")
			}
			if line == want {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("no %q within %v", want, timeout)
		}
	}
}

// gc has the server collect garbage and return freed memory to the system.
func (p *proc) gc() error { return p.command("gc") }

// command sends cmd to the server and waits for its "OK".
func (p *proc) command(cmd string) error {
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		return err
	}
	return p.expect("OK", 30*time.Second)
}

// query sends cmd to the server and returns the rest of its answer, a line
// "OK rest".
func (p *proc) query(cmd string) (string, error) {
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		return "", err
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return "", errors.New("the server exited")
			}
			if rest, ok := strings.CutPrefix(line, "OK "); ok {
				return rest, nil
			}
			if strings.HasPrefix(line, "ERR") {
				return "", fmt.Errorf("%s: %s", cmd, line)
			}
		case <-deadline:
			return "", fmt.Errorf("%s: no answer within 30s", cmd)
		}
	}
}

// serverStats is the server's answer to "stats".
type serverStats struct {
	goroutines, peakGoroutines int64
	created                    int64 // goroutines created since the server started; -1: unknown
}

// stats asks the server for its goroutine counts.
func (p *proc) stats() (serverStats, error) {
	rest, err := p.query("stats")
	if err != nil {
		return serverStats{}, err
	}
	return parseStats(rest)
}

// peaks are a server's largest goroutine and OS thread counts.
type peaks struct{ goroutines, threads int64 }

func (a peaks) max(b peaks) peaks {
	return peaks{goroutines: max(a.goroutines, b.goroutines), threads: max(a.threads, b.threads)}
}

// peaks returns the server's peak goroutines since "peak start" and its OS
// threads now (/proc/pid/status): Go does not end the threads it starts,
// except one whose goroutine locked it and exited, so the count now is the
// peak so far.
func (p *proc) peaks() (peaks, error) {
	st, err := p.stats()
	if err != nil {
		return peaks{}, err
	}
	threads, err := p.threads()
	if err != nil {
		return peaks{}, err
	}
	return peaks{goroutines: st.peakGoroutines, threads: threads}, nil
}

// parseStats reads "goroutines=N peak_goroutines=N goroutines_created=N"
// (the last may be empty: unknown).
func parseStats(s string) (serverStats, error) {
	st := serverStats{goroutines: -1, peakGoroutines: -1, created: -1}
	for _, f := range strings.Fields(s) {
		name, v, _ := strings.Cut(f, "=")
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return serverStats{}, fmt.Errorf("stats %q: %w", s, err)
		}
		switch name {
		case "goroutines":
			st.goroutines = n
		case "peak_goroutines":
			st.peakGoroutines = n
		case "goroutines_created":
			st.created = n
		}
	}
	if st.goroutines < 0 || st.peakGoroutines < 0 {
		return serverStats{}, fmt.Errorf("stats %q: no goroutine counts", s)
	}
	return st, nil
}

// stop asks the server to stop, and kills it if it does not.
func (p *proc) stop() error {
	_, _ = io.WriteString(p.stdin, "quit\n")
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		p.kill()
		<-done
		return errors.New("the server did not stop; killed")
	}
}

func (p *proc) kill() { _ = p.cmd.Process.Kill() }

// clockTick is Linux's USER_HZ, the unit of /proc/pid/stat's CPU times.
const clockTick = 100

// cpu returns the CPU time the server has used, user and system.
func (p *proc) cpu() (time.Duration, error) {
	return cpuOf(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
}

// selfCPU returns the CPU time this process (the load) has used.
func selfCPU() (time.Duration, error) { return cpuOf("/proc/self/stat") }

// cpuOf reads the user and system CPU time from a /proc/…/stat file.
func cpuOf(stat string) (time.Duration, error) {
	b, err := os.ReadFile(stat)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/pid/stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state): utime is field 14
	if len(f) < 13 {
		return 0, errors.New("short /proc/pid/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTick, nil
}

// rssKiB returns the server's resident memory in KiB.
func (p *proc) rssKiB() (int64, error) {
	v, err := p.status("VmRSS")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
}

// threads returns the server's number of OS threads now.
func (p *proc) threads() (int64, error) {
	v, err := p.status("Threads")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// status returns a field of the server's /proc/pid/status.
func (p *proc) status(field string) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("no %s in /proc/pid/status", field)
}
