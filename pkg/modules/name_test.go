package modules

import "testing"

func TestSplitModulePath(t *testing.T) {
	tests := []struct {
		in, ko, comp string
		ok           bool
	}{
		{"kernel/fs/ext4/ext4.ko", "kernel/fs/ext4/ext4.ko", "", true},
		{"kernel/fs/ext4/ext4.ko.xz", "kernel/fs/ext4/ext4.ko", ".xz", true},
		{"kernel/fs/ext4/ext4.ko.zst", "kernel/fs/ext4/ext4.ko", ".zst", true},
		{"kernel/fs/ext4/ext4.ko.gz", "kernel/fs/ext4/ext4.ko", ".gz", true},
		{"ext4.ko", "ext4.ko", "", true},
		{"kernel/fs/ext4/ext4.ko.bz2", "", "", false},
		{"kernel/fs/ext4/ext4", "", "", false},
		{".ko", "", "", false},
		{"kernel/.ko.xz", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		ko, comp, ok := SplitModulePath(tt.in)
		if ko != tt.ko || comp != tt.comp || ok != tt.ok {
			t.Errorf("SplitModulePath(%q) = %q, %q, %v; want %q, %q, %v", tt.in, ko, comp, ok, tt.ko, tt.comp, tt.ok)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"kernel/drivers/md/dm-mod.ko", "dm_mod"},
		{"kernel/drivers/md/dm_mod.ko.xz", "dm_mod"},
		{"kernel/drivers/usb/storage/usb-storage.ko.zst", "usb_storage"},
		{"kernel/drivers/scsi/BusLogic.ko.gz", "BusLogic"},
		{"/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko", "ext4"},
		{"kernel/fs/ext4/ext4.txt", ""},
	}
	for _, tt := range tests {
		if got := Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
