package main

import (
	"strings"
	"testing"

	"github.com/thingchain/thingchain/devicesim/wotcheck"
	"github.com/thingchain/thingchain/wallet"
)

// TestMatchDevice: wallet fetch takes the device as the tables print it.
func TestMatchDevice(t *testing.T) {
	a := "0287de7159665445d68636acfb437376d66cfaac6405a42d178eb5f78e388d70b0"
	b := "0287de71aa665445d68636acfb437376d66cfaac6405a42d178eb5f78e3812345f"
	ks := []wallet.AccessKey{{Device: a}, {Device: a}, {Device: b}}
	cases := []struct{ arg, want, err string }{
		{a, a, ""},
		{strings.ToUpper(a), a, ""},
		{"0287de71…8d70b0", a, ""},
		{"0287de71...8d70b0", a, ""},
		{"0287de7159", a, ""},
		{"0287de71", "", "matches 2 devices"},
		{"03ffffff", "", "no access key of alice"},
		{"02", "", "at least 6"},
		{"0287de71…zz", "", "hex public key"},
	}
	for _, tc := range cases {
		got, err := matchDevice(tc.arg, ks, "alice")
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("%q: got %q, %v; want %q", tc.arg, got, err, tc.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want one mentioning %q", tc.arg, err, tc.err)
		}
	}
}

// TestOnlyUnauthorized: devices check without --token explains a device
// that refused everything for want of a key, and nothing else.
func TestOnlyUnauthorized(t *testing.T) {
	r := func(ok, skipped bool, status int) wotcheck.Result {
		return wotcheck.Result{OK: ok, Skipped: skipped, Status: status}
	}
	for _, tc := range []struct {
		results []wotcheck.Result
		want    bool
	}{
		{[]wotcheck.Result{r(false, false, 401), r(false, false, 401), r(false, true, 0)}, true},
		{[]wotcheck.Result{r(false, false, 401), r(false, false, 500)}, false},
		{[]wotcheck.Result{r(true, false, 200)}, false},
	} {
		if got := onlyUnauthorized(&wotcheck.Report{Results: tc.results}); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.results, got, tc.want)
		}
	}
}
