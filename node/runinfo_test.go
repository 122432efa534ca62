package node

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRunningInfoStale: node.json naming a live process is the running
// node's; naming a process that exited it is stale (the error says what to
// do, and RemoveStaleInfo deletes it); missing, no node runs; unreadable,
// an error naming the file.
func TestRunningInfoStale(t *testing.T) {
	dir := t.TempDir()
	write := func(pid int, api string) {
		b, _ := json.Marshal(Info{Network: "regtest", PID: pid, RPC: api})
		if err := os.WriteFile(InfoPath(dir), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := RunningInfo(dir); !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "thingchain node --datadir") {
		t.Fatalf("no node.json: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	api := "http://" + ln.Addr().String()
	write(os.Getpid(), api)
	if info, err := RunningInfo(dir); err != nil || info.RPC != api {
		t.Fatalf("live PID: %+v %v", info, err)
	}
	if RemoveStaleInfo(dir) {
		t.Fatal("removed the info file of a live process")
	}
	// A live PID (reused by another process) whose API refuses connections.
	ln.Close()
	if _, err := RunningInfo(dir); !errors.Is(err, ErrStaleInfo) || !strings.Contains(err.Error(), "refuses connections") {
		t.Fatalf("live PID, dead API: %v", err)
	}
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	write(exited.Process.Pid, api)
	_, err = RunningInfo(dir)
	if !errors.Is(err, ErrStaleInfo) || !strings.Contains(err.Error(), "start the node again") || !strings.Contains(err.Error(), "delete") {
		t.Fatalf("dead PID: %v", err)
	}
	if !RemoveStaleInfo(dir) {
		t.Fatal("stale file not removed")
	}
	if _, err := os.Stat(InfoPath(dir)); !os.IsNotExist(err) {
		t.Fatalf("stale file still there: %v", err)
	}
	os.WriteFile(InfoPath(dir), []byte("{"), 0o644)
	if _, err := RunningInfo(dir); err == nil || !strings.Contains(err.Error(), "node.json") {
		t.Fatalf("garbage node.json: %v", err)
	}
}
