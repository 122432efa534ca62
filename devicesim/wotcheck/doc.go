// Package wotcheck is a generic W3C WoT consumer for testing devices: it
// reads a Thing Description, exercises every affordance through the TD's
// own forms (HTTP binding) and validates each response against the TD's
// data schema. It knows nothing about thingchain's simulator: any device
// that serves a TD over HTTP — the Go simulator, the Python reference
// device, a maker's real device — can be checked with it, from a Go test
// or with `thingchain devices check URL`.
//
// What is exercised, per TD 1.1 defaults (§5.3.4.2, §6.3.1 of the HTTP
// binding):
//   - each property's readproperty form (op defaults to readproperty and
//     writeproperty; writes are never sent): the body must validate
//     against the property's data schema;
//   - each Thing-level readallproperties form: the body must be an object
//     with a member for every readable property, each validating against
//     that property's schema;
//   - each action's invokeaction form, with URI variables filled from their
//     schemas and an input generated from the input schema: the body must
//     validate against the output schema. Only actions the TD marks safe
//     are invoked, so a check never changes a device's state;
//   - events need a subscription protocol and are reported as skipped.
//
// wotcheck must not import thingchain packages: it is the outside view.
package wotcheck
