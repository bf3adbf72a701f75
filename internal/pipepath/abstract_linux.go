package pipepath

// AbstractSupported: Linux has abstract sockets, named "@name" in Go's
// net package.
const AbstractSupported = true
