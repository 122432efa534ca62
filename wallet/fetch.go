package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	apiclient "github.com/thingchain/thingchain/api/client"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
)

// DataEndpoint picks the data URL from a Thing Description: the named
// property's first form, else the Thing's own first form (read all
// properties); relative hrefs are resolved against "base".
func DataEndpoint(td json.RawMessage, property string) (string, error) {
	type form struct {
		Href string `json:"href"`
	}
	var doc struct {
		Base       string `json:"base"`
		Forms      []form `json:"forms"`
		Properties map[string]struct {
			Forms []form `json:"forms"`
		} `json:"properties"`
	}
	if len(td) == 0 || string(td) == "null" {
		return "", errors.New("the device has no Thing Description (never checked in)")
	}
	if err := json.Unmarshal(td, &doc); err != nil {
		return "", fmt.Errorf("the device's Thing Description is not valid JSON: %w", err)
	}
	var forms []form
	if property != "" {
		p, ok := doc.Properties[property]
		if !ok {
			names := make([]string, 0, len(doc.Properties))
			for n := range doc.Properties {
				names = append(names, n)
			}
			return "", fmt.Errorf("the device has no property %q (it has: %s)", property, strings.Join(names, ", "))
		}
		forms = p.Forms
	} else {
		forms = doc.Forms
		if len(forms) == 0 && len(doc.Properties) == 1 {
			for _, p := range doc.Properties {
				forms = p.Forms
			}
		}
	}
	if len(forms) == 0 || forms[0].Href == "" {
		if property == "" {
			return "", errors.New("the Thing Description has no top-level form: pass --property NAME")
		}
		return "", fmt.Errorf("property %q has no form with an href", property)
	}
	href, err := url.Parse(forms[0].Href)
	if err != nil {
		return "", fmt.Errorf("form href %q: %w", forms[0].Href, err)
	}
	if !href.IsAbs() {
		base, err := url.Parse(doc.Base)
		if err != nil || !base.IsAbs() {
			return "", fmt.Errorf("form href %q is relative and the Thing Description has no usable base", forms[0].Href)
		}
		href = base.ResolveReference(href)
	}
	if href.Scheme != "http" && href.Scheme != "https" {
		return "", fmt.Errorf("data endpoint %s is not http(s)", href)
	}
	return href.String(), nil
}

// FetchData downloads a device's data with a delivered access key: the
// endpoint comes from the device's Thing Description on the metadata
// chain (the named property's form, or the Thing's own), and the request
// carries "Authorization: Bearer <auction-id-hex>.<key-hex>". A refusal
// by the device comes back as an error with the device's message.
func FetchData(ctx context.Context, client *rpc.Client, hc *http.Client, key *AccessKey, property string) (endpoint string, data json.RawMessage, err error) {
	dev, err := keys.ParsePubKeyHex(key.Device)
	if err != nil {
		return "", nil, fmt.Errorf("access key's device: %w", err)
	}
	rec, err := apiclient.New(client).Device(ctx, dev)
	if err != nil {
		return "", nil, fmt.Errorf("registry.device: %w", err)
	}
	if rec == nil {
		return "", nil, fmt.Errorf("device %s is not on the metadata chain", key.Device)
	}
	if endpoint, err = DataEndpoint(rec.TD, property); err != nil {
		return "", nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return endpoint, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key.Token())
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return endpoint, nil, fmt.Errorf("fetch %s: %w (is the device online?)", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return endpoint, nil, fmt.Errorf("fetch %s: %w", endpoint, err)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(body))
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return endpoint, nil, &RefusedError{Status: resp.StatusCode, Message: msg}
	}
	if !json.Valid(body) {
		return endpoint, nil, errors.New("the device sent non-JSON data")
	}
	return endpoint, body, nil
}

// RefusedError is a device's refusal of a data request.
type RefusedError struct {
	Status  int
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the device refused the request (%d %s): %s", e.Status, http.StatusText(e.Status), e.Message)
}
