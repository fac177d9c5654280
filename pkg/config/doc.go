// Package config turns the kernel command line into the init's typed
// Config: what to boot, how long to wait, and what to do on failure.
//
// Every verinit.* key is checked: a misspelt value is an error, not a
// silent default, because a device in the field must not boot with a
// weaker setting than its builder wrote.
package config
