package api

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// Registry is what the API reads of the metadata chain's state: records at
// the tip and the query index.
type Registry interface {
	Device(device keys.PubKey) (*registry.Device, error)
	OEM(oem keys.PubKey) (*registry.Member, error)
	Miner(miner keys.PubKey) (*registry.Member, error)
	Model(id string, version uint32) (*registry.Model, error) // version 0: the latest
	Query(f registry.Filter) registry.QueryResult
}

var errNoRegistry = errors.New("this node keeps no metadata-chain index")

func parsePubKeyParam(name, s string) (keys.PubKey, error) {
	raw, err := hex.DecodeString(s)
	if err != nil {
		return keys.PubKey{}, invalid("%s is not hex: %v", name, err)
	}
	pk, err := keys.ParsePubKey(raw)
	if err != nil {
		return keys.PubKey{}, invalid("%s: %v", name, err)
	}
	return pk, nil
}

// DeviceParams names a device by its key.
type DeviceParams struct {
	Device string `json:"device"`
}

// GetDevice returns a device record, or null if the key was never attested.
// Its strikes (missed key deliveries) are judged on the auction chain and
// filled in from there.
func (s *Service) GetDevice(_ context.Context, p DeviceParams) (*registry.Device, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("device", p.Device)
	if err != nil {
		return nil, err
	}
	rec, err := s.b.Registry.Device(pk)
	if err != nil || rec == nil {
		return rec, err
	}
	return rec, s.withStrikes([]*registry.Device{rec})
}

// withStrikes sets each record's strike count from the auction chain.
// The records must be the caller's own copies.
func (s *Service) withStrikes(recs []*registry.Device) error {
	if len(recs) == 0 || s.b.Chains[consensus.AuctionChain] == nil {
		return nil
	}
	return s.readAuctions(func(v *chain.View, _ chain.TipInfo) error {
		for _, rec := range recs {
			pk, err := rec.PubKey()
			if err != nil {
				return err
			}
			if rec.Strikes, err = auction.Strikes(v, pk); err != nil {
				return err
			}
		}
		return nil
	})
}

// KeyParams names an OEM or miner key.
type KeyParams struct {
	Key string `json:"key"`
}

// GetOEM returns an OEM's membership, or null.
func (s *Service) GetOEM(_ context.Context, p KeyParams) (*registry.Member, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("key", p.Key)
	if err != nil {
		return nil, err
	}
	return s.b.Registry.OEM(pk)
}

// GetMiner returns a miner's membership, or null.
func (s *Service) GetMiner(_ context.Context, p KeyParams) (*registry.Member, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("key", p.Key)
	if err != nil {
		return nil, err
	}
	return s.b.Registry.Miner(pk)
}

// ModelParams names a device model and optionally one of its versions.
type ModelParams struct {
	ID      string `json:"id"`
	Version uint32 `json:"version,omitempty"` // 0 or absent: the latest
}

// GetModel returns a published model (the latest version, or the one
// asked for), or null.
func (s *Service) GetModel(_ context.Context, p ModelParams) (*registry.Model, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	if p.ID == "" {
		return nil, invalid("id: a model ID is required")
	}
	return s.b.Registry.Model(p.ID, p.Version)
}

// DeviceFilter is the JSON form of registry.Filter. Empty fields do not
// filter; every given condition must hold.
type DeviceFilter struct {
	OEM          string            `json:"oem,omitempty"`
	Model        string            `json:"model,omitempty"`
	Kind         string            `json:"kind,omitempty"`
	Properties   map[string]string `json:"properties,omitempty"` // name → JSON type ("" = any type)
	Metadata     map[string]string `json:"metadata,omitempty"`   // field → value as text
	RegionPrefix string            `json:"region_prefix,omitempty"`
	MaxReserve   *uint64           `json:"max_reserve,omitempty"`
	Enabled      *bool             `json:"enabled,omitempty"`
	Offset       int               `json:"offset,omitempty"`
	Limit        int               `json:"limit,omitempty"`
}

// Filter converts to the index's filter, checking what it can.
func (f DeviceFilter) Filter() (registry.Filter, error) {
	if f.Offset < 0 {
		return registry.Filter{}, invalid("offset %d is negative", f.Offset)
	}
	if f.Limit < 0 || f.Limit > registry.MaxQueryLimit {
		return registry.Filter{}, invalid("limit %d is outside 0..%d", f.Limit, registry.MaxQueryLimit)
	}
	if f.OEM != "" {
		if _, err := parsePubKeyParam("oem", f.OEM); err != nil {
			return registry.Filter{}, err
		}
	}
	return registry.Filter{
		OEM: f.OEM, Model: f.Model, Kind: f.Kind, Properties: f.Properties, MetadataEq: f.Metadata,
		RegionPrefix: f.RegionPrefix, MaxReserve: f.MaxReserve, Enabled: f.Enabled,
		Offset: f.Offset, Limit: f.Limit,
	}, nil
}

// ListDevices returns one page of the device records matching a filter,
// sorted by device key, with the total number of matches.
func (s *Service) ListDevices(_ context.Context, f DeviceFilter) (registry.QueryResult, error) {
	if s.b.Registry == nil {
		return registry.QueryResult{}, errNoRegistry
	}
	rf, err := f.Filter()
	if err != nil {
		return registry.QueryResult{}, err
	}
	res := s.b.Registry.Query(rf)
	// The index's records are shared: strikes go on copies.
	for i, d := range res.Devices {
		c := *d
		res.Devices[i] = &c
	}
	return res, s.withStrikes(res.Devices)
}
