// Package plugin runs the driver plugin process with hashicorp/go-plugin: it starts it on first
// use, hands out gRPC connections, notices when the process dies or wedges, and starts a fresh one.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"k8s.io/klog/v2"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol"
	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// socketDirPrefix is the prefix of the temp dir the TypeScript plugin creates for its socket;
// used to clean up after a plugin that died without removing it.
const socketDirPrefix = "mcm-stackit-plugin-"

// Config describes how to run the plugin.
type Config struct {
	// Command is the plugin's argv.
	Command []string
	// Env is added to the controller's own environment for the plugin.
	Env []string
	// StartTimeout bounds process start plus handshake (go-plugin's default: 1 minute).
	StartTimeout time.Duration
	// RetryBackoff is how long a failed start is reported again before the next attempt.
	RetryBackoff time.Duration
}

// Supervisor owns at most one running plugin process at a time.
type Supervisor struct {
	cfg Config

	mu        sync.Mutex
	cur       *Instance
	launching *launch
	lastErr   error
	lastFail  time.Time
	closed    bool
	wg        sync.WaitGroup
}

type launch struct {
	done chan struct{}
	inst *Instance
	err  error
}

// Instance is one plugin process and its gRPC connection.
type Instance struct {
	sup       *Supervisor
	client    *goplugin.Client
	conn      *grpc.ClientConn
	driver    driverv1.DriverServiceClient
	cmd       *exec.Cmd
	pid       int
	socketDir string
	retire    sync.Once
}

// NewSupervisor returns a Supervisor; nothing is started until Acquire.
func NewSupervisor(cfg Config) *Supervisor {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Second
	}
	return &Supervisor{cfg: cfg}
}

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("driver plugin supervisor is shut down")

// Acquire returns the running plugin, starting one if there is none or the last one exited.
// Concurrent callers wait for the same start; ctx only bounds the wait.
func (s *Supervisor) Acquire(ctx context.Context) (*Instance, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if c := s.cur; c != nil {
		if !c.client.Exited() {
			s.mu.Unlock()
			return c, nil
		}
		s.cur = nil
		s.retireLocked(c, "process exited")
	}
	l := s.launching
	if l == nil {
		if s.lastErr != nil && time.Since(s.lastFail) < s.cfg.RetryBackoff {
			err := s.lastErr
			s.mu.Unlock()
			return nil, err
		}
		l = &launch{done: make(chan struct{})}
		s.launching = l
		s.wg.Add(1)
		go s.run(l)
	}
	s.mu.Unlock()
	select {
	case <-l.done:
		return l.inst, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Current returns the running plugin without starting one (nil when none runs).
func (s *Supervisor) Current() *Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.cur == nil || s.cur.client.Exited() {
		return nil
	}
	return s.cur
}

// ErrNotRunning is returned by Metrics when no plugin runs.
var ErrNotRunning = errors.New("driver plugin is not running")

// Metrics asks the running plugin for its own metrics (text exposition format). It never starts a
// plugin: a scrape must not spawn processes.
func (s *Supervisor) Metrics(ctx context.Context) (string, error) {
	inst := s.Current()
	if inst == nil {
		return "", ErrNotRunning
	}
	resp, err := inst.driver.Metrics(ctx, &driverv1.MetricsRequest{})
	if err != nil {
		return "", err
	}
	return resp.GetText(), nil
}

func (s *Supervisor) run(l *launch) {
	defer s.wg.Done()
	inst, err := s.start()
	s.mu.Lock()
	s.launching = nil
	if err != nil {
		s.lastErr, s.lastFail = err, time.Now()
		klog.Errorf("driver plugin failed to start: %v", err)
	} else {
		s.lastErr = nil
		if s.closed {
			s.retireLocked(inst, "supervisor shut down")
			inst, err = nil, ErrClosed
		} else {
			s.cur = inst
			klog.Infof("driver plugin started (pid %d, protocol v%d, command %q)", inst.pid, protocol.ProtocolVersion, s.cfg.Command)
		}
	}
	l.inst, l.err = inst, err
	s.mu.Unlock()
	close(l.done)
}

func (s *Supervisor) start() (*Instance, error) {
	if len(s.cfg.Command) == 0 {
		return nil, errors.New("no plugin command configured")
	}
	cmd := exec.Command(s.cfg.Command[0], s.cfg.Command[1:]...) // #nosec G204 -- the operator's configured plugin
	// Our own env last so it wins over the host's (go-plugin appends its handshake vars after it).
	cmd.Env = append(os.Environ(), s.cfg.Env...)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          goplugin.PluginSet{protocol.PluginName: driverPlugin{}},
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     s.cfg.StartTimeout,
		Logger:           goPluginLogger(),
		Stderr:           &stderrLines{},
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start %q: %w", s.cfg.Command, err)
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("dispense driver: %w", err)
	}
	inst := &Instance{sup: s, client: client, cmd: cmd, driver: raw.(driverv1.DriverServiceClient)}
	if g, ok := rpc.(*goplugin.GRPCClient); ok {
		inst.conn = g.Conn
	}
	if rc := client.ReattachConfig(); rc != nil {
		inst.pid = rc.Pid
		if a, ok := rc.Addr.(*net.UnixAddr); ok && strings.HasPrefix(filepath.Base(filepath.Dir(a.Name)), socketDirPrefix) {
			inst.socketDir = filepath.Dir(a.Name)
		}
	}
	return inst, nil
}

// retireLocked forgets inst and stops its process in the background (go-plugin asks the plugin to
// shut down, waits up to 2 s, then kills it). Callers hold s.mu.
func (s *Supervisor) retireLocked(inst *Instance, reason string) {
	if s.cur == inst {
		s.cur = nil
	}
	inst.retire.Do(func() {
		if s.closed {
			klog.Infof("driver plugin (pid %d) stopping: %s", inst.pid, reason)
		} else {
			klog.Warningf("driver plugin (pid %d) retired: %s; the next call starts a new one", inst.pid, reason)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			inst.kill()
			if inst.socketDir != "" {
				_ = os.RemoveAll(inst.socketDir)
			}
		}()
	})
}

// killGrace bounds go-plugin's graceful Kill: it waits for the plugin to answer Shutdown without a
// deadline, which never happens when the plugin's event loop is blocked.
const killGrace = 5 * time.Second

func (i *Instance) kill() {
	done := make(chan struct{})
	go func() {
		i.client.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(killGrace):
		klog.Warningf("driver plugin (pid %d) did not stop within %s; killing it", i.pid, killGrace)
		if i.cmd.Process != nil {
			_ = i.cmd.Process.Kill()
		}
		<-done
	}
}

// Driver returns the instance's driver client.
func (i *Instance) Driver() driverv1.DriverServiceClient { return i.driver }

// Pid is the plugin's process id.
func (i *Instance) Pid() int { return i.pid }

// Broken retires the instance after a transport failure, so the next call starts a fresh process
// instead of failing again on a dead connection.
func (i *Instance) Broken(err error) {
	i.sup.mu.Lock()
	defer i.sup.mu.Unlock()
	i.sup.retireLocked(i, fmt.Sprintf("transport failure: %v", err))
}

// Check asks the plugin's gRPC health service (service "plugin", as go-plugin serves it).
func (i *Instance) Check(ctx context.Context) error {
	if i.client.Exited() {
		return errors.New("process exited")
	}
	if i.conn == nil {
		return nil
	}
	resp, err := healthpb.NewHealthClient(i.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: goplugin.GRPCServiceName})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %s", resp.GetStatus())
	}
	return nil
}

// Watch probes the plugin every interval until ctx ends: it starts the plugin if none runs, asks
// its health service, and after `failures` failed checks in a row retires a wedged process.
// report(false) is called on every failed probe, report(true) once on recovery.
func (s *Supervisor) Watch(ctx context.Context, interval, timeout time.Duration, failures int, report func(healthy bool)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	healthy, failed := true, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.probe(ctx, timeout, &failed, failures)
		switch {
		case err == nil && !healthy:
			healthy = true
			klog.Infof("driver plugin healthy again")
			report(true)
		case err != nil:
			if healthy {
				klog.Warningf("driver plugin unhealthy: %v", err)
			}
			healthy = false
			report(false)
		}
	}
}

func (s *Supervisor) probe(ctx context.Context, timeout time.Duration, failed *int, failures int) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inst, err := s.Acquire(pctx)
	if err != nil {
		return err
	}
	if err := inst.Check(pctx); err != nil {
		*failed++
		if *failed >= failures {
			*failed = 0
			s.mu.Lock()
			s.retireLocked(inst, fmt.Sprintf("%d health checks failed, last: %v", failures, err))
			s.mu.Unlock()
		}
		return err
	}
	*failed = 0
	return nil
}

// Close stops the running plugin and waits for it to exit; Acquire fails afterwards.
func (s *Supervisor) Close() {
	s.mu.Lock()
	s.closed = true
	if s.cur != nil {
		s.retireLocked(s.cur, "supervisor shut down")
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// driverPlugin is the go-plugin Plugin of the driver: client side only.
type driverPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (driverPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the driver is served by the TypeScript plugin")
}

func (driverPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return driverv1.NewDriverServiceClient(c), nil
}
