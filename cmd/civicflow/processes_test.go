package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// TestSplitWebAndWorkerProcesses runs the real binary as two web processes and one worker on one
// database and one Redis: a grant made through one web process takes effect in the other, its
// notification is delivered by the worker, and SIGTERM stops all three cleanly.
func TestSplitWebAndWorkerProcesses(t *testing.T) {
	bin := civicflowBinary(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		broker := s.Broker(t)
		seedAdminAndAuditor(t, s)
		env := append(os.Environ(),
			"CIVICFLOW_DATABASE_URL="+s.DatabaseURL,
			"CIVICFLOW_REDIS_URL="+stacktest.BrokerURL(broker),
			"CIVICFLOW_DATA_DIR="+t.TempDir(),
			"CIVICFLOW_POLICY_RELOAD_INTERVAL=200ms",
			"CIVICFLOW_RELAY_INTERVAL=100ms",
			"CIVICFLOW_SHUTDOWN_TIMEOUT=5s",
		)
		webA, webB := stacktest.FreeAddr(t), stacktest.FreeAddr(t)
		procs := []*exec.Cmd{
			start(t, bin, env, "serve", "--role", "web", "--listen", webA),
			start(t, bin, env, "serve", "--role", "web", "--listen", webB),
			start(t, bin, env, "worker"),
		}
		waitReady(t, webA)
		waitReady(t, webB)

		admin := apiToken(t, webA, "ops.admin")
		auditor := apiToken(t, webB, "new.auditor")
		if code := call(t, webB, "GET", "/api/v1/audit", auditor, "", nil); code != http.StatusForbidden {
			t.Fatalf("before the grant: %d", code)
		}
		var me struct{ User struct{ ID int64 } }
		call(t, webB, "GET", "/api/v1/me", auditor, "", &me)
		path := fmt.Sprintf("/api/v1/users/%d/grants", me.User.ID)
		if code := call(t, webA, "POST", path, admin, `{"role":"auditor","jurisdiction":"210000","subtree":true}`, nil); code != http.StatusOK {
			t.Fatalf("grant through web A: %d", code)
		}
		eventually(t, "web B sees the grant", func() bool {
			return call(t, webB, "GET", "/api/v1/audit", auditor, "", nil) == http.StatusOK
		})
		waitForMessage(t, webB, auditor)
		// The worker sends text messages through the default provider, log, and says at start-up that
		// it is for development only; a web process sends none and says nothing.
		const smsWarning = "CIVICFLOW_SMS_PROVIDER is log"
		if !strings.Contains(logOf(t, procs[2]), smsWarning) || strings.Contains(logOf(t, procs[0]), smsWarning) {
			t.Errorf("the log SMS provider's warning is not where it belongs")
		}
		stopAll(t, procs...)
	})
}

// seedAdminAndAuditor creates the demo jurisdictions, an admin of the province (ops.admin) and a user
// without roles (new.auditor), each with the password login+"-password", for tests in which the one
// grants the other a role, which notifies them.
func seedAdminAndAuditor(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Seed(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"ops.admin", "new.auditor"} {
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: login, Password: login + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		if login == "ops.admin" {
			if err := policies.GrantSystem(ctx, s.DB, u.ID, policies.Admin, "21*"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// waitForMessage waits until the worker has delivered one message to the in-app inbox of token's user.
func waitForMessage(t *testing.T, addr, token string) {
	t.Helper()
	eventually(t, "the worker delivers the notification", func() bool {
		var out struct{ Messages []struct{ Subject string } }
		call(t, addr, "GET", "/api/v1/me/messages", token, "", &out)
		return len(out.Messages) == 1
	})
}

// binary is the civicflow binary the process tests run, built once.
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// civicflowBinary builds the civicflow binary (once per test run) and returns its path.
func civicflowBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "civicflow-test-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "civicflow")
		if out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatalf("building civicflow: %v", binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// stopAll sends SIGTERM to the processes and fails the test unless each exits cleanly within 20 s.
func stopAll(t *testing.T, procs ...*exec.Cmd) {
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

func start(t *testing.T, bin string, env []string, args ...string) *exec.Cmd {
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

func waitReady(t *testing.T, addr string) {
	t.Helper()
	eventually(t, addr+" ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// eventually polls cond until it holds, failing the test after 20 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func apiToken(t *testing.T, addr, login string) string {
	t.Helper()
	var out struct{ Token string }
	body := fmt.Sprintf(`{"login":%q,"password":%q,"name":"test"}`, login, login+"-password")
	if code := call(t, addr, "POST", "/api/v1/tokens", "", body, &out); code != http.StatusCreated {
		t.Fatalf("token for %s: %d", login, code)
	}
	return out.Token
}

// call sends a request with a bearer token (none when empty) and a JSON body (none when empty),
// decodes the answer into out (unless nil) and returns the status.
func call(t *testing.T, addr, method, path, token, body string, out any) int {
	t.Helper()
	code, _, answer := send(t, addr, method, path, token, body, "application/json")
	if out != nil {
		_ = json.Unmarshal([]byte(answer), out)
	}
	return code
}

// send sends a request with a bearer token (none when empty), a JSON body (none when empty) and an
// Accept header, and returns the status, the headers and the body of the answer.
func send(t *testing.T, addr, method, path, token, body, accept string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Accept", accept)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(answer)
}
