package registry

import "strings"

// Personal-data deny list. Device records must hold no personal data
// (design §1: owners are addresses, location is a coarse region at most),
// so a field name that would carry it is refused wherever a field name
// appears: model schemas, metadata objects and Thing Description
// affordances and their data schemas.
//
// A name is normalised first (ASCII letters lowered, everything but a–z
// and 0–9 removed: "Owner_Name", "owner-name" and "ownerName" all become
// "ownername"); it is refused if the normalised form equals one of
// personalExact or contains one of personalSubstrings. Short, ambiguous
// words ("ip", "mac", "lat") are only matched exactly so that, say,
// "ship_mode" or "machine_state" stay allowed. docs/device-api.md §5
// reproduces both lists; change them together.
var personalExact = []string{
	"name", "fullname", "firstname", "lastname", "surname", "givenname", "familyname", "nickname",
	"owner", "ownername", "username", "user", "customer", "customername",
	"email", "mail", "phone", "mobile", "telephone", "tel", "fax",
	"address", "street", "housenumber", "city", "zip", "zipcode", "postcode", "postalcode",
	"birthdate", "dateofbirth", "dob", "birthday", "age", "gender",
	"gps", "location", "geolocation", "coordinates", "coords", "position",
	"lat", "latitude", "lon", "lng", "long", "longitude", "altitude",
	"ip", "ipaddress", "ipv4", "ipv6", "mac", "macaddress", "ssid", "bssid",
	"serialowner", "ssn", "passport", "nationalid", "licenseplate", "vin", "iban", "creditcard",
}

var personalSubstrings = []string{
	"email", "phone", "latitude", "longitude", "birth", "street", "passport",
	"ipaddress", "macaddress", "ownername", "username", "geoloc", "gps",
	"postcode", "postalcode", "zipcode", "licenseplate", "creditcard", "fullname",
	"firstname", "lastname", "homeaddress", "serialowner",
}

var personalExactSet = func() map[string]bool {
	m := make(map[string]bool, len(personalExact))
	for _, s := range personalExact {
		m[s] = true
	}
	return m
}()

// NormalizeFieldName is the normalisation the deny list applies.
func NormalizeFieldName(name string) string {
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

// IsPersonalField reports whether a field name is on the deny list.
func IsPersonalField(name string) bool {
	n := NormalizeFieldName(name)
	if personalExactSet[n] {
		return true
	}
	for _, s := range personalSubstrings {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
