package devicesim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
)

// AccessChecker decides whether a data request may be served. The auction
// work implements it with access keys delivered to auction winners; it
// may read the request's headers (Authorization: Bearer KEY) and must be
// safe for concurrent use. Return nil to serve, ErrAccessRequired (401)
// or ErrAccessDenied (403), possibly wrapped with detail.
type AccessChecker interface {
	CheckAccess(r *http.Request, device keys.PubKey) error
}

// AccessFunc adapts a function to AccessChecker.
type AccessFunc func(r *http.Request, device keys.PubKey) error

// CheckAccess calls f.
func (f AccessFunc) CheckAccess(r *http.Request, device keys.PubKey) error { return f(r, device) }

// DenyAll refuses every data request: the checker until access keys from
// auctions exist.
type DenyAll struct{}

// CheckAccess always returns ErrAccessRequired.
func (DenyAll) CheckAccess(*http.Request, keys.PubKey) error { return ErrAccessRequired }

var (
	_ AccessChecker = DenyAll{}
	_ AccessChecker = AccessFunc(nil)
)

// maxSeriesPoints bounds one data request.
const maxSeriesPoints = 2000

// errorBody is every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="thingchain", error="invalid_token"`)
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

// Handler serves an agent's endpoint:
//
//	GET /things/{device}/td                 the Thing Description (public)
//	GET /things/{device}/properties         readallproperties: an object of
//	                                        property name → current value
//	                                        (access key)
//	GET /things/{device}/properties/{name}  readproperty: the bare current
//	                                        value, of the property's type
//	                                        (access key)
//	GET /things/{device}/data?from=&to=     the history action: readings
//	                                        between two RFC 3339 times
//	                                        (default: the last hour), as its
//	                                        output schema says (access key)
//
// Browsers on any origin may call it (CORS, see withCORS).
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	dev := a.DeviceHex()
	mux.HandleFunc("GET "+tdPath(dev), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/td+json")
		w.Write(a.ThingDescription())
	})
	mux.HandleFunc("GET "+propertiesPath(dev), a.guard(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Kind.Sample(a.env(), a.now()).Values)
	}))
	mux.HandleFunc("GET "+propertiesPath(dev)+"/{name}", a.guard(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		rd := a.Kind.Sample(a.env(), a.now())
		v, ok := rd.Values[name]
		if !ok {
			writeError(w, http.StatusNotFound, "unknown_property", "no property "+name+" on this "+a.Kind.Name)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}))
	mux.HandleFunc("GET "+dataPath(dev), a.guard(a.serveData))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such resource; the Thing Description is at "+tdPath(dev))
	})
	return withCORS(mux)
}

// guard runs the access check before a data handler.
func (a *Agent) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := a.access().CheckAccess(r, a.DeviceKey.PubKey())
		switch {
		case err == nil:
			next(w, r)
		case errors.Is(err, ErrAccessDenied):
			writeError(w, http.StatusForbidden, "access_denied", err.Error())
		default:
			msg := err.Error()
			if !errors.Is(err, ErrAccessRequired) {
				msg = ErrAccessRequired.Error() + ": " + msg
			}
			writeError(w, http.StatusUnauthorized, "access_key_required", msg)
		}
	}
}

func (a *Agent) serveData(w http.ResponseWriter, r *http.Request) {
	to := a.now()
	from := to.Add(-time.Hour)
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_time", p.name+" must be an RFC 3339 time such as 2026-01-02T15:04:05Z: "+err.Error())
				return
			}
			*p.dst = t
		}
	}
	if to.After(a.now()) {
		to = a.now() // no data from the future
	}
	if from.After(to) {
		writeError(w, http.StatusBadRequest, "bad_range", "from is after to")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device":   a.DeviceHex(),
		"kind":     a.Kind.Name,
		"interval": a.Kind.SampleInterval.String(),
		"readings": a.Kind.Series(a.env(), from, to, maxSeriesPoints),
	})
}
