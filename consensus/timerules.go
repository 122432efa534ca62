package consensus

import "slices"

// MedianTimeBlocks is how many ancestors median-time-past looks at.
const MedianTimeBlocks = 11

// MedianTime returns the median of the given timestamps (the caller passes
// up to MedianTimeBlocks most recent ancestors, newest first or in any
// order). An empty slice yields 0.
func MedianTime(times []int64) int64 {
	if len(times) == 0 {
		return 0
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// CheckTimestamp enforces both time rules on a header: strictly after the
// median time past of its ancestors, and not more than MaxFutureDrift past
// the local clock (nowMillis).
func CheckTimestamp(p *ChainParams, timestamp, medianTimePast, nowMillis int64) error {
	if timestamp <= medianTimePast {
		return RuleErrorf(ErrTimeTooOld, "timestamp %d is not after median time past %d", timestamp, medianTimePast)
	}
	if limit := nowMillis + p.MaxFutureDrift.Milliseconds(); timestamp > limit {
		return RuleErrorf(ErrTimeTooNew, "timestamp %d is %d ms past the local clock; limit is %s", timestamp, timestamp-nowMillis, p.MaxFutureDrift)
	}
	return nil
}
