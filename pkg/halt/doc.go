// Package halt carries out the failure policy when the init cannot boot:
// reboot (so that a bootloader's attempt counter falls back to the other
// slot), power off, panic the kernel, or open a shell for a person.
package halt
