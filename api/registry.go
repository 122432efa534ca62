package api

import (
	"context"
	"encoding/hex"
	"errors"
	"github.com/thingchain/thingchain/api/apitypes"

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

// GetDevice returns a device record, or null if the key was never attested.
// Its strikes (missed key deliveries) are judged on the auction chain and
// filled in from there.
func (s *Service) GetDevice(_ context.Context, p DeviceParams) (*apitypes.Device, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("device", p.Device)
	if err != nil {
		return nil, err
	}
	rec, err := s.b.Registry.Device(pk)
	if err != nil || rec == nil {
		return nil, err
	}
	if err := s.withStrikes([]*registry.Device{rec}); err != nil {
		return nil, err
	}
	return deviceJSON(rec), nil
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

// GetOEM returns an OEM's membership, or null.
func (s *Service) GetOEM(_ context.Context, p KeyParams) (*apitypes.Member, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("key", p.Key)
	if err != nil {
		return nil, err
	}
	m, err := s.b.Registry.OEM(pk)
	return memberJSON(m), err
}

// GetMiner returns a miner's membership, or null.
func (s *Service) GetMiner(_ context.Context, p KeyParams) (*apitypes.Member, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	pk, err := parsePubKeyParam("key", p.Key)
	if err != nil {
		return nil, err
	}
	m, err := s.b.Registry.Miner(pk)
	return memberJSON(m), err
}

// GetModel returns a published model (the latest version, or the one
// asked for), or null.
func (s *Service) GetModel(_ context.Context, p ModelParams) (*apitypes.Model, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	if p.ID == "" {
		return nil, invalid("id: a model ID is required")
	}
	m, err := s.b.Registry.Model(p.ID, p.Version)
	return modelJSON(m), err
}

// deviceFilter converts the API's filter to the index's, checking what it
// can.
func deviceFilter(f DeviceFilter) (registry.Filter, error) {
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
func (s *Service) ListDevices(_ context.Context, f DeviceFilter) (apitypes.QueryResult, error) {
	if s.b.Registry == nil {
		return apitypes.QueryResult{}, errNoRegistry
	}
	rf, err := deviceFilter(f)
	if err != nil {
		return apitypes.QueryResult{}, err
	}
	res := s.b.Registry.Query(rf)
	// The index's records are shared: strikes go on copies.
	for i, d := range res.Devices {
		c := *d
		res.Devices[i] = &c
	}
	if err := s.withStrikes(res.Devices); err != nil {
		return apitypes.QueryResult{}, err
	}
	out := apitypes.QueryResult{Total: res.Total, Devices: make([]*apitypes.Device, 0, len(res.Devices))}
	for _, d := range res.Devices {
		out.Devices = append(out.Devices, deviceJSON(d))
	}
	return out, nil
}
