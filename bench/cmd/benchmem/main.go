// Command benchmem measures how much memory an asyncnet server holds when
// its peers abuse it, against the caps that should bound it
// (core.WithMaxWriteBuffer, core.WithMaxReadBuffer):
//
//   - write-cap: peers that never read; the server writes to each socket
//     until its write cap refuses more, and keeps it topped up, until the
//     unsent bytes (Loop.Stats().BytesBufferedOut) stop growing;
//   - read-cap-stream: a stream server (server.TCPServerStream) that never
//     reads, flooded by its peers;
//   - read-cap-paused: a callback server whose sockets disable reading on
//     connect (Socket.Disable), flooded by its peers.
//
// Each case runs its server in a fresh process of its own (this program,
// started again), whose live heap and resident memory it reports above
// the idle server's, and divided by N × cap; the peers are real TCP
// sockets on loopback, in this process. Run from bench/:
//
//	go run ./cmd/benchmem                         # the default cases, 3 rounds, under a minute
//	go run ./cmd/benchmem -smoke                  # a few seconds, tiny: checks it all works
//	go run ./cmd/benchmem -scenarios write-cap -n 100 -cap 8MiB -json
//
// It exits with 0 when every case ran, whether or not the targets were
// met (it measures), and with 1 when a case could not run.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// defaultRounds is how many times a full run runs each case: the heap a
// case ends with varies by a quarter from run to run with today's code
// (it depends on the capacity of the pooled buffers a socket happens to
// get), so one run is not enough to compare with.
const defaultRounds = 3

// options are the command's flags.
type options struct {
	scenarios []string
	n         int           // connections of every case; 0 keeps each case's own
	cap       int           // cap of every case; 0 keeps each case's own
	flood     time.Duration // the longest a flood lasts; 0 keeps the default
	loops     int           // the server's event loops; 0 means GOMAXPROCS
	rounds    int           // how many times each case runs
	smoke     bool
	format    string
	profiles  string // a directory for heap profiles, or ""
}

func main() {
	log.SetFlags(0)
	if spec := os.Getenv(caseEnv); spec != "" {
		os.Exit(serveMain(spec))
	}
	o, err := parseFlags(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, errUsage): // the flag package has said what is wrong
		os.Exit(2)
	case err != nil:
		log.Print(err)
		os.Exit(2)
	}
	if err := run(o, os.Stdout); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// errUsage marks the errors of a command line the flag package has
// already reported, with the usage.
var errUsage = errors.New("benchmem: bad command line")

// parseFlags reads the command line.
func parseFlags(args []string) (options, error) {
	var o options
	var scens string
	var capFlag sizeFlag
	var asJSON, asCSV bool
	fs := flag.NewFlagSet("benchmem", flag.ContinueOnError)
	fs.StringVar(&scens, "scenarios", strings.Join(scenarios, ","), "scenarios to run, comma-separated")
	fs.IntVar(&o.n, "n", 0, "connections of every case (default: each case's own)")
	fs.Var(&capFlag, "cap", "cap of every case, in bytes or with a unit: 1MiB, 64MiB (default: each case's own)")
	fs.DurationVar(&o.flood, "flood", 0, fmt.Sprintf("the longest the peers of a read scenario flood (default %v; %v with -smoke)", defaultFlood, smokeFlood))
	fs.IntVar(&o.loops, "loops", 0, "the server's event loops (default GOMAXPROCS)")
	fs.IntVar(&o.rounds, "rounds", 0, fmt.Sprintf("run every case this many times, a row per round: the figures vary from run to run (default %d; 1 with -smoke)", defaultRounds))
	fs.BoolVar(&o.smoke, "smoke", false, "a few seconds of every scenario, tiny: checks that it all works")
	fs.BoolVar(&asJSON, "json", false, "print the rows as JSON instead of a table")
	fs.BoolVar(&asCSV, "csv", false, "print the rows as CSV instead of a table")
	fs.StringVar(&o.profiles, "heapprofile", "", "a directory for a heap profile of each case's settled server (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("benchmem: unexpected arguments %q", fs.Args())
	}
	if o.n < 0 || o.loops < 0 || o.flood < 0 || o.rounds < 0 {
		return o, errors.New("benchmem: -n, -loops, -flood and -rounds may not be negative")
	}
	if o.rounds == 0 {
		o.rounds = defaultRounds
		if o.smoke {
			o.rounds = 1
		}
	}
	o.cap = int(capFlag)
	for _, s := range strings.Split(scens, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.scenarios = append(o.scenarios, s)
		}
	}
	switch {
	case asJSON && asCSV:
		return o, errors.New("benchmem: -json and -csv exclude each other")
	case asJSON:
		o.format = formatJSON
	case asCSV:
		o.format = formatCSV
	default:
		o.format = formatTable
	}
	return o, nil
}

// run runs the chosen cases one after the other and writes the report to
// w.
func run(o options, w io.Writer) error {
	cases, err := pickCases(o)
	if err != nil {
		return err
	}
	if o.profiles != "" {
		if err := os.MkdirAll(o.profiles, 0o755); err != nil {
			return fmt.Errorf("benchmem: heap profiles: %w", err)
		}
	}
	var rows []row
	for round := 1; round <= o.rounds; round++ {
		for _, c := range cases {
			if o.profiles != "" {
				c.HeapProfile = filepath.Join(o.profiles, fmt.Sprintf("%s-round%d.pb.gz", c.fileName(), round))
			}
			log.Printf("benchmem: round %d of %d: %v ...", round, o.rounds, c)
			rs, err := runCase(c)
			if err != nil {
				return err
			}
			for _, r := range rs {
				r.Round = round
				rows = append(rows, r)
			}
		}
	}
	return writeReport(w, rows, o.format)
}
