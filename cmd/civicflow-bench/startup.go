package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runStartup starts civicflow serve (o.civicflow) on the existing, migrated database at
// o.databaseURL and times it until /readyz answers ready; then waits until its resident memory has
// settled with nothing to do and reports it (VmRSS of /proc/PID/status); then stops it with SIGTERM.
// It fails unless the server gets ready, exits cleanly and logs no error.
func runStartup(ctx context.Context, o options) error {
	listen, metrics := freeAddr(), freeAddr()
	logFile, err := os.CreateTemp("", "civicflow-bench-serve-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(logFile.Name())
	defer logFile.Close()
	cmd := exec.Command(o.civicflow, "serve")
	cmd.Env = append(civicflowEnv(o), "CIVICFLOW_LISTEN="+listen, "CIVICFLOW_METRICS_LISTEN="+metrics)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	// failed adds the server's log to err.
	failed := func(err error) error {
		log, _ := os.ReadFile(logFile.Name())
		return fmt.Errorf("%w; the server's log:\n%s", err, log)
	}

	for !answersReady(ctx, listen) {
		select {
		case err := <-exited:
			return failed(fmt.Errorf("civicflow serve exited before it was ready: %v", err))
		case <-ctx.Done():
			return failed(fmt.Errorf("civicflow serve not ready: %w", ctx.Err()))
		case <-time.After(5 * time.Millisecond):
		}
	}
	ready := time.Since(start)
	fmt.Printf("ready in %s (target < 2 s)\n", ready.Round(time.Millisecond))

	rss, err := settledRSS(ctx, cmd.Process.Pid)
	if err != nil {
		return failed(err)
	}
	fmt.Printf("idle resident memory %.1f MB (target < 80 MB): %.1f MB anonymous (the heap), %.1f MB of the binary's pages; heap profile: http://%s/debug/pprof/heap\n",
		mb(rss["VmRSS"]), mb(rss["RssAnon"]), mb(rss["RssFile"]), metrics)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-exited:
		if err != nil {
			return failed(fmt.Errorf("civicflow serve did not exit cleanly on SIGTERM: %w", err))
		}
	case <-time.After(30 * time.Second):
		return failed(errors.New("civicflow serve still running 30 s after SIGTERM"))
	}
	log, err := os.ReadFile(logFile.Name())
	if err != nil {
		return err
	}
	if strings.Contains(string(log), "level=ERROR") {
		return fmt.Errorf("civicflow serve logged an error:\n%s", log)
	}
	fmt.Println("stopped cleanly on SIGTERM")
	return nil
}

// answersReady reports whether the server at addr answers /readyz with 200.
func answersReady(ctx context.Context, addr string) bool {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// settledRSS samples the memory figures of process pid every quarter second until its resident
// memory has varied by less than 1 MB over the last three seconds (at most 30 s), and returns the
// last sample in kB by name (VmRSS, RssAnon, RssFile).
func settledRSS(ctx context.Context, pid int) (map[string]int, error) {
	var rss []int
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := procStatus(pid)
		if err != nil {
			return nil, err
		}
		rss = append(rss, m["VmRSS"])
		if last := rss[max(0, len(rss)-12):]; len(rss) >= 12 && slices.Max(last)-slices.Min(last) < 1024 || time.Now().After(deadline) {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// procStatus reads the kB figures of /proc/PID/status.
func procStatus(pid int) (map[string]int, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return nil, fmt.Errorf("reading the server's memory: %w", err)
	}
	defer f.Close()
	out := map[string]int{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), ":")
		if v, found := strings.CutSuffix(strings.TrimSpace(value), " kB"); ok && found {
			out[name], _ = strconv.Atoi(v)
		}
	}
	return out, s.Err()
}

func mb(kB int) float64 { return float64(kB) / 1024 }

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}
