// Command benchrun is asyncnet's benchmark driver. It runs each server of
// package servers in a process of its own and loads it, interleaved (A B C
// A B C ...) over several rounds, then prints medians and ratios against
// raw gnet, and writes the raw results as CSV for cmd/benchplot:
//
//   - echo: a closed-loop load (package load) in five scenarios, from one
//     connection ping-pong to 10,000 connections of which 1 % are active;
//   - churn: short-lived connections (package load's Churn), clients that
//     each connect, echo 64 bytes and close (with FIN or a reset), in a loop;
//   - a burst: 10,000 connections opened at once, one echo each, closed
//     together (package load's Burst);
//   - idle memory: the server's resident memory per connection with N idle
//     connections, after one echo each;
//   - HTTP plaintext with wrk (also with "Connection: close", a new
//     connection per request) and RESP PING with redis-benchmark, if they
//     are installed (scripts/install-tools.sh installs them).
//
// By default the servers run on CPU 0 with one event loop and the load on
// CPU 1 (with -pin=false both float over every CPU). Run from bench/:
//
//	go run ./cmd/benchrun                      # everything, 5 rounds (about 35 minutes)
//	go run ./cmd/benchrun -smoke -out /tmp/x   # a few seconds: checks it all works
//	go run ./cmd/benchrun -scenarios "" -idle 0 -tool-loads plaintext-close -out /tmp/c   # churn only
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/bench/servers"
)

type options struct {
	rounds           int
	warmup, duration time.Duration
	impls, scenarios []string
	churn            []string // churn scenarios
	burst            int      // connections of the burst (0: none)
	sources          int      // loopback source addresses of churn and burst clients
	toolLoads        []string // wrk and redis-benchmark loads
	out              string
	idleConns        int
	tools            bool
	toolConns        int
	pin              bool
	loops            int
	bin              string
	smoke            bool
	profiles         string
	summarize        bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchrun: ")
	var o options
	var impls, scens, churn, toolLoads string
	flag.IntVar(&o.rounds, "rounds", 5, "rounds: every server runs every load once per round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "load before measuring, per run")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "measuring time, per run")
	flag.StringVar(&impls, "impls", strings.Join(servers.Impls(servers.Echo), ","), "servers to run")
	flag.StringVar(&scens, "scenarios", scenarioNames(), "echo scenarios to run (\"\" for none)")
	flag.StringVar(&churn, "churn", churnScenarioNames(), "churn scenarios to run (\"\" for none)")
	flag.IntVar(&o.burst, "burst", 10000, "connections of the burst (0: skip it)")
	flag.IntVar(&o.sources, "sources", 16, "loopback source addresses (127.0.0.2 and up) the churn and burst clients spread over, so that connect finds free ports at once (0: 127.0.0.1 only)")
	flag.StringVar(&toolLoads, "tool-loads", toolLoadNames(), "wrk and redis-benchmark loads to run")
	flag.StringVar(&o.out, "out", "results", "directory for the CSV results and summary.md")
	flag.IntVar(&o.idleConns, "idle", 10000, "idle connections for the memory probe (0: skip it)")
	flag.BoolVar(&o.tools, "tools", true, "run the wrk and redis-benchmark loads (if installed)")
	flag.IntVar(&o.toolConns, "tool-conns", 50, "connections of wrk and redis-benchmark")
	flag.BoolVar(&o.pin, "pin", runtime.NumCPU() >= 2, "servers on CPU 0, the load on CPU 1")
	flag.IntVar(&o.loops, "loops", 0, "event loops per server (default 1 with -pin, else the number of CPUs)")
	flag.StringVar(&o.bin, "server", "", "benchserver binary (default: built from ./cmd/benchserver)")
	flag.StringVar(&o.profiles, "cpuprofile", "", "directory for a CPU profile of each echo and churn run's server (go tool pprof)")
	flag.BoolVar(&o.summarize, "summarize", false, "only write the summary of the results already in -out")
	flag.BoolVar(&o.smoke, "smoke", false, "a few seconds of everything, small: checks that it all works")
	flag.Parse()
	o.impls = split(impls)
	o.scenarios = split(scens)
	o.churn = split(churn)
	o.toolLoads = split(toolLoads)
	if o.smoke {
		o.rounds, o.warmup, o.duration, o.idleConns, o.tools = 1, 100*time.Millisecond, 300*time.Millisecond, 100, false
		o.burst = min(o.burst, 100)
		if !flagSet("churn") { // both close modes and both sizes, in half the time
			o.churn = []string{churnScenarios[0].name, churnScenarios[3].name}
		}
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// flagSet reports whether the command line set the flag name.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func scenarioNames() string {
	var names []string
	for _, sc := range scenarios {
		names = append(names, sc.name)
	}
	return strings.Join(names, ",")
}

func churnScenarioNames() string {
	var names []string
	for _, sc := range churnScenarios {
		names = append(names, sc.name)
	}
	return strings.Join(names, ",")
}

func toolLoadNames() string {
	var names []string
	for _, tr := range toolRuns(time.Second, 1) {
		names = append(names, tr.scenario)
	}
	return strings.Join(names, ",")
}

func run(o options) error {
	if o.summarize {
		return summarize(o.out)
	}
	if os.Getenv(pinnedEnv) != "" {
		o.pin = true // this is the pinned run repin started
	} else if o.pin {
		return repin() // run again under taskset: the load on CPU 1
	}
	if o.pin {
		runtime.GOMAXPROCS(1)
	}
	if o.loops == 0 {
		o.loops = machineCPUs()
		if o.pin {
			o.loops = 1
		}
	}
	scs, err := pickScenarios(o)
	if err != nil {
		return err
	}
	churns, err := pickChurn(o)
	if err != nil {
		return err
	}
	if err := checkToolLoads(o.toolLoads); err != nil {
		return err
	}
	for _, impl := range o.impls {
		if !slices.Contains(servers.Impls(servers.Echo), impl) {
			return fmt.Errorf("-impls: no server %q (there are %v)", impl, servers.Impls(servers.Echo))
		}
	}
	if err := checkFDs(scs, max(o.idleConns, o.burst)); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchrun")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sp := serverSpec{bin: o.bin, loops: o.loops}
	if o.pin {
		sp.cpus = "0"
	}
	if sp.bin == "" {
		if sp.bin, err = buildServer(tmp); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := writeMachine(o); err != nil {
		return err
	}
	if err := runEchoes(ctx, o, sp, scs); err != nil {
		return err
	}
	if err := runChurns(ctx, o, sp, churns); err != nil {
		return err
	}
	if err := runBursts(ctx, o, sp); err != nil {
		return err
	}
	if err := runIdles(ctx, o, sp); err != nil {
		return err
	}
	if err := runTools(ctx, o, sp, tmp); err != nil {
		return err
	}
	return summarize(o.out)
}

// summarize writes dir/summary.md (and prints it) from the CSV results in
// dir: medians, and ratios against raw gnet.
func summarize(dir string) error {
	rs, err := loadResults(dir)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "summary.md"))
	if err != nil {
		return err
	}
	rs.write(os.Stdout)
	rs.write(f)
	return f.Close()
}

// pinnedEnv marks the run that repin starts on CPU 1; it holds the number
// of CPUs of the machine (the pinned process sees only one).
const pinnedEnv = "BENCHRUN_PINNED"

// machineCPUs returns the machine's CPUs, also in the pinned run.
func machineCPUs() int {
	if n, err := strconv.Atoi(os.Getenv(pinnedEnv)); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// repin runs this program again with the same arguments on CPU 1, where
// the load runs; the servers it starts go on CPU 0.
func repin() error {
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("-pin needs taskset (util-linux); or run with -pin=false")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "1", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), pinnedEnv+"="+strconv.Itoa(runtime.NumCPU()))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt) // the child gets it and stops cleanly
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		return err
	}
	return nil
}

func pickScenarios(o options) ([]scenario, error) {
	var scs []scenario
	for _, name := range o.scenarios {
		i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.name == name })
		if i < 0 {
			return nil, fmt.Errorf("-scenarios: no scenario %q (there are %s)", name, scenarioNames())
		}
		sc := scenarios[i]
		if o.smoke { // small and quick, every code path still taken
			sc.conns = min(sc.conns, 20)
			if sc.active > 0 {
				sc.active = 2
			}
		}
		scs = append(scs, sc)
	}
	return scs, nil
}

func pickChurn(o options) ([]churnScenario, error) {
	var scs []churnScenario
	for _, name := range o.churn {
		i := slices.IndexFunc(churnScenarios, func(sc churnScenario) bool { return sc.name == name })
		if i < 0 {
			return nil, fmt.Errorf("-churn: no scenario %q (there are %s)", name, churnScenarioNames())
		}
		scs = append(scs, churnScenarios[i])
	}
	return scs, nil
}

func checkToolLoads(names []string) error {
	all := split(toolLoadNames())
	for _, name := range names {
		if !slices.Contains(all, name) {
			return fmt.Errorf("-tool-loads: no load %q (there are %s)", name, strings.Join(all, ","))
		}
	}
	return nil
}

// checkFDs makes sure that the client side of the largest load fits under
// the descriptor limit (the server, a process of its own, needs as many):
// the echo scenarios' connections, or held, those the idle probe or the
// burst holds at once.
func checkFDs(scs []scenario, held int) error {
	need := held
	for _, sc := range scs {
		need = max(need, sc.conns)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if uint64(need)+100 > lim.Cur {
		return fmt.Errorf("%d connections need more descriptors than the limit of %d (ulimit -n): use a smaller -idle or -burst, or fewer -scenarios", need, lim.Cur)
	}
	return nil
}

// buildServer builds cmd/benchserver into dir.
func buildServer(dir string) (string, error) {
	bin := filepath.Join(dir, "benchserver")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/benchserver")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cmd/benchserver (run benchrun from bench/): %w", err)
	}
	return bin, nil
}

// order returns impls rotated by round, so that no server always runs
// first (or right after the same other one).
func order(impls []string, round int) []string {
	n := len(impls)
	out := make([]string, n)
	for i := range impls {
		out[i] = impls[(i+round)%n]
	}
	return out
}

// interleave runs every load of loads on every server of impls once per
// round, rotating the servers' order each round (order), and stops at the
// first error.
func interleave(ctx context.Context, rounds int, loads, impls []string, run func(round int, load, impl string) error) error {
	for round := 1; round <= rounds; round++ {
		for _, ld := range loads {
			for _, impl := range order(impls, round) {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := run(round, ld, impl); err != nil {
					return fmt.Errorf("round %d, %s: %w", round, ld, err)
				}
			}
		}
	}
	return nil
}

// profile returns the file for a CPU profile of impl's server under load in
// round, or "" without -cpuprofile.
func (o options) profile(impl, load string, round int) (string, error) {
	if o.profiles == "" {
		return "", nil
	}
	if err := os.MkdirAll(o.profiles, 0o755); err != nil {
		return "", err
	}
	return filepath.Abs(filepath.Join(o.profiles, fmt.Sprintf("%s-%s-%d.pprof", impl, load, round)))
}

func runEchoes(ctx context.Context, o options, sp serverSpec, scs []scenario) error {
	if len(scs) == 0 {
		return nil
	}
	t, err := createTable(o.out, "echo.csv", echoHeader)
	if err != nil {
		return err
	}
	defer t.Close()
	byName := map[string]scenario{}
	var names []string
	for _, sc := range scs {
		byName[sc.name] = sc
		names = append(names, sc.name)
	}
	return interleave(ctx, o.rounds, names, o.impls, func(round int, name, impl string) error {
		sc := byName[name]
		profile, err := o.profile(impl, name, round)
		if err != nil {
			return err
		}
		r, err := runEcho(ctx, sp, impl, sc, o.warmup, o.duration, profile)
		if err != nil {
			return err
		}
		log.Printf("round %d %-16s %-16s %10.0f msgs/s  p50 %7.1fµs  p99 %8.1fµs", round, sc.name, impl,
			r.MsgsPerSec, us(r.P50), us(r.P99))
		return t.add(r.row(round, impl, sc)...)
	})
}

func runIdles(ctx context.Context, o options, sp serverSpec) error {
	if o.idleConns == 0 {
		return nil
	}
	t, err := createTable(o.out, "idle.csv", idleHeader)
	if err != nil {
		return err
	}
	defer t.Close()
	return interleave(ctx, o.rounds, []string{"idle memory"}, o.impls, func(round int, _, impl string) error {
		r, err := runIdle(ctx, sp, impl, o.idleConns)
		if err != nil {
			return err
		}
		log.Printf("round %d idle %-16s %6.0f bytes/conn", round, impl, r.perConn(o.idleConns))
		return t.add(r.row(round, impl, o.idleConns)...)
	})
}

func runTools(ctx context.Context, o options, sp serverSpec, tmp string) error {
	if !o.tools {
		return nil
	}
	var trs []toolRun
	for _, tr := range toolRuns(o.duration, o.toolConns) {
		if !slices.Contains(o.toolLoads, tr.scenario) {
			continue
		}
		if haveTool(tr.tool) {
			trs = append(trs, tr)
		} else {
			log.Printf("%s is not installed: skipping its loads (scripts/install-tools.sh installs it)", tr.tool)
		}
	}
	if len(trs) == 0 {
		return nil
	}
	if err := writeLua(tmp); err != nil {
		return err
	}
	t, err := createTable(o.out, "http.csv", httpHeader)
	if err != nil {
		return err
	}
	defer t.Close()
	clientCPUs := ""
	if o.pin {
		clientCPUs = "1"
	}
	for round := 1; round <= o.rounds; round++ {
		for _, tr := range trs {
			for _, impl := range order(servers.Impls(tr.proto), round) {
				if !slices.Contains(o.impls, impl) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := runTool(sp, impl, tr, tmp, clientCPUs)
				if err != nil {
					return fmt.Errorf("round %d: %w", round, err)
				}
				log.Printf("round %d %-15s %-22s %-10s %10.0f req/s  p50 %7.1fµs", round, tr.tool, tr.scenario, impl, r.rps, us(r.p50))
				if err := t.add(r.row(round, tr, impl)...); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// writeMachine records what the results were measured on.
func writeMachine(o options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "cpus: %d\n", machineCPUs())
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				fmt.Fprintf(&b, "cpu: %s\n", strings.TrimLeft(name, " \t:"))
				break
			}
		}
	}
	if v, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		fmt.Fprintf(&b, "kernel: %s", v)
	}
	fmt.Fprintf(&b, "rounds: %d, warm-up %v, measuring %v per run\n", o.rounds, o.warmup, o.duration)
	fmt.Fprintf(&b, "servers: %d event loop(s) each", o.loops)
	if o.pin {
		b.WriteString(", pinned to CPU 0; load pinned to CPU 1")
	}
	b.WriteString("\nargs: " + strings.Join(os.Args[1:], " ") + "\n")
	if o.pin && !pinnedRight() {
		return errors.New("-pin: the servers would not run on CPU 0 (is taskset working?)")
	}
	fmt.Fprintf(&b, "loads: %d echo scenarios, %d churn scenarios, burst of %d, tool loads %s\n",
		len(o.scenarios), len(o.churn), o.burst, strings.Join(o.toolLoads, ","))
	fmt.Fprintf(&b, "churn and burst clients: %d loopback source addresses\n", o.sources)
	for _, name := range []string{"net/ipv4/ip_local_port_range", "net/ipv4/tcp_tw_reuse", "net/ipv4/tcp_max_tw_buckets",
		"net/core/somaxconn", "net/ipv4/tcp_max_syn_backlog", "net/ipv4/tcp_syncookies"} {
		if v, err := os.ReadFile("/proc/sys/" + name); err == nil {
			fmt.Fprintf(&b, "%s: %s\n", strings.ReplaceAll(name, "/", "."), strings.Join(strings.Fields(string(v)), " "))
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		fmt.Fprintf(&b, "open files: %d\n", lim.Cur)
	}
	return os.WriteFile(filepath.Join(o.out, "machine.txt"), []byte(b.String()), 0o644)
}

// pinnedRight reports whether this process runs on CPU 1 only, as repin
// asked.
func pinnedRight() bool {
	out, err := exec.Command("taskset", "-p", strconv.Itoa(os.Getpid())).Output()
	return err == nil && strings.HasSuffix(strings.TrimSpace(string(out)), ": 2")
}
