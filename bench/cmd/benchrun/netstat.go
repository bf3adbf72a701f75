package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// listenOverflows returns the kernel's count of connections dropped because
// a listen queue was full (TcpExt ListenOverflows in /proc/net/netstat),
// for the whole machine: a run's difference says whether its server
// accepted too slowly for its load, which costs the clients a SYN
// retransmission (a second or more).
func listenOverflows() (int64, error) {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return 0, err
	}
	return netstatField(string(b), "TcpExt", "ListenOverflows")
}

// netstatField reads a field of /proc/net/netstat, where each group is a
// line of names and a line of values, both prefixed "Group:".
func netstatField(text, group, field string) (int64, error) {
	var names []string
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, group+":")
		if !ok {
			continue
		}
		if names == nil {
			names = strings.Fields(rest)
			continue
		}
		values := strings.Fields(rest)
		for i, name := range names {
			if name == field && i < len(values) {
				return strconv.ParseInt(values[i], 10, 64)
			}
		}
		return 0, fmt.Errorf("no %s %s in /proc/net/netstat", group, field)
	}
	return 0, errors.New("no " + group + " values in /proc/net/netstat")
}
