// Package klog writes the init's log lines to the kernel log (/dev/kmsg) and
// the console.
//
// Each line carries a syslog level prefix ("<3>" for errors) so that the
// kernel routes it by console_loglevel: errors reach the console even when
// the command line says "quiet". Lines are prefixed with a fixed tag and the
// milliseconds since the init started, and trimmed below the kernel's
// record limit (LOG_LINE_MAX, 1024 bytes less the header).
package klog
