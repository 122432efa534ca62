package apitypes

// DeviceParams names a device by its public key (hex).
type DeviceParams struct {
	Device string `json:"device"`
}

// KeyParams names an OEM or miner key (hex).
type KeyParams struct {
	Key string `json:"key"`
}

// ModelParams names a device model.
type ModelParams struct {
	ID      string `json:"id"`
	Version uint32 `json:"version,omitempty"` // 0 or absent: the latest
}

// DeviceFilter selects device records (registry.devices). Empty fields do
// not filter; every given condition must hold.
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

// Terms are a device's auction terms.
type Terms struct {
	ReservePerPoint     uint64 `json:"reserve_per_point"` // base units per data point
	PointsPerPeriod     uint64 `json:"points_per_period"`
	AccessPeriodSeconds uint64 `json:"access_period_seconds"`
}

// StatusAt is a device's owner-controlled status from a height on.
type StatusAt struct {
	Height  uint64 `json:"height"`
	Enabled bool   `json:"enabled"`
	Owner   string `json:"owner"` // address, "" before the first check-in
	Terms   Terms  `json:"terms"`
}

// Device is a device record (registry.device, registry.devices).
type Device struct {
	Device           string     `json:"device"` // public key
	OEM              string     `json:"oem"`    // public key
	Model            string     `json:"model"`
	ModelVersion     uint32     `json:"model_version"` // model version the TD was last checked against
	Kind             string     `json:"kind"`
	Owner            string     `json:"owner"` // address; "" until the first check-in
	Enabled          bool       `json:"enabled"`
	AttestedHeight   uint64     `json:"attested_height"`
	EnabledHeight    uint64     `json:"enabled_height"`
	Region           string     `json:"region"`
	Terms            Terms      `json:"terms"`
	TD               RawJSON    `json:"td"`       // Thing Description; null before check-in
	Metadata         RawJSON    `json:"metadata"` // null before check-in
	Strikes          uint64     `json:"strikes"`
	History          []StatusAt `json:"history,omitempty"`
	HistoryTruncated bool       `json:"history_truncated,omitempty"`
}

// QueryResult is one page of registry.devices.
type QueryResult struct {
	Total   int       `json:"total"`
	Devices []*Device `json:"devices"`
}

// Member is an OEM's or miner's membership (registry.oem, registry.miner).
type Member struct {
	Name           string `json:"name"`
	AdmittedHeight uint64 `json:"admitted_height"`
	Revoked        bool   `json:"revoked"`
	RevokedHeight  uint64 `json:"revoked_height"`
}

// Field is one field of a model's metadata schema.
type Field struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // string, number, integer, boolean
	Required bool   `json:"required"`
}

// Model is a published device model (registry.model).
type Model struct {
	ID             string  `json:"id"`
	OEM            string  `json:"oem"` // public key
	Kind           string  `json:"kind"`
	Title          string  `json:"title"`
	Version        uint32  `json:"version"`
	MetadataSchema []Field `json:"metadata_schema"`
	Height         uint64  `json:"height"`      // height this version was published at
	ThingModel     RawJSON `json:"thing_model"` // compacted W3C WoT Thing Model
}
