package devicesim

import (
	"context"
	"testing"
	"time"

	"github.com/thingchain/thingchain/devicesim/wotcheck"
)

// TestSimulatorAnswersAsItsTDSays is the generic-client test: for every
// kind, a WoT consumer that knows only the served TD reads every property,
// readallproperties and the history action through the TD's forms, and
// each reply validates against the TD's data schema.
func TestSimulatorAnswersAsItsTDSays(t *testing.T) {
	for _, name := range KindNames() {
		t.Run(name, func(t *testing.T) {
			a := listeningAgent(t, name, nil)
			a.Access = testAccess{device: a.DeviceKey.PubKey()}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opts := wotcheck.Options{Authorization: "Bearer good", Now: a.Now}
			td, err := wotcheck.FetchTD(ctx, a.TDURL(), opts)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := wotcheck.Check(ctx, td, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Err(); err != nil {
				t.Fatal(err)
			}
			// Every property, readallproperties and the history action.
			if want := len(a.Kind.Properties) + 2; rep.Passed != want || rep.Skipped != 0 {
				t.Fatalf("%d interactions passed, %d skipped; want %d and 0: %+v", rep.Passed, rep.Skipped, want, rep.Results)
			}
		})
	}
}
