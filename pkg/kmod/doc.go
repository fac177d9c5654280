// Package kmod loads kernel modules on the occasions decided at pack time.
//
// The initramfs carries a load list (see package loadlist) with each
// module's class, direct dependencies and aliases, so nothing is resolved
// at boot. A [Loader] loads a module when asked (at start, when a device's
// modalias matches a storage driver's alias, when a stage needs
// device-mapper or a file system), each after its dependencies and
// independent ones in parallel. Modules are loaded with finit_module(2);
// init_module(2) is only the fallback for kernels or file systems that do
// not support it. Like modprobe, a module gets its "module.param=value"
// options from the kernel command line and is skipped when
// modprobe.blacklist names it.
package kmod
