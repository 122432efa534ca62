package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/node"
)

// benchNode is one node the load generator drives: a node process it
// started (proc set) or a running node given by --node URL.
type benchNode struct {
	Name   string
	RPC    string // http://…
	Cookie string // admin token ("" if unknown): exempts the bench's calls from the node's rate limits
	PID    int    // 0 when the node is not a process on this machine
	Dir    string // data directory of a node the bench started
	Pprof  string // HOST:PORT of the node's Go profiles (--profile), "" if not served

	proc   *exec.Cmd
	exited chan struct{}
	cpu    procSample // at the start of the measurement window
}

// startLocalNodes starts n node processes (this binary's `node` command)
// on 127.0.0.1 in subdirectories of root, the first `miners` of them
// mining, every other node bootstrapping to node0 and its predecessor. It
// returns once every node's API answers (DIR/node.json written). With
// pprof, each node also serves Go profiles on a free loopback port.
func startLocalNodes(ctx context.Context, root, network string, n, miners int, pprof bool, progress func(string, ...any)) ([]*benchNode, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to start nodes with: %w", err)
	}
	var nodes []*benchNode
	var p2p []string
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			stopLocalNodes(nodes)
			return nil, err
		}
		args := []string{"--log-level", "warn", "node", "--network", network, "--datadir", dir,
			"--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"}
		if i < miners {
			args = append(args, "--mine", "--mine-threads", "2")
		}
		var pprofAddr string
		if pprof {
			port, err := freeLoopbackPort()
			if err != nil {
				stopLocalNodes(nodes)
				return nil, err
			}
			pprofAddr = fmt.Sprintf("127.0.0.1:%d", port)
			args = append(args, "--pprof", pprofAddr)
		}
		if len(p2p) > 0 {
			args = append(args, "--bootstrap", p2p[0])
			if i > 1 {
				args = append(args, "--bootstrap", p2p[i-1])
			}
		}
		logf, err := os.Create(filepath.Join(dir, "node.log"))
		if err != nil {
			stopLocalNodes(nodes)
			return nil, err
		}
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			stopLocalNodes(nodes)
			return nil, fmt.Errorf("starting node%d: %w", i, err)
		}
		bn := &benchNode{Name: fmt.Sprintf("node%d", i), Dir: dir, PID: cmd.Process.Pid, Pprof: pprofAddr, proc: cmd, exited: make(chan struct{})}
		go func() {
			cmd.Wait()
			logf.Close()
			close(bn.exited)
		}()
		nodes = append(nodes, bn)
		info, err := waitNodeInfo(ctx, bn, 60*time.Second)
		if err != nil {
			stopLocalNodes(nodes)
			return nil, err
		}
		if len(info.P2P) == 0 {
			stopLocalNodes(nodes)
			return nil, fmt.Errorf("%s started without a peer-to-peer address (see %s)", bn.Name, filepath.Join(dir, "node.log"))
		}
		bn.RPC = info.RPC
		if bn.Cookie, err = rpc.ReadCookie(filepath.Join(dir, ".cookie")); err != nil {
			stopLocalNodes(nodes)
			return nil, err
		}
		p2p = append(p2p, info.P2P[0])
		progress("%s ready: api %s, pid %d, mining=%v", bn.Name, bn.RPC, bn.PID, i < miners)
	}
	return nodes, nil
}

// waitNodeInfo waits for a started node to write DIR/node.json, which it
// does once its API listens; it fails early if the process exits.
func waitNodeInfo(ctx context.Context, bn *benchNode, timeout time.Duration) (node.Info, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	logPath := filepath.Join(bn.Dir, "node.log")
	for {
		if info, err := node.RunningInfo(bn.Dir); err == nil && info.PID == bn.PID {
			return info, nil
		}
		select {
		case <-ctx.Done():
			return node.Info{}, ctx.Err()
		case <-bn.exited:
			return node.Info{}, fmt.Errorf("%s exited during start-up: %s", bn.Name, lastLines(logPath, 5))
		case <-deadline.C:
			return node.Info{}, fmt.Errorf("%s did not open its API within %s: %s", bn.Name, timeout, lastLines(logPath, 5))
		case <-tick.C:
		}
	}
}

// lastLines returns the last n lines of a file, for error messages.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// stopLocalNodes asks every started node to stop (SIGTERM) and kills
// those still running after 15 s.
func stopLocalNodes(nodes []*benchNode) {
	for _, bn := range nodes {
		if bn.proc != nil {
			bn.proc.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for _, bn := range nodes {
		if bn.proc == nil {
			continue
		}
		select {
		case <-bn.exited:
		case <-deadline.C:
			bn.proc.Process.Kill()
			<-bn.exited
		}
	}
}

// isLoopback reports whether an API URL names this machine.
func isLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// procSample is a process's CPU time and memory read from /proc.
type procSample struct {
	at      time.Time
	cpu     time.Duration // user + system
	rssKiB  int64
	peakKiB int64
	ok      bool
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// readProc samples /proc/PID (pid 0: this process). ok is false where
// /proc is missing (not Linux) or the process is gone.
func readProc(pid int) procSample {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return s
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return s
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s
	}
	s.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return s
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			s.rssKiB = kib
		case "VmHWM":
			s.peakKiB = kib
		}
	}
	s.ok = true
	return s
}

// cpuPercent is the CPU use between two samples, in percent of one core.
func cpuPercent(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if !a.ok || !b.ok || wall <= 0 {
		return 0
	}
	return 100 * float64(b.cpu-a.cpu) / float64(wall)
}

// loadAverage reads the 1-minute load average (0 where unavailable).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// errNodeGone is returned when a node the bench started exits mid-run.
var errNodeGone = errors.New("a node process exited during the run")

// watchExits returns a channel that receives the first started node that
// exits.
func watchExits(nodes []*benchNode) <-chan *benchNode {
	ch := make(chan *benchNode, len(nodes))
	for _, bn := range nodes {
		if bn.exited == nil {
			continue
		}
		go func() {
			<-bn.exited
			ch <- bn
		}()
	}
	return ch
}
