package exampletest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// Lines is an io.Writer that keeps what an example prints, line by line,
// for a test to wait on: Next waits for a line, Mark skips what was printed
// so far. Writes may come from several goroutines.
type Lines struct {
	mu      sync.Mutex
	all     bytes.Buffer  // everything written
	done    int           // bytes of all that are in lines
	lines   []string      // complete lines, without the newline
	cursor  int           // the first line Next looks at
	changed chan struct{} // closed (and replaced) when a line is added or Close is called
	closed  bool          // no more lines will come
}

// Write adds p to the output; every newline in it completes a line.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	rest, added := l.all.Bytes()[l.done:], false
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(rest[:i]))
		l.done += i + 1
		rest, added = rest[i+1:], true
	}
	if added {
		l.notifyLocked()
	}
	return len(p), nil
}

// Close says that no more output will come (the program has exited), so
// that Next fails at once rather than after a timeout.
func (l *Lines) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.notifyLocked()
}

// notifyLocked wakes the goroutines waiting in Next. l.mu is held.
func (l *Lines) notifyLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// String returns everything written so far.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// Mark makes Next look only at the lines written from now on.
func (l *Lines) Mark() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cursor = len(l.lines)
}

// Next waits for the next line (after the last one Next returned, or the
// Mark) that contains substr and returns it. It fails t, showing the
// output, if none comes within testutil.Timeout or the output ends.
func (l *Lines) Next(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.After(testutil.Timeout)
	for {
		l.mu.Lock()
		for i := l.cursor; i < len(l.lines); i++ {
			if line := l.lines[i]; strings.Contains(line, substr) {
				l.cursor = i + 1
				l.mu.Unlock()
				return line
			}
		}
		l.cursor = len(l.lines)
		if l.closed {
			l.mu.Unlock()
			t.Fatalf("the output ended without a line containing %q; it was:\n%s", substr, l.String())
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no line containing %q within %v; the output was:\n%s", substr, testutil.Timeout, l.String())
		}
	}
}

// Addr waits for the next line containing marker (such as "listening on ")
// and returns the word that follows it: an address.
func (l *Lines) Addr(t testing.TB, marker string) string {
	t.Helper()
	line := l.Next(t, marker)
	rest := line[strings.Index(line, marker)+len(marker):]
	return strings.TrimRight(strings.Fields(rest)[0], ",;")
}
