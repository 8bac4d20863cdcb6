package stacktest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
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

// FreeAddr returns a loopback address nothing listens on, for a server the test starts, stops and
// starts again there. The port is below the kernel's ephemeral range: a port the kernel hands out
// (":0") may, while nothing listens on it, become the local end of some other test's outgoing
// connection, and a server restarted there would then fail to bind.
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 10000+rand.IntN(low-10000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatalf("no free port below %d", low)
	return ""
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default where unknown).
func ephemeralLow() int {
	low, high := 32768, 0
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if _, err := fmt.Sscan(string(b), &low, &high); err != nil || low <= 11000 {
			low = 32768
		}
	}
	return low
}
