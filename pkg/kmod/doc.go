// Package kmod loads kernel modules in an order decided at pack time.
//
// The initramfs carries a load list (see package loadlist) with each
// module's direct dependencies, so nothing is resolved at boot. Modules
// are loaded with finit_module(2); init_module(2) is only the fallback
// for kernels or file systems that do not support it. Like modprobe, a
// module gets its "module.param=value" options from the kernel command
// line and is skipped when modprobe.blacklist names it.
package kmod
