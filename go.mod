module github.com/verinit/verinit

go 1.26.0

require (
	github.com/anatol/devmapper.go v0.0.0-20250316020617-2671eefd35d7
	github.com/diskfs/go-diskfs v1.9.4
	github.com/google/go-tpm v0.9.8
	github.com/klauspost/compress v1.20.4
	github.com/smallstep/pkcs7 v0.2.3
	github.com/u-root/u-root v0.16.0
	github.com/ulikunitz/xz v0.5.17
	golang.org/x/crypto v0.45.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.26 // indirect
	github.com/u-root/uio v0.0.0-20240224005618-d2acac8f3701 // indirect
)
