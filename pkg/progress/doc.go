// Package progress shows how far a long host-side task has come (hashing,
// writing an image, compressing an archive) on a terminal, and nothing
// anywhere else: in a pipe, a file or a build log the caller gets a nil
// *Meter, whose methods do nothing, so scripts see clean output.
//
// A Meter redraws one line with carriage returns, at most every Interval.
// It writes no escape sequences at all (no color, no cursor control), so
// there is nothing for NO_COLOR or a dumb terminal to turn off.
//
// Only the host tool uses this package; the init never does.
package progress
