package pythondevice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// python is Debian's interpreter, the one that sees python3-cryptography.
const python = "/usr/bin/python3"

// requirePython skips when the interpreter or python3-cryptography is
// missing (`go test ./...` must work with Go alone), unless
// THINGCHAIN_REQUIRE_PYTHON=1 (set by .ci/run, which installs them).
func requirePython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import cryptography, sys; assert sys.version_info >= (3, 11)").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s with python3-cryptography is needed (apt-get install python3-cryptography): %v %s", python, err, out)
	if os.Getenv("THINGCHAIN_REQUIRE_PYTHON") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestPythonUnitTests runs the package's unittest suite (vectors from
// testdata/, the data endpoint, the CLI).
func TestPythonUnitTests(t *testing.T) {
	requirePython(t)
	cmd := exec.Command(python, "-m", "unittest", "discover", "-s", "tests", "-t", ".")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("python unit tests: %v", err)
	}
	if bytes.Contains(out, []byte("skipped")) && os.Getenv("THINGCHAIN_REQUIRE_PYTHON") == "1" {
		t.Fatalf("python unit tests skipped vectors in CI")
	}
}

// proc is a started process whose stderr and stdout lines are kept and
// can be waited for.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{}
	done  chan struct{}
}

func start(t *testing.T, name string, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(bin, args...), added: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		pw.Close()
	}()
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
	}
	<-p.done
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitFor waits until a line contains want, counting from line from,
// and returns the index after it.
func (p *proc) waitFor(from int, want string, timeout time.Duration) int {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if strings.Contains(p.lines[i], want) {
				p.mu.Unlock()
				return i + 1
			}
		}
		n := len(p.lines)
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-p.done:
			p.mu.Lock()
			more := len(p.lines) > n
			p.mu.Unlock()
			if !more {
				p.t.Fatalf("%s exited before logging %q:\n%s", p.name, want, p.log())
			}
		case <-deadline:
			p.t.Fatalf("%s did not log %q within %s:\n%s", p.name, want, timeout, p.log())
		}
	}
}

func (p *proc) lineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

func buildThingchain(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "thingchain")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/thingchain/thingchain/cmd/thingchain").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// poll calls f until it returns true or the deadline passes.
func poll(t *testing.T, what string, timeout time.Duration, f func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := f()
		if ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
	t.Fatalf("%s: not within %s (last error: %v)", what, timeout, last)
}

type httpAnswer struct {
	Status int
	Body   []byte
}

func get(t *testing.T, url, auth string) httpAnswer {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpAnswer{resp.StatusCode, b}
}

// rpcCall makes one JSON-RPC call and decodes its result into out.
func rpcCall(url, method string, params, out any) error {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %s", method, r.Error.Message)
	}
	return json.Unmarshal(r.Result, out)
}
