package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrStaleInfo is wrapped by RunningInfo's error when DIR/node.json names
// a process that no longer runs: the node was killed (kill -9, a crash, a
// power cut) before it could remove the file. Nothing listens at its API
// address; starting the node again rewrites the file.
var ErrStaleInfo = errors.New("stale node.json")

// ErrNotRunning is wrapped by RunningInfo's error when DIR has no
// node.json: no node runs on the directory.
var ErrNotRunning = errors.New("no node running")

// InfoPath is DIR/node.json.
func InfoPath(dir string) string { return filepath.Join(dir, "node.json") }

// RunningInfo reads DIR/node.json of a running node. The error wraps
// ErrNotRunning when there is none, and ErrStaleInfo when the file names
// a process that is gone; both messages say what to do.
func RunningInfo(dir string) (Info, error) {
	var info Info
	path := InfoPath(dir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("%w on %s (no %s): start one with `thingchain node --datadir %s`, or pass --node URL", ErrNotRunning, dir, path, dir)
	}
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s is not a node's info file (%v): delete it if no node runs on %s", path, err, dir)
	}
	if info.PID > 0 && !processAlive(info.PID) {
		return info, fmt.Errorf("%w: %s names process %d, which is not running (the node stopped without cleaning up, e.g. after kill -9): "+
			"start the node again (it rewrites the file) or delete %s", ErrStaleInfo, path, info.PID, path)
	}
	if refused(info.RPC) {
		// The PID was reused by another process after the node died.
		return info, fmt.Errorf("%w: %s names the API %s, which refuses connections (process %d is not that node): "+
			"start the node again (it rewrites the file) or delete %s", ErrStaleInfo, path, info.RPC, info.PID, path)
	}
	return info, nil
}

// refused reports whether nothing listens at an http:// API URL on this
// machine (a refused TCP connection; any other outcome counts as alive).
func refused(rpcURL string) bool {
	u, err := url.Parse(rpcURL)
	if err != nil || u.Host == "" {
		return false
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	conn.Close()
	return false
}

// RemoveStaleInfo deletes DIR/node.json if it is stale, and reports
// whether it did. Tools call it once they hold the data directory
// themselves (which proves no node runs on it).
func RemoveStaleInfo(dir string) bool {
	if _, err := RunningInfo(dir); errors.Is(err, ErrStaleInfo) {
		return os.Remove(InfoPath(dir)) == nil
	}
	return false
}
