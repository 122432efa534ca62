package devicesim

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

func listeningAgent(t *testing.T, kind string, access AccessChecker) *Agent {
	t.Helper()
	k, _ := KindByName(kind)
	a, err := NewAgent(k, consensus.RegTest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Access = access
	a.Now = func() time.Time { return time.Date(2026, 2, 3, 19, 30, 0, 0, time.UTC) }
	if err := a.Listen("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

func get(t *testing.T, url, token string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestEndpointServesTDPublicly(t *testing.T) {
	for _, k := range KindNames() {
		a := listeningAgent(t, k, nil)
		code, body, hdr := get(t, a.TDURL(), "")
		if code != 200 || !strings.Contains(hdr.Get("Content-Type"), "td+json") {
			t.Fatalf("%s: TD: %d %s", k, code, hdr.Get("Content-Type"))
		}
		if string(body) != string(a.ThingDescription()) {
			t.Fatalf("%s: served TD differs from the one checked in", k)
		}
		if _, err := registry.CheckThingDescription(body, a.DeviceKey.PubKey(), registry.EndpointPolicy{AllowLoopback: true}); err != nil {
			t.Fatalf("%s: served TD: %v", k, err)
		}
		if err := registry.CheckInstance(body, a.Kind.Model.ThingModel); err != nil {
			t.Fatalf("%s: served TD is not an instance of the kind's Thing Model: %v", k, err)
		}
		if !strings.Contains(string(body), a.BaseURL()+"/things/"+a.DeviceHex()) {
			t.Fatalf("%s: TD forms do not point at %s", k, a.BaseURL())
		}
	}
}

// TestEndpointRefusesDataWithoutAccess: the default checker refuses every
// data resource with 401 and a JSON error naming the access key.
func TestEndpointRefusesDataWithoutAccess(t *testing.T) {
	a := listeningAgent(t, "fridge", nil)
	for _, path := range []string{"/properties", "/properties/temperature_c", "/data", "/data?from=2026-02-03T18:00:00Z"} {
		code, body, hdr := get(t, a.BaseURL()+"/things/"+a.DeviceHex()+path, "some-guess")
		if code != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401", path, code)
		}
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Code != "access_key_required" || !strings.Contains(e.Error, "won auction") {
			t.Fatalf("%s: body %s (%v)", path, body, err)
		}
		if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("%s: no WWW-Authenticate challenge", path)
		}
	}
	if code, _, _ := get(t, a.BaseURL()+"/things/"+strings.Repeat("0", 66)+"/data", ""); code != 404 {
		t.Fatalf("other device: %d, want 404", code)
	}
}

// testAccess allows requests bearing "good", denies "expired".
type testAccess struct{ device keys.PubKey }

func (c testAccess) CheckAccess(r *http.Request, device keys.PubKey) error {
	if device != c.device {
		return fmt.Errorf("checker asked about %s", device)
	}
	switch r.Header.Get("Authorization") {
	case "Bearer good":
		return nil
	case "Bearer expired":
		return fmt.Errorf("access period ended: %w", ErrAccessDenied)
	}
	return ErrAccessRequired
}

func TestEndpointServesDataWithAccess(t *testing.T) {
	a := listeningAgent(t, "energy-meter", nil)
	a.Access = testAccess{device: a.DeviceKey.PubKey()}
	base := a.BaseURL() + "/things/" + a.DeviceHex()

	code, body, _ := get(t, base+"/data?from=2026-02-03T17:00:00Z&to=2026-02-03T19:00:00Z", "good")
	if code != 200 {
		t.Fatalf("data: %d %s", code, body)
	}
	var data struct {
		Device   string    `json:"device"`
		Kind     string    `json:"kind"`
		Readings []Reading `json:"readings"`
	}
	if err := json.Unmarshal(body, &data); err != nil {
		t.Fatal(err)
	}
	if data.Device != a.DeviceHex() || data.Kind != "energy-meter" || len(data.Readings) != 9 { // every 15 min, both ends
		t.Fatalf("data: %s %s, %d readings", data.Device, data.Kind, len(data.Readings))
	}
	want := a.Kind.Sample(a.env(), data.Readings[0].Time)
	if data.Readings[0].Values["energy_kwh"] != want.Values["energy_kwh"] {
		t.Fatalf("served %v, generator %v", data.Readings[0].Values, want.Values)
	}

	// Future times are clipped to now; the default range is the last hour.
	if code, body, _ = get(t, base+"/data?to=2030-01-01T00:00:00Z", "good"); code != 200 || strings.Count(string(body), `"time"`) != 5 {
		t.Fatalf("default range: %d %s", code, body)
	}
	var power float64
	if code, body, _ = get(t, base+"/properties/power_w", "good"); code != 200 || json.Unmarshal(body, &power) != nil {
		t.Fatalf("property: %d %s (want a bare number, as the TD declares)", code, body)
	}
	if code, _, _ = get(t, base+"/properties/nonexistent", "good"); code != 404 {
		t.Fatalf("unknown property: %d", code)
	}
	if code, _, _ = get(t, base+"/properties", "good"); code != 200 {
		t.Fatalf("all properties: %d", code)
	}
	if code, body, _ = get(t, base+"/data?from=yesterday", "good"); code != 400 || !strings.Contains(string(body), "RFC 3339") {
		t.Fatalf("bad time: %d %s", code, body)
	}
	if code, body, _ = get(t, base+"/data", "expired"); code != 403 || !strings.Contains(string(body), "access_denied") {
		t.Fatalf("expired key: %d %s", code, body)
	}
	if code, _, _ = get(t, base+"/data", ""); code != 401 {
		t.Fatalf("no key: %d", code)
	}
}

func TestAgentPersistence(t *testing.T) {
	dir := t.TempDir()
	net := consensus.RegTest()
	k, _ := KindByName("car")
	path := filepath.Join(dir, "car-000.json")
	a, err := LoadOrCreateAgent(path, k, net, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	port := a.BaseURL()
	a.Close(context.Background())
	b, err := LoadOrCreateAgent(path, k, net, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.DeviceKey.PubKey() != a.DeviceKey.PubKey() || b.OwnerKey.PubKey() != a.OwnerKey.PubKey() || b.Seed != a.Seed || b.Region != a.Region {
		t.Fatal("reloaded agent differs")
	}
	if err := b.Listen("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if b.BaseURL() != port {
		// Best effort: another process may have taken the port meanwhile.
		t.Logf("restarted agent on %s, was %s (the port is reused only when free)", b.BaseURL(), port)
	}
	tv, _ := KindByName("tv")
	if _, err := LoadOrCreateAgent(path, tv, net, nil); err == nil {
		t.Fatal("a car's key file loaded as a tv")
	}
	if _, err := LoadOrCreateAgent(path, k, consensus.TestNet(), nil); err == nil {
		t.Fatal("a regtest key file loaded on testnet")
	}
}

// TestCheckInTxIsValid: an agent's check-in passes the metadata chain's
// context-free checks, owner signature included.
func TestCheckInTxIsValid(t *testing.T) {
	net := consensus.RegTest()
	for _, k := range KindNames() {
		a := listeningAgent(t, k, nil)
		tx := registry.NewSignedCheckInTx(net.Metadata.ChainID, a.DeviceKey, 3, a.OwnerKey, a.CheckInRequest())
		m := registry.NewMachine(net, keys.NewSigCache(100))
		if err := m.CheckTxSanity(tx); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
}

// seqNode answers account.nextNonce and tx.submit like a node: a
// submission must carry exactly the next nonce (pending included).
type seqNode struct {
	next     uint64
	accepted []uint64
	calls    map[string]int
}

func (f *seqNode) Call(_ context.Context, method string, params, result any) error {
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[method]++
	switch method {
	case "account.nextNonce":
		*(result.(*uint64)) = f.next
		return nil
	case "tx.submit":
		raw, _ := hex.DecodeString(params.(api.SubmitParams).Raw)
		tx, err := wire.DecodeTx(raw)
		if err != nil {
			return err
		}
		if tx.Nonce != f.next {
			// As decoded from a real node's reply: the kind is in
			// error.data, which the Sender reads (not the message).
			return &rpc.Error{Code: rpc.CodeApplication, Message: fmt.Sprintf("nonce %d, the next is %d", tx.Nonce, f.next),
				Data: map[string]any{"kind": "ErrBadNonce"}}
		}
		f.accepted = append(f.accepted, tx.Nonce)
		f.next++
		*(result.(*api.SubmitResult)) = api.SubmitResult{ID: tx.ID(), Chain: "metadata"}
		return nil
	}
	return errors.New("unexpected " + method)
}

func TestSenderSequencesAndRetries(t *testing.T) {
	key, _ := keys.GenerateKey()
	dev, _ := keys.GenerateKey()
	node := &seqNode{next: 5}
	s := NewSender(node, key)
	net := consensus.RegTest()
	build := func(n uint64) *wire.Tx { return registry.NewDisableTx(net.Metadata.ChainID, key, n, dev.PubKey()) }
	for i := 0; i < 3; i++ {
		if _, err := s.Submit(context.Background(), build); err != nil {
			t.Fatal(err)
		}
	}
	if node.calls["account.nextNonce"] != 1 {
		t.Fatalf("nonce fetched %d times for three transactions", node.calls["account.nextNonce"])
	}
	// Another process takes nonces 8 and 9: our next submission at 8
	// conflicts, the Sender refetches and lands at 10.
	node.next = 10
	if _, err := s.Submit(context.Background(), build); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(node.accepted); got != "[5 6 7 10]" {
		t.Fatalf("accepted nonces %v", got)
	}
}
