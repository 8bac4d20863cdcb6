package stacktest

import (
	"net"
	"testing"
)

// ServeTCP answers each connection to a loopback address with answer until the test ends, and
// returns the address: a server that refuses, hangs up, resets or stalls, for outage tests.
func ServeTCP(t testing.TB, answer func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go answer(c)
		}
	}()
	return ln.Addr().String()
}
