package main

import (
	"errors"
	"log"
	"maps"
	"slices"
)

// runCase runs one case: it starts the case's server process, connects
// the peers, floods it if the scenario says so, and returns the rows of
// the server's result.
func runCase(c benchCase) (rows []row, err error) {
	sp, addr, err := startServerProc(c)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			sp.kill()
		}
	}()
	ps, err := dialPeers(addr, c.N)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, ps.close()) }()
	if err := sp.send(msgConnected); err != nil {
		return nil, err
	}
	if _, err := sp.expect(msgReady, startLimit); err != nil {
		return nil, err
	}
	var fs *floodStats
	if c.floods() {
		st, err := ps.flood(c.Flood)
		if err != nil {
			return nil, err
		}
		fs = &st
		if err := sp.send(msgStop); err != nil {
			return nil, err
		}
	}
	res, err := sp.result()
	if err != nil {
		return nil, err
	}
	if err := sp.wait(); err != nil {
		return nil, err
	}
	noteOddities(res)
	return rowsOf(res, fs), nil
}

// noteOddities logs what the server saw that its rows do not show:
// failed calls in callbacks, bytes delivered to read callbacks that should
// get none, a socket holding more than its cap, writes that failed other
// than at the cap.
func noteOddities(r result) {
	for _, k := range slices.Sorted(maps.Keys(r.Problems)) {
		log.Printf("benchmem: note: %v: %d calls failed in callbacks with %s", r.Case, r.Problems[k], k)
	}
	if r.Delivered > 0 {
		log.Printf("benchmem: note: %v: read callbacks got %d bytes", r.Case, r.Delivered)
	}
	if r.Fullest > int64(r.Case.Cap) {
		log.Printf("benchmem: note: %v: a socket holds %d bytes, %.2f × its cap", r.Case, r.Fullest, ratio(r.Fullest, int64(r.Case.Cap)))
	}
	if r.WriteErrors > 0 {
		log.Printf("benchmem: note: %v: %d writes failed other than at the cap", r.Case, r.WriteErrors)
	}
}
