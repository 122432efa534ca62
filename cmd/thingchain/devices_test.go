package main

import (
	"strings"
	"testing"
)

func TestParseDeviceFilters(t *testing.T) {
	f, err := parseDeviceFilters([]string{"kind=fridge", "region=EU", "enabled=true", "max-reserve=25", "prop:temperature=number", "prop:door=*", "meta:energy_class=A++", "model=m1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "fridge" || f.RegionPrefix != "EU" || f.Enabled == nil || !*f.Enabled || f.MaxReserve == nil || *f.MaxReserve != 25 ||
		f.Properties["temperature"] != "number" || f.Properties["door"] != "" || f.Metadata["energy_class"] != "A++" || f.Model != "m1" {
		t.Fatalf("parsed %+v", f)
	}
	for _, tc := range []struct{ arg, want string }{
		{"kind", "want KEY=VALUE"},
		{"=x", "want KEY=VALUE"},
		{"colour=red", "unknown key"},
		{"enabled=maybe", "true or false"},
		{"max-reserve=-1", "whole number"},
		{"prop:=number", "unknown key"},
	} {
		if _, err := parseDeviceFilters([]string{tc.arg}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.arg, err, tc.want)
		}
	}
}
