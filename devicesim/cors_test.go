package devicesim

import (
	"net/http"
	"testing"
)

// TestEndpointAllowsBrowsersOnOtherOrigins: a page on the node's origin
// may send a preflight and then read data with its access key; the
// preflight is answered without an access check, the data request still
// needs the key.
func TestEndpointAllowsBrowsersOnOtherOrigins(t *testing.T) {
	a := listeningAgent(t, "thermostat", nil)
	url := a.BaseURL() + dataPath(a.DeviceHex())
	req, _ := http.NewRequest(http.MethodOptions, url, nil)
	req.Header.Set("Origin", "http://127.0.0.1:29741")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "Authorization" || resp.Header.Get("Access-Control-Allow-Methods") != "GET" {
		t.Fatalf("preflight: %s %v", resp.Status, resp.Header)
	}
	code, _, hdr := get(t, url, "")
	if code != http.StatusUnauthorized || hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("data without a key: %d, allow-origin %q; want 401 readable by the page", code, hdr.Get("Access-Control-Allow-Origin"))
	}
}
