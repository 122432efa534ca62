package node

import (
	"encoding/json"
	"errors"
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
	write := func(pid int) {
		b, _ := json.Marshal(Info{Network: "regtest", PID: pid, RPC: "http://127.0.0.1:1"})
		if err := os.WriteFile(InfoPath(dir), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := RunningInfo(dir); !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "thingchain node --datadir") {
		t.Fatalf("no node.json: %v", err)
	}
	write(os.Getpid())
	if info, err := RunningInfo(dir); err != nil || info.RPC != "http://127.0.0.1:1" {
		t.Fatalf("live PID: %+v %v", info, err)
	}
	if RemoveStaleInfo(dir) {
		t.Fatal("removed the info file of a live process")
	}
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	write(exited.Process.Pid)
	_, err := RunningInfo(dir)
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
