package registrytx

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// The personal-data rule. Device records must hold nothing that
// identifies a person or a home (design §1: owners are addresses, location
// is a coarse region at most). Names are never personal data: an
// affordance, data-schema member or metadata field may be called "name",
// "location" or "user"; what is refused are *values* that identify a
// person or a home, wherever free text or an endpoint can carry them:
//
//   - in a Thing Description: every "title", "description", "id", "base",
//     "href" and "anchor" string and every member of "titles" and
//     "descriptions", at any depth (the Thing, its affordances, their
//     forms, data schemas and links);
//   - in a Thing Model: the same text members;
//   - in metadata: every string value at any depth, and numeric
//     coordinates (a member named lat/latitude/lon/lng/longitude whose
//     value has more than 2 decimals).
//
// Patterns and their kinds: e-mail addresses (ErrPersonalEmail), phone
// numbers (ErrPersonalPhone), MAC addresses (ErrPersonalMAC), IP literals
// other than loopback on test networks (ErrPersonalIP), street addresses
// (ErrPersonalAddress), precise coordinates (ErrPersonalCoordinates), a
// possessive in a title such as "Alice's TV" (ErrPersonalName). Endpoints
// (base, href) must be http(s)/ws(s)/coap(s)/mqtt(s) URLs or relative
// references; on main their host must be a DNS name that is not
// "localhost" (a relay or the maker's cloud), on test networks loopback
// is allowed too (ErrEndpointNotAllowed, ErrPersonalIP). A TD's "id"
// must be the device's URN (ErrBadDeviceID). docs/device-api.md §5
// states the rule and its limits.

// DeviceURN is the "id" a device's Thing Description must carry.
func DeviceURN(device keys.PubKey) string { return "urn:thingchain:device:" + device.String() }

// mainMetadataChainID identifies main's metadata chain: only there is a
// loopback endpoint refused.
var mainMetadataChainID = consensus.MainNet().Metadata.ChainID

// EndpointPolicy says which endpoint hosts a network's TDs may publish.
type EndpointPolicy struct {
	AllowLoopback bool // test networks: 127.0.0.0/8, ::1 and localhost
}

// PolicyForChain is the endpoint policy of a metadata chain ID.
func PolicyForChain(chainID uint32) EndpointPolicy {
	return EndpointPolicy{AllowLoopback: chainID != mainMetadataChainID}
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// International (+CC or 00CC) and North American forms; the digit
	// count is checked afterwards.
	phoneIntl   = regexp.MustCompile(`(?:\+|\b00)[1-9][0-9 ().\-/]{6,20}[0-9]`)
	phoneNANP   = regexp.MustCompile(`(?:\([2-9][0-9]{2}\)\s?|\b[2-9][0-9]{2}[ .\-])[0-9]{3}[ .\-][0-9]{4}\b`)
	macPattern  = regexp.MustCompile(`(?i)\b[0-9a-f]{2}([:-])[0-9a-f]{2}(?:[:-][0-9a-f]{2}){4}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b`)
	ipv4Pattern = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	ipv6Pattern = regexp.MustCompile(`(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?`)
	// Street addresses: number + words + street type (English), street
	// word with suffix + number (German, Dutch, Scandinavian), number +
	// street type + word (French, Spanish, Italian, Portuguese).
	streetEN = regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?\s+(?:[a-z][a-z'.-]*\s+){1,3}(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|crescent|close)\b\.?`)
	streetDE = regexp.MustCompile(`(?i)\b[a-zäöüßéè-]{2,}(?:straße|strasse|str\.|weg|gasse|allee|platz|laan|straat|gade|vej|gatan|vägen)\s+\d{1,4}[a-z]?\b`)
	streetFR = regexp.MustCompile(`(?i)\b\d{1,4}(?:\s*(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|impasse|allée|calle|avenida|via|viale|piazza|rua|travessa)\s+\p{L}`)
	// Precise coordinates: a comma-separated decimal pair with 4+
	// decimals each (about 10 m; fewer decimals are too often ranges or
	// tolerances), a geo: URI, or degrees-minutes-seconds.
	coordPair = regexp.MustCompile(`-?\b\d{1,3}\.\d{4,}\s*[,;]\s*-?\d{1,3}\.\d{4,}\b`)
	geoURI    = regexp.MustCompile(`(?i)\bgeo:-?\d`)
	coordDMS  = regexp.MustCompile(`\d{1,3}°\s*\d{1,2}['′]\s*\d{1,2}(?:\.\d+)?["″]`)
	// "Alice's TV", "Bob’s fridge" (see notPersonalPossessives).
	possessive = regexp.MustCompile(`\b\p{Lu}\p{Ll}+['’]s\b`)
)

// CheckPersonalText refuses text that carries a personal pattern. where
// names the member for the error message.
func CheckPersonalText(where, s string, policy EndpointPolicy) error {
	return checkPersonalText(where, s, policy, textFilters(s))
}

// textFilter says which patterns could match a text: each bit is a
// condition that a pattern cannot match without (a character or count
// of characters every match contains), so the regular expressions, most
// of a check-in's sanity time, run only where they might match. A test
// holds checkPersonalText to the same answers with every bit set.
type textFilter uint16

const (
	mayEmail    textFilter = 1 << iota // "@"
	mayMAC                             // five ":" or "-" (aa:bb:cc:dd:ee:ff), or two "." (aabb.ccdd.eeff)
	mayIPv4                            // three "."
	mayIPv6                            // two ":"
	mayPhoneI                          // "+" or "00" before the number
	mayPhoneN                          // ten ASCII digits
	maySpace                           // \s (tab, newline, form feed, carriage return, space): every street pattern
	mayList                            // "," or ";" between the coordinates of a pair
	mayDegree                          // "°"
	mayDigits                          // an ASCII digit or "@": every pattern but a hex-only MAC
	allPatterns textFilter = 1<<iota - 1
)

func textFilters(s string) textFilter {
	var f textFilter
	var colons, dashes, dots, digits int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			if c == '0' && i+1 < len(s) && s[i+1] == '0' {
				f |= mayPhoneI
			}
		case c == '@':
			f |= mayEmail
		case c == ':':
			colons++
		case c == '-':
			dashes++
		case c == '.':
			dots++
		case c == '+':
			f |= mayPhoneI
		case c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r':
			f |= maySpace
		case c == ',' || c == ';':
			f |= mayList
		}
	}
	if colons+dashes >= 5 || dots >= 2 {
		f |= mayMAC
	}
	if dots >= 3 {
		f |= mayIPv4
	}
	if colons >= 2 {
		f |= mayIPv6
	}
	if digits >= 10 {
		f |= mayPhoneN
	}
	if digits > 0 || f&mayEmail != 0 {
		f |= mayDigits
	}
	if strings.Contains(s, "°") {
		f |= mayDegree
	}
	return f
}

// checkPersonalText is CheckPersonalText running only the patterns f
// allows.
func checkPersonalText(where, s string, policy EndpointPolicy, f textFilter) error {
	// Fast path: every pattern but a hex-only MAC needs a digit or "@".
	if f&mayDigits == 0 {
		if f&mayMAC == 0 {
			return nil
		}
		if m := macPattern.FindString(s); m != "" {
			return consensus.RuleErrorf(ErrPersonalMAC, "%s holds a MAC address (%s)", where, m)
		}
		return nil
	}
	if f&mayEmail != 0 {
		if m := emailPattern.FindString(s); m != "" {
			return consensus.RuleErrorf(ErrPersonalEmail, "%s holds an e-mail address (%s)", where, m)
		}
	}
	if f&mayMAC != 0 {
		if m := macPattern.FindString(s); m != "" {
			return consensus.RuleErrorf(ErrPersonalMAC, "%s holds a MAC address (%s)", where, m)
		}
	}
	if err := checkIPLiterals(where, s, policy, f); err != nil {
		return err
	}
	for _, p := range []*regexp.Regexp{phoneIntl, phoneNANP} {
		if p == phoneIntl && f&mayPhoneI == 0 || p == phoneNANP && f&mayPhoneN == 0 {
			continue
		}
		for _, m := range p.FindAllString(s, -1) {
			if n := countDigits(m); n >= 8 && n <= 15 || p == phoneNANP {
				return consensus.RuleErrorf(ErrPersonalPhone, "%s holds a phone number (%s)", where, m)
			}
		}
	}
	for _, p := range []*regexp.Regexp{streetEN, streetDE, streetFR} {
		if f&maySpace == 0 {
			break
		}
		if m := p.FindString(s); m != "" {
			return consensus.RuleErrorf(ErrPersonalAddress, "%s holds a street address (%s)", where, m)
		}
	}
	for _, p := range []*regexp.Regexp{coordPair, geoURI, coordDMS} {
		if p == coordPair && f&mayList == 0 || p == coordDMS && f&mayDegree == 0 {
			continue
		}
		if m := p.FindString(s); m != "" {
			return consensus.RuleErrorf(ErrPersonalCoordinates, "%s holds precise coordinates (%s): a region is the most a record may say about location", where, m)
		}
	}
	return nil
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

func checkIPLiterals(where, s string, policy EndpointPolicy, f textFilter) error {
	var found []string
	if f&mayIPv4 != 0 {
		found = append(found, ipv4Pattern.FindAllString(s, -1)...)
	}
	if f&mayIPv6 != 0 {
		for _, m := range ipv6Pattern.FindAllString(s, -1) {
			if strings.Count(m, ":") >= 2 {
				found = append(found, m)
			}
		}
	}
	for _, m := range found {
		addr, err := netip.ParseAddr(m)
		if err != nil {
			continue
		}
		if err := checkIP(where, addr, policy); err != nil {
			return err
		}
	}
	return nil
}

func checkIP(where string, addr netip.Addr, policy EndpointPolicy) error {
	addr = addr.Unmap()
	if addr.IsLoopback() {
		if policy.AllowLoopback {
			return nil
		}
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s names a loopback address (%s), which main does not allow: publish a host name or relay", where, addr)
	}
	if addr.IsUnspecified() {
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s names the unspecified address %s", where, addr)
	}
	what := "a public IP address, which may be a home's"
	if addr.IsPrivate() || addr.IsLinkLocalUnicast() {
		what = "a private-network IP address"
	}
	return consensus.RuleErrorf(ErrPersonalIP, "%s holds %s (%s): publish a host name or a relay instead", where, what, addr)
}

var endpointSchemes = map[string]bool{"http": true, "https": true, "ws": true, "wss": true, "coap": true, "coaps": true, "mqtt": true, "mqtts": true}

// checkEndpoint applies the endpoint policy to a base or href. Relative
// references (resolved against base) are allowed.
func checkEndpoint(where, s string, policy EndpointPolicy) error {
	if err := CheckPersonalText(where, s, policy); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil {
		return consensus.RuleErrorf(ErrBadThingDescription, "%s %q is not a URI reference: %v", where, s, err)
	}
	if u.Scheme == "" {
		if u.Host != "" {
			return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s %q: a network-path reference needs a scheme", where, s)
		}
		return nil // relative to base
	}
	if !endpointSchemes[strings.ToLower(u.Scheme)] {
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s %q: scheme %q is not an endpoint (use http, https, ws, wss, coap, coaps, mqtt or mqtts)", where, s, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s %q has no host", where, s)
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return checkIP(where, addr, policy)
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		if policy.AllowLoopback {
			return nil
		}
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s %q: localhost is not reachable on main; publish a host name or relay", where, s)
	}
	if !strings.Contains(host, ".") && !policy.AllowLoopback {
		return consensus.RuleErrorf(ErrEndpointNotAllowed, "%s %q: host %q is not a public DNS name", where, s, host)
	}
	return nil
}

var textMembers = map[string]bool{"title": true, "description": true}
var textMaps = map[string]bool{"titles": true, "descriptions": true}
var endpointMembers = map[string]bool{"base": true, "href": true, "anchor": true}

// checkPersonalDoc walks a TD or TM: text members are checked for
// personal patterns, endpoint members also against the policy (endpoints
// only when checkEndpoints: a Thing Model's hrefs may be templates).
func checkPersonalDoc(v any, path string, policy EndpointPolicy, checkEndpoints bool) error {
	switch t := v.(type) {
	case *object:
		for _, k := range t.keys {
			child := t.vals[k]
			where := path + "/" + k
			if s, ok := child.(string); ok {
				switch {
				case textMembers[k]:
					if err := CheckPersonalText(where, s, policy); err != nil {
						return err
					}
					if k == "title" && path == "" && checkEndpoints {
						if m := findPersonalPossessive(s); m != "" {
							return consensus.RuleErrorf(ErrPersonalName, "%s %q names a person (%s): titles describe the device, not its owner", where, s, m)
						}
					}
				case endpointMembers[k]:
					if checkEndpoints {
						if err := checkEndpoint(where, s, policy); err != nil {
							return err
						}
					} else if err := CheckPersonalText(where, s, policy); err != nil {
						return err
					}
				}
				continue
			}
			if m, ok := child.(*object); ok && textMaps[k] {
				for _, lang := range m.keys {
					if s, ok := m.vals[lang].(string); ok {
						if err := CheckPersonalText(where+"/"+lang, s, policy); err != nil {
							return err
						}
					}
				}
				continue
			}
			if err := checkPersonalDoc(child, where, policy, checkEndpoints); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := checkPersonalDoc(e, path+"/"+itoaSmall(i), policy, checkEndpoints); err != nil {
				return err
			}
		}
	}
	return nil
}

func itoaSmall(i int) string { b, _ := json.Marshal(i); return string(b) }

var coordinateNames = map[string]bool{"lat": true, "latitude": true, "lon": true, "lng": true, "long": true, "longitude": true}

// checkPersonalMetadata checks every string value of a metadata object
// and refuses precise numeric coordinates.
func checkPersonalMetadata(v any, path string, policy EndpointPolicy) error {
	switch t := v.(type) {
	case string:
		return CheckPersonalText("metadata "+orRoot(path), t, policy)
	case *object:
		for _, k := range t.keys {
			child := t.vals[k]
			if n, ok := child.(json.Number); ok && coordinateNames[normalizeName(k)] {
				if _, frac, ok := strings.Cut(string(n), "."); ok && countLeadingDigits(frac) > 2 {
					return consensus.RuleErrorf(ErrPersonalCoordinates, "metadata %s/%s is a precise coordinate (%s): at most 2 decimals (about 1 km)", path, k, n)
				}
			}
			if err := checkPersonalMetadata(child, path+"/"+k, policy); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := checkPersonalMetadata(e, path+"/"+itoaSmall(i), policy); err != nil {
				return err
			}
		}
	}
	return nil
}

// normalizeName lowers ASCII letters and drops everything but a–z, 0–9.
func normalizeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	return b.String()
}

func countLeadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// notPersonalPossessives are possessives common in product names that do
// not name a person.
var notPersonalPossessives = map[string]bool{
	"children": true, "kids": true, "kid": true, "baby": true, "men": true, "women": true,
	"today": true, "world": true, "nature": true, "maker": true, "chef": true, "pet": true,
}

// findPersonalPossessive returns the first possessive in s that may name
// a person, or "".
func findPersonalPossessive(s string) string {
	for _, m := range possessive.FindAllString(s, -1) {
		word := strings.ToLower(strings.TrimRight(m[:len(m)-1], "'’"))
		if !notPersonalPossessives[word] {
			return m
		}
	}
	return ""
}
