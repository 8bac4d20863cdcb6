package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// A component that cannot start ends serve with its error, whichever it is, instead of leaving serve
// running without it or hanging on the way out.
func TestServeEndsWithTheErrorOfAFailingComponent(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name, metrics string
		want          string
	}{
		{"web address taken", "", "web: listen tcp " + taken.Addr().String()},
		{"metrics address taken", taken.Addr().String(), "metrics: listen tcp " + taken.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stacktest.SQLite(t)
			t.Setenv("CIVICFLOW_METRICS_LISTEN", tc.metrics)
			listen := taken.Addr().String()
			if tc.metrics != "" {
				listen = stacktest.FreeAddr(t)
			}
			done := make(chan error, 1)
			go func() {
				_, err := run(t, s, "", "serve", "--listen", listen)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "address already in use") {
					t.Fatalf("serve ended with %v, want %q… address already in use", err, tc.want)
				}
			case <-time.After(time.Minute):
				t.Fatal("serve still running a minute after its address was found taken")
			}
		})
	}
}
