package devicesim

import (
	"math"
	"time"
)

// Data generators. Every value is a pure function of the device's Env and
// the time, so a restarted agent serves exactly the history it served
// before, any two agents with the same seed agree, and tests can assert
// ranges without running clocks. Noise comes from hashing (seed, stream,
// time bucket), never from a stateful random source.

// Env is what a generator knows about its device.
type Env struct {
	Seed   uint64 // per device; fixed when the agent is created
	Region string // the device's coarse region ("EU-DE")
}

// Reading is one data point: a device's property values at a time.
type Reading struct {
	Time   time.Time      `json:"time"`
	Values map[string]any `json:"values"`
}

const (
	secondsPerDay = 86400
	// epoch2020 anchors cumulative counters (energy, odometer): a meter
	// that started counting on 2020-01-01 UTC.
	epoch2020 = 1577836800
)

// Noise streams, one per quantity, so quantities are independent.
const (
	streamMeta uint64 = iota + 1
	streamFridgePhase
	streamFridgeDoor
	streamFridgeDoorAt
	streamPower
	streamTVStart
	streamTVEnd
	streamTVMorning
	streamTVChannel
	streamTVVolume
	streamThermoComfort
	streamThermoNoise
	streamMeterShape
	streamMeterNoise
	streamVoltage
	streamCarDay
	streamCarTrip
	streamCarSpeed
	streamCarBase
)

// mix is SplitMix64 over the seed, stream and bucket.
func mix(seed, stream uint64, bucket int64) uint64 {
	z := seed ^ stream*0x9e3779b97f4a7c15 ^ uint64(bucket)*0xbf58476d1ce4e5b9
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit is a uniform value in [0, 1) for (seed, stream, bucket).
func unit(seed, stream uint64, bucket int64) float64 {
	return float64(mix(seed, stream, bucket)>>11) / (1 << 53)
}

// between maps unit noise onto [lo, hi).
func between(seed, stream uint64, bucket int64, lo, hi float64) float64 {
	return lo + (hi-lo)*unit(seed, stream, bucket)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayAndHour splits a time into its UTC day number (since the Unix
// epoch) and the hour of that day as a fraction.
func dayAndHour(t time.Time) (int64, float64) {
	s := t.Unix()
	d := floorDiv(s, secondsPerDay)
	return d, float64(s-d*secondsPerDay) / 3600
}

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

// ---- fridge ----

// fridgeSample: the compressor cycles the cabinet around 4 °C (±0.8) over
// about 40 minutes; door openings, frequent at mealtimes, spike it by up
// to 3 °C, decaying over a few minutes.
func fridgeSample(env Env, t time.Time) map[string]any {
	const period = 40 * 60.0
	const bucket = 15 * 60
	s := float64(t.Unix())
	phase := unit(env.Seed, streamFridgePhase, 0)
	angle := 2 * math.Pi * (s/period + phase)
	temp := 4 + 0.8*math.Sin(angle)
	cooling := math.Cos(angle) < 0
	doorOpen := false
	b := floorDiv(t.Unix(), bucket)
	for k := b - 2; k <= b; k++ {
		_, hour := dayAndHour(time.Unix(k*bucket, 0))
		p := 0.2
		switch {
		case hour < 6:
			p = 0.03
		case hour >= 7 && hour < 9, hour >= 12 && hour < 13.5, hour >= 18 && hour < 20.5:
			p = 0.55
		}
		if unit(env.Seed, streamFridgeDoor, k) >= p {
			continue
		}
		opened := float64(k*bucket) + unit(env.Seed, streamFridgeDoorAt, k)*bucket
		if dt := s - opened; dt >= 0 {
			temp += 3 * math.Exp(-dt/300)
			if dt < 40 {
				doorOpen = true
			}
			if dt < 600 {
				cooling = true
			}
		}
	}
	power := 2 + unit(env.Seed, streamPower, t.Unix()/60)
	if cooling {
		power = 95 + between(env.Seed, streamPower, t.Unix()/60, 0, 30)
	}
	return map[string]any{
		"temperature_c": round(temp, 2),
		"door_open":     doorOpen,
		"power_w":       round(power, 1),
	}
}

// ---- tv ----

// tvSample: on most evenings from 18:30–20:30 until 22:30–24:00 (UTC),
// on weekend mornings half the time; channel and volume change every 20
// minutes while on.
func tvSample(env Env, t time.Time) map[string]any {
	day, hour := dayAndHour(t)
	start := 18.5 + 2*unit(env.Seed, streamTVStart, day)
	end := 22.5 + 1.5*unit(env.Seed, streamTVEnd, day)
	on := hour >= start && hour < end
	weekday := time.Unix(day*secondsPerDay, 0).UTC().Weekday()
	if (weekday == time.Saturday || weekday == time.Sunday) && hour >= 10 && hour < 12 && unit(env.Seed, streamTVMorning, day) < 0.5 {
		on = true
	}
	slot := floorDiv(t.Unix(), 20*60)
	channel := 1 + int64(unit(env.Seed, streamTVChannel, slot)*60)
	volume := 10 + int64(unit(env.Seed, streamTVVolume, slot)*30)
	power := 0.5
	if on {
		power = 70 + between(env.Seed, streamPower, t.Unix()/60, 0, 50)
	}
	return map[string]any{
		"on":      on,
		"channel": channel,
		"volume":  volume,
		"power_w": round(power, 1),
	}
}

// ---- thermostat ----

// thermostatSample: comfort setpoint (20–22 °C per home) from 06:30 to
// 22:30, eco 17 °C at night; the room follows the setpoint with a lag
// (heating faster than cooling) plus a small afternoon solar gain.
func thermostatSample(env Env, t time.Time) map[string]any {
	day, hour := dayAndHour(t)
	comfort := 20 + float64(int(unit(env.Seed, streamThermoComfort, 0)*5))*0.5 // 20.0 … 22.0
	const eco = 17.0
	const morning, night = 6.5, 22.5
	var setpoint, prev, since, tau float64
	switch {
	case hour >= morning && hour < night:
		setpoint, prev, since, tau = comfort, eco, hour-morning, 0.75
	case hour >= night:
		setpoint, prev, since, tau = eco, comfort, hour-night, 1.5
	default:
		setpoint, prev, since, tau = eco, comfort, hour+24-night, 1.5
	}
	room := setpoint + (prev-setpoint)*math.Exp(-since/tau)
	room += 0.4 * math.Max(0, math.Sin(math.Pi*(hour-10)/8)) // 10:00–18:00 sun
	room += between(env.Seed, streamThermoNoise, t.Unix()/300, -0.1, 0.1)
	humidity := 45 + 8*math.Sin(2*math.Pi*(hour-4)/24) + between(env.Seed, streamThermoNoise, day*1000+int64(hour), -2, 2)
	return map[string]any{
		"setpoint_c":   setpoint,
		"room_temp_c":  round(room, 2),
		"heating":      room < setpoint-0.2,
		"humidity_pct": round(humidity, 1),
	}
}

// ---- energy meter ----

// meterShape is a household's daily load curve: a base load plus a
// morning and an evening peak (Gaussian bumps), in watts.
type meterShape struct{ base, morning, evening float64 }

const (
	morningMu, morningSigma = 7.5, 1.0
	eveningMu, eveningSigma = 19.5, 1.5
)

func newMeterShape(seed uint64) meterShape {
	return meterShape{
		base:    between(seed, streamMeterShape, 0, 150, 350),
		morning: between(seed, streamMeterShape, 1, 600, 1200),
		evening: between(seed, streamMeterShape, 2, 1200, 2500),
	}
}

func bump(h, mu, sigma float64) float64 { return math.Exp(-(h - mu) * (h - mu) / (2 * sigma * sigma)) }

// bumpIntegral is ∫₀ʰ bump(x) dx in hours.
func bumpIntegral(h, mu, sigma float64) float64 {
	c := sigma * math.Sqrt(math.Pi/2)
	return c * (math.Erf((h-mu)/(sigma*math.Sqrt2)) - math.Erf(-mu/(sigma*math.Sqrt2)))
}

func (m meterShape) watts(h float64) float64 {
	return m.base + m.morning*bump(h, morningMu, morningSigma) + m.evening*bump(h, eveningMu, eveningSigma)
}

// kwhUntil is the energy used from midnight to hour h.
func (m meterShape) kwhUntil(h float64) float64 {
	wh := m.base*h + m.morning*bumpIntegral(h, morningMu, morningSigma) + m.evening*bumpIntegral(h, eveningMu, eveningSigma)
	return wh / 1000
}

// meterSample: instantaneous power on the household's load curve with
// ±10% noise per minute; the cumulative reading integrates the curve
// since 2020-01-01, so it never decreases.
func meterSample(env Env, t time.Time) map[string]any {
	m := newMeterShape(env.Seed)
	day, hour := dayAndHour(t)
	days := float64(day - epoch2020/secondsPerDay)
	kwh := 0.0
	if days >= 0 {
		kwh = days*m.kwhUntil(24) + m.kwhUntil(hour)
	}
	power := m.watts(hour) * between(env.Seed, streamMeterNoise, t.Unix()/60, 0.9, 1.1)
	return map[string]any{
		"power_w":    round(power, 1),
		"energy_kwh": round(kwh, 3),
		"voltage_v":  round(between(env.Seed, streamVoltage, t.Unix()/60, 228, 232), 1),
	}
}

// ---- car ----

// carDayKm is the distance driven on day d, 20–60 km. It is written as
// 40 + 20·(u(d) − u(d−1)) so the sum over days telescopes: the odometer
// is closed-form at any time, however far from the anchor.
func carDayKm(seed uint64, d int64) float64 {
	return 40 + 20*(unit(seed, streamCarDay, d)-unit(seed, streamCarDay, d-1))
}

// carKmBefore is the distance driven on days [anchor, d).
func carKmBefore(seed uint64, d int64) float64 {
	a := int64(epoch2020 / secondsPerDay)
	if d <= a {
		return 0
	}
	return 40*float64(d-a) + 20*(unit(seed, streamCarDay, d-1)-unit(seed, streamCarDay, a-1))
}

// carTrips are a day's two commutes: start hours, each 45 minutes.
func carTrips(seed uint64, d int64) [2]float64 {
	return [2]float64{7.5 + 0.5*unit(seed, streamCarTrip, 2*d), 17 + unit(seed, streamCarTrip, 2*d+1)}
}

// carSample: an electric car commuting twice a day (half the day's
// distance each), charging from 22:00 back to 90%. Position is never
// reported, only the coarse region the car is registered in.
func carSample(env Env, t time.Time) map[string]any {
	const tripHours = 0.75
	day, hour := dayAndHour(t)
	dayKm := carDayKm(env.Seed, day)
	kmToday, speed := 0.0, 0.0
	for _, start := range carTrips(env.Seed, day) {
		switch {
		case hour >= start+tripHours:
			kmToday += dayKm / 2
		case hour >= start:
			frac := (hour - start) / tripHours
			kmToday += dayKm / 2 * frac
			avg := dayKm / 2 / tripHours
			speed = avg * (1 + 0.6*math.Sin(math.Pi*frac*6)) * between(env.Seed, streamCarSpeed, t.Unix()/30, 0.85, 1.15)
			speed = math.Max(0, speed)
		}
	}
	base := between(env.Seed, streamCarBase, 0, 5000, 60000)
	odometer := base + carKmBefore(env.Seed, day) + kmToday
	battery := 90 - 0.25*kmToday
	charging := hour >= 22
	if charging {
		battery += (90 - battery) * (hour - 22) / 2
	}
	return map[string]any{
		"odometer_km": round(odometer, 2),
		"speed_kmh":   round(speed, 1),
		"battery_pct": round(battery, 1),
		"charging":    charging,
		"region":      env.Region,
	}
}
