// Package transporttest is a conformance suite for transport.Transport:
// Run drives a transport through the SPI alone, with recording handlers,
// and checks what transport.go promises, case by case (opening, traffic,
// the order of Execute'd functions, Unsent and OnSent, backpressure,
// Pause and Resume, half-close in both orders, Close, Abort, the peer's
// end and reset, Stop). Package memtransport runs it in memory and over
// TCP; package adapters runs it on gnet.
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, func(t *testing.T) transporttest.Setup {
//			ln, err := net.Listen("tcp", "127.0.0.1:0")
//			require.NoError(t, err)
//			t.Cleanup(func() { _ = ln.Close() })
//			return transporttest.Setup{
//				Transport: mytransport.New(),
//				Pair: func() (net.Conn, net.Conn, error) {
//					peer, err := net.Dial("tcp", ln.Addr().String())
//					if err != nil {
//						return nil, nil, err
//					}
//					local, err := ln.Accept()
//					return local, peer, err
//				},
//			}
//		})
//	}
//
// # Concurrency
//
// Each case runs on its test's goroutine and calls the Conn only from
// functions Execute'd on its reactor, as the SPI requires; the peers are
// read and written from the test's goroutines. Cases do not run in
// parallel.
//
// # Lifecycle
//
// Each case starts a new transport from the Factory (two reactors), and
// stops it before it ends; after Stop it checks that every connection got
// OnClose exactly once.
package transporttest
