package pythondevice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// accessPeriod is the device's access period in the end-to-end test:
// long enough to fetch and check its data, short enough to see the key
// expire.
const accessPeriod = 30 * time.Second

// TestPythonDeviceEndToEnd is the acceptance test of the Python reference
// device: a real regtest node process; the OEM admitted, its Thing Model
// published and the Python device's key attested with the thingchain CLI;
// the Python device (python3 -m thingdevice) checks itself in with its TD
// and the owner's consent (a second one submits a consent file the owner
// signed in the Go wallet with `thingchain owner enable`); a Go wallet (`thingchain wallet bid`) wins its
// auction and gets the key the Python device delivered; the device is
// killed (-9) and restarted and keeps serving with its state file; the
// data fetched with `thingchain wallet fetch`, the generic WoT client
// (`thingchain devices check`) passes every affordance, a forged key gets
// 403 and, once the access period is over, the real key gets 403 too.
func TestPythonDeviceEndToEnd(t *testing.T) {
	requirePython(t)
	if testing.Short() {
		t.Skip("end-to-end test with real processes")
	}
	bin := buildThingchain(t)
	pkgDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "node")
	// The keystore password comes from the environment, as in a script.
	t.Setenv("THINGCHAIN_PASSWORD", "correct horse")
	common := []string{"--network", "regtest", "--wallet-dir", filepath.Join(dir, "wallets")}
	onNode := append([]string{"--datadir", data}, common...)
	tc := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("thingchain %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	py := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(python, append([]string{"-m", "thingdevice"}, args...)...)
		cmd.Dir = pkgDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python3 -m thingdevice %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	node := start(t, "node", dir, nil, bin, "node", "--network", "regtest", "--mine", "--datadir", data,
		"--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	var info struct {
		RPC string `json:"rpc"`
	}
	poll(t, "node.json with the API URL", 60*time.Second, func() (bool, error) {
		b, err := os.ReadFile(filepath.Join(data, "node.json"))
		if err != nil {
			return false, err
		}
		return json.Unmarshal(b, &info) == nil && info.RPC != "", nil
	})
	_ = node

	// Keys: the OEM and the bidder in the Go wallet; the device and its
	// owner made by the Python device.
	tc(append([]string{"wallet", "new", "acme-oem", "--kdf", "light"}, common...)...)
	tc(append([]string{"wallet", "new", "bob", "--kdf", "light"}, common...)...)
	deviceKey, ownerKey := filepath.Join(dir, "device.key"), filepath.Join(dir, "owner.key")
	var dev struct {
		PublicKey string `json:"public_key"`
		URN       string `json:"urn"`
	}
	if err := json.Unmarshal([]byte(py("keygen", "--out", deviceKey, "--json")), &dev); err != nil {
		t.Fatal(err)
	}
	py("keygen", "--out", ownerKey)

	// Onboarding with the CLI: governance admits the OEM (2 of 3 regtest
	// authorities), the OEM publishes the Thing Model and attests the
	// Python device's key.
	tc(append([]string{"gov", "propose", "--action", "admit-oem", "--subject", "acme-oem", "--name", "PyTherm Devices", "--out", "admit.json"}, common...)...)
	tc(append([]string{"gov", "approve", "admit.json", "--dev-authority", "0"}, common...)...)
	tc(append([]string{"gov", "approve", "admit.json", "--dev-authority", "1"}, common...)...)
	tc(append([]string{"gov", "submit", "admit.json", "--wait"}, onNode...)...)
	tc(append([]string{"oem", "publish-model", "--key", "acme-oem", "--tm", filepath.Join(pkgDir, "examples", "thermostat.tm.json"),
		"--id", "pytherm-p1", "--kind", "thermostat", "--wait"}, onNode...)...)
	tc(append([]string{"oem", "attest", "--key", "acme-oem", "--device", dev.PublicKey, "--model", "pytherm-p1", "--wait"}, onNode...)...)

	// The device's TD from the example template, served on a free port.
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	tdFile := filepath.Join(dir, "thermostat.td.json")
	py("td", "--template", filepath.Join(pkgDir, "examples", "thermostat.td.template.json"), "--device-key", deviceKey, "--base", base, "--out", tdFile)
	stateFile := filepath.Join(dir, "device.state.json")
	runArgs := []string{"-m", "thingdevice", "--node", info.RPC, "--td", tdFile, "--device-key", deviceKey, "--owner-key", ownerKey,
		"--data", filepath.Join(pkgDir, "examples", "thermostat_data.py"), "--state", stateFile,
		"--region", "EU-DE", "--reserve", "1000", "--points", "2", "--period", fmt.Sprint(int(accessPeriod.Seconds()))}
	device := start(t, "python device", pkgDir, nil, python, runArgs...)
	device.waitFor(0, "check-in confirmed", 60*time.Second)
	tdURL := base + "/things/" + dev.PublicKey + "/td"
	if a := get(t, tdURL, ""); a.Status != 200 || !strings.Contains(string(a.Body), dev.URN) {
		t.Fatalf("GET %s: %d %s", tdURL, a.Status, a.Body)
	}
	var listed struct {
		Total int `json:"total"`
	}
	json.Unmarshal([]byte(tc("devices", "list", "--datadir", data, "--network", "regtest", "--filter", "model=pytherm-p1", "--filter", "enabled=true", "--json")), &listed)
	if listed.Total != 1 {
		t.Fatalf("devices list finds %d enabled pytherm-p1 devices, want 1", listed.Total)
	}

	// A second Python device whose owner keeps their key in the Go wallet:
	// the owner signs a consent file with `thingchain owner enable` and
	// the device submits it (--consent). Another region, so the bid below
	// is for the first device only.
	var alice struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(tc(append([]string{"wallet", "new", "alice", "--kdf", "light", "--json"}, common...)...)), &alice); err != nil || alice.Address == "" {
		t.Fatalf("wallet new alice --json: %v", err)
	}
	device2Key := filepath.Join(dir, "device2.key")
	var dev2 struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(py("keygen", "--out", device2Key, "--json")), &dev2); err != nil {
		t.Fatal(err)
	}
	tc(append([]string{"oem", "attest", "--key", "acme-oem", "--device", dev2.PublicKey, "--model", "pytherm-p1", "--wait"}, onNode...)...)
	base2 := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	td2File := filepath.Join(dir, "thermostat2.td.json")
	py("td", "--template", filepath.Join(pkgDir, "examples", "thermostat.td.template.json"), "--device-key", device2Key, "--base", base2, "--out", td2File)
	consent := filepath.Join(dir, "consent.json")
	tc(append([]string{"owner", "enable", "--owner-key", "alice", "--device", dev2.PublicKey, "--td", td2File, "--region", "EU-FR",
		"--reserve", "1000u", "--points", "2", "--period", "1h", "--consent-out", consent}, onNode...)...)
	device2 := start(t, "python device 2", pkgDir, nil, python, "-m", "thingdevice", "--node", info.RPC, "--td", td2File,
		"--device-key", device2Key, "--consent", consent, "--state", filepath.Join(dir, "device2.state.json"))
	device2.waitFor(0, "check-in confirmed", 60*time.Second)
	var rec2 struct {
		Owner   string `json:"owner"`
		Enabled bool   `json:"enabled"`
		Region  string `json:"region"`
	}
	if err := rpcCall(info.RPC, "registry.device", map[string]string{"device": dev2.PublicKey}, &rec2); err != nil ||
		!rec2.Enabled || rec2.Region != "EU-FR" || rec2.Owner != alice.Address {
		t.Fatalf("device checked in with a consent file: %v %+v (alice %s)", err, rec2, alice.Address)
	}
	device2.kill()

	// Auctions read the metadata chain at an anchor a block or more behind
	// its tip: wait until the auction chain sees the device enabled.
	poll(t, "the device biddable on the auction chain", 60*time.Second, func() (bool, error) {
		var next struct {
			Biddable bool   `json:"biddable"`
			Reason   string `json:"reason"`
		}
		err := rpcCall(info.RPC, "auction.next", map[string]string{"device": dev.PublicKey}, &next)
		if err == nil && !next.Biddable {
			err = fmt.Errorf("%s", next.Reason)
		}
		return next.Biddable, err
	})

	// A Go wallet bids and follows its bid to the delivered key.
	tc(append([]string{"wallet", "faucet", "bob", "--amount", "10", "--wait"}, onNode...)...)
	bid := tc(append([]string{"wallet", "bid", "bob", "--filter", "model=pytherm-p1", "--filter", "region=EU-DE", "--max-price-per-point", "2000u", "--timeout", "90s"}, onNode...)...)
	t.Logf("wallet bid:\n%s", bid)
	device.waitFor(0, "key for auction", 10*time.Second)
	var ks []struct {
		Auction string `json:"auction"`
		Device  string `json:"device"`
		Key     string `json:"key"`
		Valid   bool   `json:"valid"`
		Expires time.Time
		Error   string `json:"error"`
	}
	if err := json.Unmarshal([]byte(tc(append([]string{"wallet", "keys", "bob", "--json"}, onNode...)...)), &ks); err != nil || len(ks) != 1 {
		t.Fatalf("wallet keys: %v %+v", err, ks)
	}
	k := ks[0]
	if k.Device != dev.PublicKey || !k.Valid || k.Error != "" || len(k.Key) != 64 {
		t.Fatalf("delivered key: %+v", k)
	}
	token := k.Auction + "." + k.Key

	// The key is the one the device saved; kill -9 and restart: the
	// device keeps it, does not check in again, and serves the winner.
	var st struct {
		Auctions map[string]struct {
			Key string `json:"key"`
		} `json:"auctions"`
	}
	b, _ := os.ReadFile(stateFile)
	if err := json.Unmarshal(b, &st); err != nil || st.Auctions[k.Auction].Key != k.Key {
		t.Fatalf("state file does not hold the delivered key: %v\n%s", err, b)
	}
	device.cmd.Process.Kill()
	<-device.done
	device = start(t, "python device (restarted)", pkgDir, nil, python, runArgs...)
	device.waitFor(0, "already enabled", 30*time.Second)
	device.waitFor(0, "subscribed to new auction blocks", 30*time.Second)

	propURL := base + "/things/" + dev.PublicKey + "/properties/temperature"
	if a := get(t, propURL, "Bearer "+token); a.Status != 200 {
		t.Fatalf("winner's GET %s: %d %s", propURL, a.Status, a.Body)
	}
	fetched := tc(append([]string{"wallet", "fetch", "bob", dev.PublicKey, "--json"}, onNode...)...)
	if !strings.Contains(fetched, `"data"`) {
		t.Fatalf("wallet fetch: %s", fetched)
	}
	// The generic WoT client: every affordance answers as the TD declares.
	check := tc("devices", "check", tdURL, "--token", token, "--json")
	var rep struct {
		Passed, Failed int
	}
	if err := json.Unmarshal([]byte(check), &rep); err != nil || rep.Failed != 0 || rep.Passed < 5 {
		t.Fatalf("devices check: %v\n%s", err, check)
	}

	// A forged key: 403.
	forged := sha256.Sum256([]byte("not the key"))
	if a := get(t, propURL, "Bearer "+k.Auction+"."+hex.EncodeToString(forged[:])); a.Status != 403 || !strings.Contains(string(a.Body), "access_denied") {
		t.Fatalf("forged key: %d %s", a.Status, a.Body)
	}
	if a := get(t, propURL, ""); a.Status != 401 {
		t.Fatalf("no key: %d %s", a.Status, a.Body)
	}
	// The real key after its access period: 403, the period ended.
	var last httpAnswer
	poll(t, "403 after the access period", time.Until(k.Expires)+20*time.Second, func() (bool, error) {
		last = get(t, propURL, "Bearer "+token)
		return last.Status == 403, nil
	})
	if !strings.Contains(string(last.Body), "access period ended") {
		t.Fatalf("expired key: %d %s", last.Status, last.Body)
	}
}
