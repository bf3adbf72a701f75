// Package sockopt sets socket options as Go's net package would, on raw
// descriptors: on Linux, a server sets keepalive once on its listener, and
// every socket it accepts inherits it.
package sockopt
