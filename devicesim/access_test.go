package devicesim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/thingchain/thingchain/api/apitypes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// fakeAuctions answers auction.get from api.AuctionView values, through a
// JSON round trip as the real API does.
type fakeAuctions struct {
	views map[wire.Hash]*api.AuctionView
	calls atomic.Int32
	fail  error
}

func (f *fakeAuctions) Call(_ context.Context, method string, params, result any) error {
	f.calls.Add(1)
	if f.fail != nil {
		return f.fail
	}
	if method != "auction.get" {
		return errors.New("unexpected method " + method)
	}
	id := params.(api.AuctionIDParams).ID
	b, err := json.Marshal(f.views[id])
	if err != nil {
		return err
	}
	return json.Unmarshal(b, result)
}

func mustKey(t *testing.T) *keys.PrivateKey {
	t.Helper()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// deliveredView is a delivered auction of device whose key hashes to key.
func deliveredView(device keys.PubKey, seq uint64, key []byte, from, to time.Time) *api.AuctionView {
	id := auction.AuctionID(device, seq)
	a := api.AuctionView{}.Auction
	a.ID, a.Device, a.Seq, a.Status = id, device.String(), seq, apitypes.StatusDelivered
	return &api.AuctionView{Auction: a, Phase: "delivered", Delivery: &apitypes.Delivery{
		Auction: id, Device: device.String(), Time: from.UnixMilli(), Expires: to.UnixMilli(), KeyHash: auction.KeyHash(key),
		EncryptedKey: "010203",
	}}
}

func TestChainAccess(t *testing.T) {
	dev, other := mustKey(t).PubKey(), mustKey(t).PubKey()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	end := start.Add(600 * time.Second)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	wrong := append([]byte(nil), key...)
	wrong[0] ^= 1

	good := deliveredView(dev, 0, key, start, end)
	otherDev := deliveredView(other, 0, key, start, end)
	pendingID := auction.AuctionID(dev, 1)
	pending := &api.AuctionView{Auction: apitypes.Auction{ID: pendingID, Device: dev.String(), Seq: 1, Status: apitypes.StatusPaid}}
	fake := &fakeAuctions{views: map[wire.Hash]*api.AuctionView{good.ID: good, otherDev.ID: otherDev, pendingID: pending}}

	now := start.Add(time.Minute)
	ca := &ChainAccess{Client: fake, Now: func() time.Time { return now }}
	if auction.KeyHash(key) != sha256.Sum256(key) {
		t.Fatal("auction.KeyHash is not SHA-256")
	}

	type tc struct {
		name   string
		header string
		at     time.Time
		want   error // nil, ErrAccessRequired or ErrAccessDenied
		msg    string
	}
	cases := []tc{
		{"missing", "", now, ErrAccessRequired, ""},
		{"basic scheme", "Basic dXNlcjpwYXNz", now, ErrAccessRequired, "Bearer"},
		{"bearer without token", "Bearer ", now, ErrAccessRequired, ""},
		{"no dot", "Bearer " + good.ID.String() + hex.EncodeToString(key), now, ErrAccessRequired, "<auction ID hex>.<access key hex>"},
		{"bad auction hex", "Bearer zz." + hex.EncodeToString(key), now, ErrAccessRequired, "auction ID"},
		{"bad key hex", "Bearer " + good.ID.String() + ".xyz", now, ErrAccessRequired, "not hex"},
		{"short key", "Bearer " + good.ID.String() + ".abcd", now, ErrAccessRequired, "2 bytes"},
		{"wrong key", "Bearer " + AccessToken(good.ID, wrong), now, ErrAccessDenied, "forged or wrong key"},
		{"unknown auction", "Bearer " + AccessToken(auction.AuctionID(dev, 9), key), now, ErrAccessDenied, "forged or wrong key"},
		{"other device's auction", "Bearer " + AccessToken(otherDev.ID, key), now, ErrAccessDenied, "forged or wrong key"},
		{"not delivered yet", "Bearer " + AccessToken(pendingID, key), now, ErrAccessDenied, "no access key was delivered"},
		{"before the period", "Bearer " + AccessToken(good.ID, key), start.Add(-time.Second), ErrAccessDenied, "access period starts at"},
		{"expired", "Bearer " + AccessToken(good.ID, key), end, ErrAccessDenied, "access period ended at " + end.Format(time.RFC3339)},
		{"valid", "Bearer " + AccessToken(good.ID, key), now, nil, ""},
		{"valid, lower-case scheme", "bearer " + AccessToken(good.ID, key), end.Add(-time.Millisecond), nil, ""},
		{"valid at the first millisecond", "Bearer " + AccessToken(good.ID, key), start, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now = c.at
			r := httptest.NewRequest("GET", "/things/x/data", nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			err := ca.CheckAccess(r, dev)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("got %v, want %v", err, c.want)
			case c.msg != "" && !strings.Contains(err.Error(), c.msg):
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
		})
	}

	// Reads are cached: the table above read each auction once.
	if n := fake.calls.Load(); n > 4 {
		t.Errorf("%d auction.get calls for 4 distinct auctions", n)
	}

	// The device's own saved key refuses a wrong key without the node.
	fake.fail = errors.New("node down")
	ca2 := &ChainAccess{Client: fake, Now: func() time.Time { return now },
		LocalKey: func(d keys.PubKey, id wire.Hash) ([]byte, bool) { return key, d == dev && id == good.ID }}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+AccessToken(good.ID, wrong))
	if err := ca2.CheckAccess(r, dev); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong key against the local key: %v", err)
	}
	// A node failure is no proof of a bad key: 401 and retry.
	r.Header.Set("Authorization", "Bearer "+AccessToken(good.ID, key))
	if err := ca2.CheckAccess(r, dev); !errors.Is(err, ErrAccessRequired) || !strings.Contains(err.Error(), "retry") {
		t.Fatalf("node down: %v", err)
	}
}

// TestChainAccessOverHTTP: the endpoint maps ChainAccess's answers onto
// 200, 401 and 403.
func TestChainAccessOverHTTP(t *testing.T) {
	a := listeningAgent(t, "thermostat", nil)
	key := make([]byte, 32)
	key[5] = 7
	at := a.Now()
	view := deliveredView(a.DeviceKey.PubKey(), 0, key, at.Add(-time.Hour), at.Add(time.Hour))
	a.Access = &ChainAccess{Client: &fakeAuctions{views: map[wire.Hash]*api.AuctionView{view.ID: view}}, Now: a.Now}

	if code, _, hdr := get(t, a.DataURL(), ""); code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d", code)
	}
	if code, body, _ := get(t, a.DataURL(), AccessToken(view.ID, key)); code != 200 || !strings.Contains(string(body), "readings") {
		t.Fatalf("valid token: %d %s", code, body)
	}
	key[0] = 1
	if code, body, _ := get(t, a.DataURL(), AccessToken(view.ID, key)); code != http.StatusForbidden || !strings.Contains(string(body), "forged or wrong key") {
		t.Fatalf("forged token: %d %s", code, body)
	}
}
