package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "machine-controller")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBinary(t *testing.T) {
	bin := buildBinary(t)

	t.Run("help shows MCM's provider flags and ours", func(t *testing.T) {
		out, err := exec.Command(bin, "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("--help: %v\n%s", err, out)
		}
		for _, f := range []string{
			"--control-kubeconfig", "--target-kubeconfig", "--namespace", "--port",
			"--machine-creation-timeout", "--machine-health-timeout", "--machine-drain-timeout",
			"--machine-safety-orphan-vms-period", "--node-conditions", "--resource-exhausted-retry",
			"--concurrent-syncs", "--leader-elect", "--v",
			"--driver-plugin-command", "--driver-call-timeout", "--driver-plugin-health-interval",
		} {
			if !strings.Contains(string(out), f+" ") {
				t.Errorf("--help lacks %s", f)
			}
		}
	})

	t.Run("a plugin that cannot start fails the start-up", func(t *testing.T) {
		cmd := exec.Command(bin, "--control-kubeconfig=/nonexistent", "--target-kubeconfig=none",
			"--driver-plugin-command="+filepath.Join(t.TempDir(), "missing-plugin"))
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("machine-controller did not exit")
		}
		if err == nil || !strings.Contains(string(out), "driver plugin") {
			t.Fatalf("want a non-zero exit naming the driver plugin, got %v\n%s", err, out)
		}
	})
}
