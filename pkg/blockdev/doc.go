// Package blockdev finds block devices and waits for them to appear.
//
// The kernel announces every block device with a uevent on the
// NETLINK_KOBJECT_UEVENT socket; there is no udev in an initramfs. Wait
// subscribes to those events first and then scans /sys/class/block once,
// so a device that appears between the two is seen either way, and after
// that it only wakes up when the kernel reports a change: no polling.
//
// Device and the uevent parser are plain data and pure functions; the
// files ending in _linux.go hold the syscalls.
package blockdev
