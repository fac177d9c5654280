// Package pivot hands the machine over from the initramfs to the real root.
//
// The order follows util-linux switch_root and u-root's pkg/mount: move
// the API mounts into the new root, delete the initramfs contents without
// crossing into other mounts (they are in RAM and would be lost memory
// otherwise), move the new root onto /, chroot into it and exec its
// init. Unlike u-root, every precondition is checked before anything is
// deleted: we must be PID 1 on a ramfs or tmpfs, the new root must be a
// mount point, and its init must resolve (inside the new root, following
// its symbolic links there) to an executable regular file.
package pivot
