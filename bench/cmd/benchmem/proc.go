package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"time"
)

// serverProc is the driver's handle on a server process (see serve.go).
type serverProc struct {
	c     benchCase
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its standard output, line by line
}

// How long the driver waits for a server process: to listen, for a
// result (write-cap waits up to settleLimit for the bytes to settle), and
// to exit.
const (
	startLimit  = 30 * time.Second
	resultLimit = settleLimit + time.Minute
	exitLimit   = 15 * time.Second
)

// startServerProc starts this program again as the server of c and
// returns it once it listens, with its address.
func startServerProc(c benchCase) (*serverProc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("benchmem: finding this program to start its server process: %w", err)
	}
	spec, err := json.Marshal(c)
	if err != nil {
		return nil, "", fmt.Errorf("benchmem: encoding the case: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), caseEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", fmt.Errorf("benchmem: server process: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("benchmem: server process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("benchmem: starting the server process: %w", err)
	}
	p := &serverProc{c: c, cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20) // a result line can be long
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	addr, err := p.expect(msgListen, startLimit)
	if err != nil {
		p.kill()
		return nil, "", err
	}
	return p, addr, nil
}

// expect waits for the server's next line, which must be word and
// possibly more, and returns the more.
func (p *serverProc) expect(word string, limit time.Duration) (string, error) {
	select {
	case line, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("benchmem: %v: the server process exited before %s", p.c, word)
		}
		if line == word {
			return "", nil
		}
		rest, found := strings.CutPrefix(line, word+" ")
		if !found {
			return "", fmt.Errorf("benchmem: %v: the server process said %q, not %s", p.c, line, word)
		}
		return rest, nil
	case <-time.After(limit):
		return "", fmt.Errorf("benchmem: %v: no %s from the server process within %v", p.c, word, limit)
	}
}

// send writes a line to the server.
func (p *serverProc) send(line string) error {
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		return fmt.Errorf("benchmem: %v: writing to the server process: %w", p.c, err)
	}
	return nil
}

// result waits for the server's result.
func (p *serverProc) result() (result, error) {
	var r result
	j, err := p.expect(msgResult, resultLimit)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(j), &r); err != nil {
		return r, fmt.Errorf("benchmem: %v: the server's result: %w", p.c, err)
	}
	return r, nil
}

// wait waits for the server process to exit, and kills it if it does not.
func (p *serverProc) wait() error {
	closeErr := p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("benchmem: %v: the server process: %w", p.c, err)
		}
		if closeErr != nil && !errors.Is(closeErr, os.ErrClosed) {
			return fmt.Errorf("benchmem: %v: closing the server's input: %w", p.c, closeErr)
		}
		return nil
	case <-time.After(exitLimit):
		p.signalKill()
		<-done
		return fmt.Errorf("benchmem: %v: the server process did not exit within %v; killed", p.c, exitLimit)
	}
}

// kill ends the server process at once, after a failure, and reaps it.
func (p *serverProc) kill() {
	p.signalKill()
	_ = p.cmd.Wait() // it was killed: its exit status says nothing
}

// signalKill sends the server process SIGKILL.
func (p *serverProc) signalKill() {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		log.Printf("benchmem: %v: killing the server process: %v", p.c, err)
	}
}
