package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"
)

// The server process. The driver starts this same program once per case
// with the case, as JSON, in the environment variable caseEnv. The process
// serves the case and talks to the driver line by line: it reports on its
// standard output, and the driver answers on its standard input.
//
//	server: LISTEN 127.0.0.1:port   listening; the baseline is taken
//	driver: CONNECTED               every peer has connected
//	server: READY                   every connection is accepted (and, to a flood, sampling)
//	driver: STOP                    the flood is over (read scenarios only)
//	server: RESULT {...}            the result, as JSON; then the process exits
const (
	caseEnv      = "BENCHMEM_CASE"
	msgListen    = "LISTEN"
	msgConnected = "CONNECTED"
	msgReady     = "READY"
	msgStop      = "STOP"
	msgResult    = "RESULT"
)

// How long the server process waits: for the accepted connections to
// match the peers', and, after a flood, for the bytes in flight to land.
const (
	acceptLimit = 30 * time.Second
	afterFlood  = 200 * time.Millisecond
)

// result is what the server process reports about its case, in bytes.
type result struct {
	Case        benchCase      `json:"case"`
	Base        baseline       `json:"baseline"`
	Peak        *peak          `json:"peak,omitempty"`           // read scenarios: the most held during the flood
	After       settled        `json:"after"`                    // once the load is over, the connections still open
	Settled     bool           `json:"settled"`                  // write-cap: the unsent bytes stopped growing in time
	Out         int64          `json:"buffered_out"`             // Stats().BytesBufferedOut when After was measured
	In          int64          `json:"buffered_in"`              // Stats().BytesBufferedIn then
	Open        int            `json:"open"`                     // Stats().IncomingSockets then
	Fullest     int64          `json:"fullest"`                  // what the fullest open socket held then: Unsent (write-cap) or Buffered
	Events      map[string]int `json:"events"`                   // the sockets' conditions, by kind
	Problems    map[string]int `json:"problems,omitempty"`       // calls that failed in callbacks (Disable)
	Refused     int64          `json:"refused_writes,omitempty"` // write-cap: Writes refused at the cap
	WriteErrors int64          `json:"write_errors,omitempty"`   // write-cap: Writes that failed otherwise
	Delivered   int64          `json:"delivered"`                // bytes given to read callbacks
}

// serveMain is the server process's main: it serves the case spec and
// returns the exit status.
func serveMain(spec string) int {
	if err := serve(spec, os.Stdin, os.Stdout); err != nil {
		log.Print(err)
		return 1
	}
	return 0
}

// serve runs the server side of the case spec (JSON), reading the driver's
// lines from in and writing its own to out.
func serve(spec string, in io.Reader, out io.Writer) error {
	var c benchCase
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		return fmt.Errorf("benchmem: the case in $%s: %w", caseEnv, err)
	}
	b, err := startServer(c)
	if err != nil {
		return err
	}
	res, err := b.run(bufio.NewScanner(in), out)
	if err == nil {
		err = say(out, "%s %s", msgResult, res)
	}
	return errors.Join(err, b.close())
}

// run goes through the case with the driver and measures.
func (b *benchServer) run(in *bufio.Scanner, out io.Writer) ([]byte, error) {
	base, err := measureBaseline()
	if err != nil {
		return nil, err
	}
	if err := resetPeakRSS(); err != nil {
		log.Printf("%v (the peak RSS counts from the server's start)", err)
	}
	if err := say(out, "%s %s", msgListen, b.addr); err != nil {
		return nil, err
	}
	if err := expectLine(in, msgConnected); err != nil {
		return nil, err
	}
	if err := b.waitConnected(b.c.N, acceptLimit); err != nil {
		return nil, err
	}
	res := result{Case: b.c, Base: base}
	if b.c.floods() {
		smp := startSampler(b.l)
		if err := say(out, "%s", msgReady); err != nil {
			return nil, err
		}
		if err := expectLine(in, msgStop); err != nil {
			return nil, err
		}
		p, err := smp.finish()
		if err != nil {
			return nil, err
		}
		res.Peak = &p
		time.Sleep(afterFlood)
	} else {
		if err := say(out, "%s", msgReady); err != nil {
			return nil, err
		}
		res.Settled = b.waitUnsent()
		res.Refused, res.WriteErrors = b.fill.refused.Load(), b.fill.failed.Load()
	}
	if res.After, err = measureSettled(b.c.HeapProfile); err != nil {
		return nil, err
	}
	st := b.l.Stats()
	res.Out, res.In, res.Open = st.BytesBufferedOut, st.BytesBufferedIn, st.IncomingSockets
	res.Fullest = b.fullest()
	res.Events, res.Problems = b.events.snapshot(), b.problems.snapshot()
	res.Delivered = b.delivered.Load()
	j, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("benchmem: encoding the result: %w", err)
	}
	return j, nil
}

// say writes one line of the protocol.
func say(out io.Writer, format string, args ...any) error {
	if _, err := fmt.Fprintf(out, format+"\n", args...); err != nil {
		return fmt.Errorf("benchmem: writing to the driver: %w", err)
	}
	return nil
}

// expectLine reads the next line from the driver and checks that it is
// want.
func expectLine(in *bufio.Scanner, want string) error {
	if !in.Scan() {
		if err := in.Err(); err != nil {
			return fmt.Errorf("benchmem: reading from the driver: %w", err)
		}
		return fmt.Errorf("benchmem: the driver went away before %s", want)
	}
	if got := in.Text(); got != want {
		return fmt.Errorf("benchmem: the driver said %q, not %s", got, want)
	}
	return nil
}
