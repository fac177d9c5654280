// Package vm boots the real Debian kernel under QEMU (TCG, never KVM)
// with verinit's initramfs and judges each case by what the console
// printed. The tests need root only for nothing: images are made with
// sfdisk, mksquashfs, mkfs.erofs and mkfs.ext4 -d on plain files.
//
// Run with: go test -tags vm ./test/vm (make test does).
package vm
