//go:build !linux

package adapters

import (
	"errors"
	"io"
	"log/slog"
	"net"

	"github.com/asyncnet/asyncnet/core/transport"
)

// doorman accepts and connects only on Linux (doorman_linux.go); elsewhere
// the Loop accepts and connects on goroutines of its own and places each
// connection with Place.
type doorman struct {
	place func(nc net.Conn, ch transport.ConnHandler) error
	log   func() *slog.Logger
}

func (dm *doorman) accept(net.Listener, transport.AcceptHandler) (io.Closer, error) {
	return nil, errors.ErrUnsupported
}

func (dm *doorman) dial(transport.Dial, transport.ConnHandler, func(error)) (func(), error) {
	return nil, errors.ErrUnsupported
}

func (dm *doorman) stop() {}
