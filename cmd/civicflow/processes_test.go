package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

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
	bin := stacktest.CivicflowBinary(t)
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
			stacktest.Start(t, bin, env, "serve", "--role", "web", "--listen", webA),
			stacktest.Start(t, bin, env, "serve", "--role", "web", "--listen", webB),
			stacktest.Start(t, bin, env, "worker"),
		}
		stacktest.WaitReady(t, webA)
		stacktest.WaitReady(t, webB)

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
		stacktest.Eventually(t, "web B sees the grant", func() bool {
			return call(t, webB, "GET", "/api/v1/audit", auditor, "", nil) == http.StatusOK
		})
		waitForMessage(t, webB, auditor)
		// The worker sends text messages through the default provider, log, and says at start-up that
		// it is for development only; a web process sends none and says nothing.
		const smsWarning = "CIVICFLOW_SMS_PROVIDER is log"
		if !strings.Contains(stacktest.Log(t, procs[2]), smsWarning) || strings.Contains(stacktest.Log(t, procs[0]), smsWarning) {
			t.Errorf("the log SMS provider's warning is not where it belongs")
		}
		stacktest.StopAll(t, procs...)
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
	stacktest.Eventually(t, "the worker delivers the notification", func() bool {
		var out struct{ Messages []struct{ Subject string } }
		call(t, addr, "GET", "/api/v1/me/messages", token, "", &out)
		return len(out.Messages) == 1
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	stacktest.RemoveCivicflowBinary()
	os.Exit(code)
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
