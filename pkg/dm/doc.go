// Package dm creates and removes device-mapper devices for the init, on
// github.com/anatol/devmapper.go's ioctls.
//
// It adds what an initramfs without udev needs: /dev/mapper/control when
// devtmpfs has not made it, the /dev/mapper/NAME node (udev would make
// it), and removal of a half-made device whatever step failed (the
// library removes it only when the table load fails, not when resume
// does).
package dm
