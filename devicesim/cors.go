package devicesim

import "net/http"

// withCORS lets web pages on other origins (the node's web marketplace)
// read an agent's endpoint. Access is proven by the bearer access key in
// the Authorization header, never by cookies, so any origin may ask:
// the answer is Access-Control-Allow-Origin: * without credentials, and a
// preflight (OPTIONS) that allows GET with an Authorization header.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET")
			h.Set("Access-Control-Allow-Headers", "Authorization")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
