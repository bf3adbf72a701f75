package main

import (
	"maps"
	"slices"
	"sync"

	"github.com/asyncnet/asyncnet/core"
)

// socketSet is the set of a server's open sockets: added by the connect
// callback, removed by the event callback.
type socketSet struct {
	mu sync.Mutex
	m  map[*core.Socket]struct{}
}

// add adds s.
func (ss *socketSet) add(s *core.Socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = make(map[*core.Socket]struct{})
	}
	ss.m[s] = struct{}{}
}

// remove removes s.
func (ss *socketSet) remove(s *core.Socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s)
}

// list returns the sockets in the set now.
func (ss *socketSet) list() []*core.Socket {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return slices.Collect(maps.Keys(ss.m))
}

// most returns the largest of held(s) over the sockets in the set: how
// much the fullest socket holds.
func (ss *socketSet) most(held func(s *core.Socket) int) int64 {
	var most int64
	for _, s := range ss.list() {
		most = max(most, int64(held(s)))
	}
	return most
}
