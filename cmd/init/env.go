package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// runtimeEnv are the environment variables that change how the Go
// runtime and its crypto behave. The kernel passes every unknown
// KEY=VALUE of its command line to /init as environment, so whoever
// writes the command line could set them: GODEBUG=rsa1024min=0 would
// let the init accept RSA keys of any size.
var runtimeEnv = []string{"GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GOTRACEBACK"}

// clearRuntimeEnv removes runtimeEnv from the init's environment and
// puts the runtime settings they made back to their defaults, before
// any crypto runs. It returns the environment as it was, for the real
// init (which gets it unchanged), and the variables it cleared.
//
// Unsetting GODEBUG makes the runtime re-read it, so the crypto
// settings it carries (read through internal/godebug on each use) go
// back to their defaults. The few it reads once at start are CPU
// feature switches (cpu.*) and fips140, which can only refuse more.
func clearRuntimeEnv() (orig, cleared []string) {
	orig = os.Environ()
	for _, kv := range orig {
		k, _, _ := strings.Cut(kv, "=")
		for _, name := range runtimeEnv {
			if k == name {
				cleared = append(cleared, kv)
				os.Unsetenv(k)
			}
		}
	}
	if len(cleared) > 0 {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		debug.SetTraceback("single")
		runtime.SetDefaultGOMAXPROCS()
	}
	return orig, cleared
}
