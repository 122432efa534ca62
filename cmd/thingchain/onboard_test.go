package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/registry"
)

// cliRunner runs the built binary with the flags every onboarding step
// shares.
type cliRunner struct {
	t                     *testing.T
	bin, dir, wallet, pwd string
}

func (r *cliRunner) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(r.bin, args...)
	cmd.Dir = r.dir
	return cmd
}

// run runs a command that must succeed and returns its stdout.
func (r *cliRunner) run(args ...string) []byte {
	r.t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := r.cmd(args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("thingchain %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// fail runs a command that must fail and returns its stderr.
func (r *cliRunner) fail(args ...string) string {
	r.t.Helper()
	var stderr bytes.Buffer
	cmd := r.cmd(args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		r.t.Fatalf("thingchain %s succeeded, want an error", strings.Join(args, " "))
	}
	return stderr.String()
}

func (r *cliRunner) runJSON(v any, args ...string) {
	r.t.Helper()
	out := r.run(append(args, "--json")...)
	if err := json.Unmarshal(out, v); err != nil {
		r.t.Fatalf("thingchain %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (r *cliRunner) write(name, content string) string {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// The maker's files of docs/device-api.md §10, as a maker would use them.
const onboardingFiles = "../../testdata/onboarding/"

func readOnboardingFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(onboardingFiles + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lampTD is the example Thing Description with the device's URN and base
// filled in.
func lampTD(t *testing.T, urn, base string) string {
	td := readOnboardingFile(t, "lamp.td.json")
	td = strings.Replace(td, "urn:thingchain:device:DEVICE_PUBLIC_KEY_HEX", urn, 1)
	return strings.Replace(td, "http://127.0.0.1:8123/lamp/", base, 1)
}

// TestOnboardingWithCLIOnly is the acceptance test of device onboarding:
// against a real regtest node process, the built binary alone admits an
// OEM with 2 of 3 authority approvals (the proposal file passing from
// authority to authority), publishes a Thing Model, attests a device
// offline (signed to a file, submitted separately), checks the device in
// with a TD file and the owner's consent, and `devices list` finds it
// enabled. A TD that is not an instance of the model is refused with its
// rule kind before anything is sent.
func TestOnboardingWithCLIOnly(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "node")
	r := &cliRunner{t: t, bin: bin, dir: dir, wallet: filepath.Join(dir, "keys")}
	r.pwd = r.write("pw.txt", "correct horse\n")
	_, logs := runNode(t, bin, "node", "--network", "regtest", "--mine", "--datadir", data, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 60*time.Second, "node started")

	common := []string{"--network", "regtest", "--wallet-dir", r.wallet, "--password-file", r.pwd}
	node := append([]string{"--datadir", data}, common...)
	for _, name := range []string{"acme-oem", "lamp-0001", "lamp-0002", "alice"} {
		r.run(append([]string{"wallet", "new", name, "--kdf", "light"}, common...)...)
	}

	// Governance: propose, two of three authorities sign, submit.
	var prop struct {
		Approvals, Threshold, Authorities int
		Ready                             bool
	}
	r.runJSON(&prop, append([]string{"gov", "propose", "--action", "admit-oem", "--subject", "acme-oem", "--name", "Acme Lighting", "--out", "admit.json"}, common...)...)
	if prop.Approvals != 0 || prop.Threshold != 2 || prop.Authorities != 3 || prop.Ready {
		t.Fatalf("new proposal: %+v", prop)
	}
	r.runJSON(&prop, append([]string{"gov", "approve", "admit.json", "--dev-authority", "0"}, common...)...)
	if prop.Approvals != 1 || prop.Ready {
		t.Fatalf("after one approval: %+v", prop)
	}
	if msg := r.fail(append([]string{"gov", "submit", "admit.json"}, node...)...); !strings.Contains(msg, string(registry.ErrBelowThreshold)) || !strings.Contains(msg, "1 of 2") {
		t.Fatalf("submit below threshold: %s", msg)
	}
	if msg := r.fail(append([]string{"gov", "approve", "admit.json", "--dev-authority", "0"}, common...)...); !strings.Contains(msg, "already approved") {
		t.Fatalf("second approval by the same authority: %s", msg)
	}
	r.runJSON(&prop, append([]string{"gov", "approve", "admit.json", "--dev-authority", "2"}, common...)...)
	if prop.Approvals != 2 || !prop.Ready {
		t.Fatalf("after two approvals: %+v", prop)
	}
	var sub struct {
		Status string
		Height uint64
	}
	r.runJSON(&sub, append([]string{"gov", "submit", "admit.json", "--wait"}, node...)...)
	if sub.Status != "confirmed" || sub.Height == 0 {
		t.Fatalf("governance: %+v", sub)
	}
	var status struct {
		Membership *registry.Member
	}
	r.runJSON(&status, append([]string{"gov", "status", "admit.json"}, node...)...)
	if status.Membership == nil || status.Membership.Revoked || status.Membership.Name != "Acme Lighting" || status.Membership.AdmittedHeight != sub.Height {
		t.Fatalf("gov status after the admission: %+v", status.Membership)
	}

	// The OEM publishes its Thing Model.
	lampThingModel := readOnboardingFile(t, "lamp.tm.json")
	tm := r.write("lamp.tm.json", lampThingModel)
	schema := r.write("lamp.schema.json", readOnboardingFile(t, "lamp.schema.json"))
	r.runJSON(&sub, append([]string{"oem", "publish-model", "--key", "acme-oem", "--tm", tm, "--id", "acme-lamp-l1", "--kind", "lamp", "--metadata-schema", schema, "--wait"}, node...)...)
	if sub.Status != "confirmed" {
		t.Fatalf("publish-model: %+v", sub)
	}
	var model registry.Model
	r.runJSON(&model, "oem", "model", "acme-lamp-l1", "--datadir", data, "--network", "regtest")
	if model.Version != 1 || model.Title != "Acme Lamp L1" || model.Kind != "lamp" || !strings.Contains(string(model.ThingModel), "tm:ThingModel") {
		t.Fatalf("published model: %+v", model)
	}

	// Attestation signed offline (explicit nonce, no node), then submitted.
	var id struct{ Pubkey, URN string }
	r.runJSON(&id, append([]string{"oem", "device-id", "lamp-0001"}, common...)...)
	offline := append([]string{"--network", "regtest", "--wallet-dir", r.wallet, "--password-file", r.pwd}, "--node", "http://127.0.0.1:1")
	r.run(append([]string{"oem", "attest", "--key", "acme-oem", "--device", "lamp-0001", "--model", "acme-lamp-l1", "--nonce", "1", "--out", "attest.json"}, offline...)...)
	r.runJSON(&sub, "tx", "submit", "attest.json", "--wait", "--datadir", data)
	if sub.Status != "confirmed" {
		t.Fatalf("attest: %+v", sub)
	}

	// A TD that misses a required affordance of the model is refused
	// locally, with the rule's kind, before anything is signed or sent.
	bad := strings.Replace(lampTD(t, id.URN, "http://127.0.0.1:8123/lamp/"), `"brightness"`, `"level"`, 1)
	badPath := r.write("bad.td.json", bad)
	md := r.write("lamp.md.json", readOnboardingFile(t, "lamp.md.json"))
	checkin := []string{"owner", "checkin", "--device-key", "lamp-0001", "--owner-key", "alice", "--metadata", md, "--region", "DE", "--reserve", "10000u", "--points", "100", "--period", "1h"}
	if msg := r.fail(append(append(checkin, "--td", badPath), node...)...); !strings.Contains(msg, string(registry.ErrTDMissingAffordance)) {
		t.Fatalf("non-conforming TD: %s", msg)
	}
	td := r.write("lamp.td.json", lampTD(t, id.URN, "http://127.0.0.1:8123/lamp/"))
	r.runJSON(&sub, append(append(checkin, "--td", td, "--wait"), node...)...)
	if sub.Status != "confirmed" {
		t.Fatalf("check-in: %+v", sub)
	}

	var res registry.QueryResult
	r.runJSON(&res, "devices", "list", "--datadir", data, "--network", "regtest", "--filter", "model=acme-lamp-l1", "--filter", "enabled=true")
	if res.Total != 1 || res.Devices[0].Device != id.Pubkey || res.Devices[0].Kind != "lamp" || res.Devices[0].ModelVersion != 1 ||
		res.Devices[0].Region != "DE" || res.Devices[0].Terms.PointsPerPeriod != 100 {
		t.Fatalf("devices list: %+v", res)
	}

	// The owner on another machine: a consent file for a second lamp,
	// submitted by the device.
	var id2 struct{ Pubkey, URN string }
	r.runJSON(&id2, append([]string{"oem", "device-id", "lamp-0002"}, common...)...)
	r.runJSON(&sub, append([]string{"oem", "attest", "--key", "acme-oem", "--device", "lamp-0002", "--model", "acme-lamp-l1", "--wait"}, node...)...)
	td2 := r.write("lamp2.td.json", lampTD(t, id2.URN, "http://127.0.0.1:8124/lamp/"))
	r.run(append([]string{"owner", "enable", "--owner-key", "alice", "--device", "lamp-0002", "--td", td2, "--metadata", md, "--region", "DE", "--consent-out", "consent.json"}, node...)...)
	r.runJSON(&sub, append([]string{"owner", "checkin", "--device-key", "lamp-0002", "--consent", "consent.json", "--wait"}, node...)...)
	if sub.Status != "confirmed" {
		t.Fatalf("check-in with a consent file: %+v", sub)
	}

	// The owner changes the first lamp's terms, then disables it.
	r.runJSON(&sub, append([]string{"owner", "terms", "--owner-key", "alice", "--device", "lamp-0001", "--reserve", "20000u", "--points", "50", "--period", "2h", "--wait"}, node...)...)
	r.runJSON(&sub, append([]string{"owner", "disable", "--owner-key", "alice", "--device", "lamp-0001", "--wait"}, node...)...)
	r.runJSON(&res, "devices", "list", "--datadir", data, "--network", "regtest", "--filter", "model=acme-lamp-l1")
	byKey := map[string]*registry.Device{}
	for _, d := range res.Devices {
		byKey[d.Device] = d
	}
	first, second := byKey[id.Pubkey], byKey[id2.Pubkey]
	if res.Total != 2 || first == nil || second == nil || first.Enabled || first.Terms.ReservePerPoint != 20000 || first.Terms.AccessPeriodSeconds != 7200 || !second.Enabled {
		t.Fatalf("after terms, disable and a consent check-in: %+v", res)
	}
	// Version 2 of the model requires a colour property. Version 1 stays
	// readable, and the first lamp, checked in under version 1, checks in
	// again with its unchanged TD.
	tm2 := r.write("lamp2.tm.json", strings.Replace(lampThingModel, `"properties": {`, `"properties": {
    "colour": {"type": "string", "readOnly": true},`, 1))
	r.runJSON(&sub, append([]string{"oem", "publish-model", "--key", "acme-oem", "--tm", tm2, "--id", "acme-lamp-l1", "--kind", "lamp", "--version", "2", "--metadata-schema", schema, "--wait"}, node...)...)
	r.runJSON(&model, "oem", "model", "acme-lamp-l1", "--version", "1", "--datadir", data, "--network", "regtest")
	if model.Version != 1 || strings.Contains(string(model.ThingModel), "colour") {
		t.Fatalf("model version 1 after version 2: %+v", model)
	}
	r.runJSON(&model, "oem", "model", "acme-lamp-l1", "--datadir", data, "--network", "regtest")
	if model.Version != 2 {
		t.Fatalf("latest model version: %d", model.Version)
	}
	r.runJSON(&sub, append(append(checkin, "--td", td, "--wait"), node...)...)
	r.runJSON(&res, "devices", "list", "--datadir", data, "--network", "regtest", "--filter", "model=acme-lamp-l1", "--filter", "enabled=true")
	if res.Total != 2 {
		t.Fatalf("after version 2 and a re-check-in under version 1: %+v", res)
	}
	for _, d := range res.Devices {
		if d.ModelVersion != 1 {
			t.Fatalf("device %s model version %d, want 1", d.Device, d.ModelVersion)
		}
	}
}

// TestGovGenesisAndOfflineFiles: gov genesis validates its input and
// prints the consensus literal; an edited transaction file is refused.
func TestGovGenesisAndOfflineFiles(t *testing.T) {
	net := consensus.TestNet()
	var keysHex []string
	for _, k := range net.Authorities {
		keysHex = append(keysHex, hex.EncodeToString(k[:]))
	}
	out := runApp(t, false, "gov", "genesis", "--authority", keysHex[0], "--authority", keysHex[1], "--authority", keysHex[2], "--threshold", "2")
	if !strings.Contains(out, "p.AuthorityThreshold = 2") || !strings.Contains(out, keysHex[2]) {
		t.Fatalf("gov genesis: %s", out)
	}
	if msg := runApp(t, true, "gov", "genesis", "--authority", keysHex[0], "--threshold", "2"); !strings.Contains(msg, "--threshold") {
		t.Fatalf("threshold above the set: %s", msg)
	}
	if msg := runApp(t, true, "gov", "genesis", "--authority", keysHex[0], "--authority", keysHex[0], "--threshold", "1"); !strings.Contains(msg, "twice") {
		t.Fatalf("duplicate authority: %s", msg)
	}
	// A signed attestation file whose summary was edited still submits
	// what was signed; one whose raw bytes were edited is refused.
	dir := t.TempDir()
	oem, dev := mustKeyCLI(t), mustKeyCLI(t)
	tx := registry.NewAttestTx(consensus.RegTest().Metadata.ChainID, oem, 0, dev.PubKey(), "m1")
	f := TxFile{Network: "regtest", Chain: "metadata", Type: "attest-device", TxID: tx.ID().String(), Raw: hex.EncodeToString(tx.Encode())}
	raw := tx.Encode()
	raw[len(raw)-1] ^= 1
	f.Raw = hex.EncodeToString(raw)
	b, _ := json.Marshal(f)
	p := filepath.Join(dir, "t.json")
	os.WriteFile(p, b, 0o644)
	if msg := runApp(t, true, "tx", "show", p); !strings.Contains(msg, "edited") {
		t.Fatalf("edited transaction file: %s", msg)
	}
}

func mustKeyCLI(t *testing.T) *keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDevicesCheckCommand: `devices check` passes a simulated thermostat
// read with its access key and fails it without (401 on every data form).
func TestDevicesCheckCommand(t *testing.T) {
	kind, _ := devicesim.KindByName("thermostat")
	a, err := devicesim.NewAgent(kind, consensus.RegTest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Access = devicesim.AccessFunc(func(r *http.Request, _ keys.PubKey) error {
		if r.Header.Get("Authorization") == "Bearer good" {
			return nil
		}
		return devicesim.ErrAccessRequired
	})
	if err := a.Listen("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	var rep struct{ Passed, Failed, Skipped int }
	out := runApp(t, false, "devices", "check", a.TDURL(), "--token", "good", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Passed != len(kind.Properties)+2 || rep.Failed != 0 {
		t.Fatalf("with the key: %+v", rep)
	}
	if msg := runApp(t, true, "devices", "check", a.TDURL()); !strings.Contains(msg, "401") {
		t.Fatalf("without the key: %s", msg)
	}
}
