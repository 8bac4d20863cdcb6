package stacktest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the civicflow binary that process tests run, built once per test process.
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// CivicflowBinary builds the civicflow command (once per test process) and returns its path. A test
// package that calls it removes the binary in its TestMain with RemoveCivicflowBinary.
func CivicflowBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "civicflow-test-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "civicflow")
		if out, err := exec.Command("go", "build", "-o", binary.path, "github.com/civicflow/civicflow/cmd/civicflow").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatalf("building civicflow: %v", binary.err)
	}
	return binary.path
}

// RemoveCivicflowBinary removes what CivicflowBinary built; call it from TestMain after the tests.
func RemoveCivicflowBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

// Start starts bin with args in the environment env, its output going to a log file (Log reads it),
// and kills it when the test ends; a failed test logs its output.
func Start(t testing.TB, bin string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	logs, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("civicflow %s:\n%s", strings.Join(args, " "), b)
		}
	})
	return cmd
}

// Log is what a process that Start started has written so far.
func Log(t testing.TB, p *exec.Cmd) string {
	t.Helper()
	b, err := os.ReadFile(p.Stdout.(*os.File).Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// WaitReady waits until the server at addr answers /readyz with 200.
func WaitReady(t testing.TB, addr string) {
	t.Helper()
	Eventually(t, addr+" ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// StopAll sends SIGTERM to the processes and fails the test unless each exits cleanly within 20 s.
func StopAll(t testing.TB, procs ...*exec.Cmd) {
	t.Helper()
	for _, p := range procs {
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		done := make(chan error, 1)
		go func() { done <- p.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("process %d did not stop cleanly on SIGTERM: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("process %d still running 20s after SIGTERM", i)
		}
	}
}

// Eventually polls cond until it holds, failing the test after 20 seconds.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
