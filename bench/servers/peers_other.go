//go:build !linux

package servers

import "errors"

var errLinuxOnly = errors.New("servers: nbio and netpoll are measured on Linux only")

func startNbio(_, _ string, _ int) (Server, error)    { return nil, errLinuxOnly }
func startNetpoll(_, _ string, _ int) (Server, error) { return nil, errLinuxOnly }
