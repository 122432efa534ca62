package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/registry"
)

// market runs the simulated participants of a local testnet against its
// first node: device agents (check-in, key delivery, data endpoints) and
// bidders.
type market struct {
	out    io.Writer
	log    *slog.Logger
	nodes  []*node.Node
	sim    *devicesim.Simulator
	mu     sync.Mutex
	status string
}

func (m *market) setStatus(s string) {
	m.mu.Lock()
	m.status = s
	m.mu.Unlock()
}

// run starts the device simulator and blocks until ctx ends.
func (m *market) run(ctx context.Context, dir string, devices int) {
	if devices == 0 {
		return
	}
	client, err := rpc.Dial(ctx, m.nodes[0].RPCURL)
	if err != nil {
		m.log.Error("market: cannot reach node0", "err", err)
		return
	}
	defer client.Close()
	m.setStatus(fmt.Sprintf("checking in %d simulated devices…", devices))
	sim, err := devicesim.New(devicesim.Config{
		Client: client, Net: m.nodes[0].Net, Dir: filepath.Join(dir, "devices"), Devices: devices,
		Logger: m.log.With("part", "devicesim"),
	})
	if err == nil {
		err = sim.Start(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("market: devices did not check in", "err", err)
			m.setStatus("devices failed: " + err.Error())
		}
		return
	}
	defer sim.Close()
	m.mu.Lock()
	m.sim = sim
	m.mu.Unlock()
	sum := sim.Summary()
	fmt.Fprintf(m.out, "%d simulated devices checked in: %v\n", sum.Devices, sum.PerKind)
	m.setStatus("")
	<-ctx.Done()
}

// summaryLine describes the market as node0 sees it.
func (m *market) summaryLine() string {
	m.mu.Lock()
	status := m.status
	m.mu.Unlock()
	n := m.nodes[0]
	if n.Index == nil {
		return status
	}
	enabled := true
	devices := n.Index.Query(registry.Filter{Enabled: &enabled, Limit: 1}).Total
	line := fmt.Sprintf("          market: %d devices enabled", devices)
	if status != "" {
		line += "; " + status
	}
	return line
}
