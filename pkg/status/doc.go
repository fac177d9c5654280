// Package status is the record the init leaves in /run/verinit/status.json
// for the real system (RAUC, health checks) to read: what was booted, from
// which device, found how, and how long each stage took.
//
// The JSON is written by hand: encoding/json would pull reflection-heavy
// code into the init binary for one small, fixed record.
package status
