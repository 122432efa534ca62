package registrytx

import (
	"fmt"
	"testing"
)

// unfiltered is the filter under which checkPersonalText runs every
// pattern, as CheckPersonalText did before it had filters: all of them
// when the text has a digit or "@", else only the MAC pattern.
func unfiltered(s string) textFilter {
	if textFilters(s)&mayDigits == 0 {
		return allPatterns &^ mayDigits
	}
	return allPatterns
}

// sameAnswer fails t unless the filtered and the unfiltered check give
// the same answer, word for word, under both endpoint policies.
func sameAnswer(t *testing.T, s string) {
	t.Helper()
	for _, policy := range []EndpointPolicy{{}, {AllowLoopback: true}} {
		got := checkPersonalText("/title", s, policy, textFilters(s))
		want := checkPersonalText("/title", s, policy, unfiltered(s))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: filtered %v, unfiltered %v", s, got, want)
		}
	}
}

var personalTextSeeds = []string{
	"contact jane.doe@example.org", "call +49 30 12345678", "call 0049 30 1234 5678", "call (415) 555-0132",
	"call 415-555-0132", "wifi 00:1A:2B:3C:4D:5E", "wifi 00-1a-2b-3c-4d-5e", "wifi 001a.2b3c.4d5e", "wifi aa:bb:cc:dd:ee:ff",
	"wifi AABB.CCDD.EEFF", "at 192.168.1.20", "at 127.0.0.1", "at fe80::1ff:fe23:4567:890a", "at 2001:db8::8a2e:370:7334",
	"at ab::cd", "at ::1", "lives at 221B Baker Street", "1600 Pennsylvania Avenue", "Hauptstraße 12", "12 rue de Rivoli",
	"12\frue de Rivoli", "12\vrue de Rivoli", "48.858370, 2.294481", "48.858370;2.294481", "geo:48.8583,2.2944", "GEO:-1",
	"48°51'30\"N", "Acme CoolMaster X1 refrigerator", "firmware 2.3.11, 2026-11-28T10:00:00Z", "range 0-100 %, step 0.5",
	"model EM200 rev 4", "cabinet temperature in °C", "3 way valve", "tolerance 0.125 / 0.250 mm", "Acme Fridge X1",
	"https://device.local/props/temperature", "https://127.0.0.1:8080/x", "coap://[::1]/x", "", "@", "00", "+",
}

// TestPersonalTextFilters: skipping the patterns a text cannot match
// changes no answer (every pattern of TestPersonalPatterns, ordinary
// device text, endpoints, and texts at the filters' edges).
func TestPersonalTextFilters(t *testing.T) {
	refused := 0
	for _, s := range personalTextSeeds {
		sameAnswer(t, s)
		if CheckPersonalText("/title", s, EndpointPolicy{}) != nil {
			refused++
		}
	}
	if refused < 15 {
		t.Fatalf("only %d seeds refused: the table should hold both kinds", refused)
	}
}

// FuzzPersonalTextFilters: on any text the filtered check gives the
// unfiltered check's answer.
func FuzzPersonalTextFilters(f *testing.F) {
	for _, s := range personalTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAnswer(t, s) })
}
