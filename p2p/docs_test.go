package p2p

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docs/network.md states the penalties and limits the code keeps; this
// holds it to them.
func TestNetworkDocMatchesCode(t *testing.T) {
	raw, err := os.ReadFile("../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	penalties := map[string]int{
		"PenaltyInvalidBlock": PenaltyInvalidBlock, "PenaltyMalformed": PenaltyMalformed,
		"PenaltyOversized": PenaltyOversized, "PenaltyUnknownMessage": PenaltyUnknownMessage,
		"PenaltyUnprovenWork": PenaltyUnprovenWork, "PenaltyInvalidTx": PenaltyInvalidTx,
		"PenaltyUnsolicited": PenaltyUnsolicited,
	}
	row := regexp.MustCompile("(?m)^\\|[^|\\n]*\\(`(Penalty\\w+)`\\)[^|\\n]*\\|\\s*(\\d+)")
	seen := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		want, ok := penalties[m[1]]
		if !ok {
			t.Errorf("docs/network.md names %s, which the code does not have", m[1])
			continue
		}
		if got, _ := strconv.Atoi(m[2]); got != want {
			t.Errorf("docs/network.md: %s scores %d, code %d", m[1], got, want)
		}
		seen[m[1]] = true
	}
	for name := range penalties {
		if !seen[name] {
			t.Errorf("docs/network.md's penalty table lacks %s", name)
		}
	}
	flat := strings.Join(strings.Fields(doc), " ")
	for _, want := range []string{
		fmt.Sprintf("Every %d seconds (`SyncInterval`)", int((10 * time.Second).Seconds())),
		fmt.Sprintf("GetBlocks {hashes} | ≤ %d hashes", MaxBlocksPerMsg),
		fmt.Sprintf("Blocks | ≤ %d blocks", MaxBlocksPerMsg),
		fmt.Sprintf("Headers | ≤ %s headers", thousands(MaxHeadersPerMsg)),
		fmt.Sprintf("locator ≤ %d hashes", MaxLocator),
		fmt.Sprintf("work ≤ %d bytes", MaxWorkBytes),
		fmt.Sprintf("%d s for Status, %d s for Headers, %d s for a batch", int(statusTimeout.Seconds()), int(headersTimeout.Seconds()), int(requestTimeout.Seconds())),
		fmt.Sprintf("at most %d per chain", maxSyncs),
		fmt.Sprintf("doubling to at most %d s", int(redialMax.Seconds())),
		fmt.Sprintf("passes %s headers", thousands(defaultPresyncLimit)),
		fmt.Sprintf("not synced with again for %d s", int(unprovenCooldown.Seconds())),
		fmt.Sprintf("at most %d of its requests per chain", maxServing),
		fmt.Sprintf("younger than %d s", int(connGrace.Seconds())),
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("docs/network.md does not say %q", want)
		}
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
