// Package keys is the documentation of the kernel command line the init
// reads, as data: README's table and the verinit-init(7) manual page are
// rendered from it, and a test checks it against the keys package config
// actually parses, so neither can drift. Only the host tool and tests
// import it; the init does not carry the text.
package keys
