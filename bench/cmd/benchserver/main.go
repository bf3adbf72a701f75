// Command benchserver runs one benchmark server (package servers) in a
// process of its own, so that the driver (cmd/benchrun) can measure its
// CPU time and memory alone.
//
//	benchserver -impl asyncnet -proto echo -addr 127.0.0.1:9000 -loops 1
//
// It prints "READY" once it accepts connections, then reads commands on
// standard input: "gc" collects garbage and returns freed memory to the
// system (so that resident memory measures what is live), then prints
// "OK"; "heap FILE" writes a heap profile (go tool pprof) to FILE, then
// prints "OK"; "cpu FILE" starts a CPU profile into FILE and "cpu stop"
// ends it; "peak start" starts sampling the number of goroutines every 5
// ms, for its peak, and prints "OK"; "stats" prints "OK goroutines=N
// peak_goroutines=N goroutines_created=N" (the goroutines now, their peak
// since "peak start", and those created since the server started, empty if
// the Go runtime does not count them); "quit", or the end of input, stops
// the server and exits. Every other answer starts with "ERR".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/asyncnet/asyncnet/bench/servers"
)

func main() {
	impl := flag.String("impl", "asyncnet", "implementation: one of servers.Impls")
	proto := flag.String("proto", servers.Echo, "protocol: echo, http or resp")
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on (a real port)")
	loops := flag.Int("loops", runtime.GOMAXPROCS(0), "event loops")
	rate := flag.Int("memprofilerate", runtime.MemProfileRate, "runtime.MemProfileRate: 1 records every allocation in heap profiles")
	flag.Parse()
	runtime.MemProfileRate = *rate
	log.SetFlags(0)
	log.SetPrefix("benchserver: ")
	srv, err := servers.Start(*impl, *proto, *addr, *loops)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("READY")
	var gs goroutineStats
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := in.Text(); cmd {
		case "peak start":
			gs.start()
			fmt.Println("OK")
		case "stats":
			fmt.Println(gs.report())
		case "gc":
			runtime.GC()
			debug.FreeOSMemory()
			fmt.Println("OK")
		case "heap":
			fmt.Println("ERR heap needs a file name")
		case "quit":
			if err := srv.Close(); err != nil {
				log.Fatal(err)
			}
			return
		default:
			if arg, ok := strings.CutPrefix(cmd, "cpu "); ok {
				if err := cpuProfile(arg); err != nil {
					fmt.Printf("ERR %v\n", err)
					continue
				}
				fmt.Println("OK")
				continue
			}
			if file, ok := strings.CutPrefix(cmd, "heap "); ok {
				if err := writeHeap(file); err != nil {
					fmt.Printf("ERR %v\n", err)
					continue
				}
				fmt.Println("OK")
				continue
			}
			fmt.Printf("ERR unknown command %q\n", cmd)
		}
	}
	if err := srv.Close(); err != nil {
		log.Fatal(err)
	}
}

// writeHeap writes a heap profile of what is live now to file.
func writeHeap(file string) error {
	runtime.GC()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

var cpuFile *os.File

// cpuProfile starts a CPU profile into file, or with "stop" ends it.
func cpuProfile(arg string) error {
	if arg == "stop" {
		if cpuFile == nil {
			return fmt.Errorf("no CPU profile running")
		}
		pprof.StopCPUProfile()
		err := cpuFile.Close()
		cpuFile = nil
		return err
	}
	if cpuFile != nil {
		return fmt.Errorf("a CPU profile is running")
	}
	f, err := os.Create(arg)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return err
	}
	cpuFile = f
	return nil
}
