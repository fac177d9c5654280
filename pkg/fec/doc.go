// Package fec computes dm-verity forward error correction (FEC) data: the
// Reed-Solomon parity that veritysetup format --fec-device writes and that
// the kernel's dm-verity uses to repair blocks that fail their hash (the
// table options use_fec_from_device, fec_roots, fec_blocks and fec_start).
// Its output is byte for byte that of veritysetup (cryptsetup 2.6), which
// the tests check.
//
// # Code
//
// Each codeword is RS(255, 255-Roots) over GF(2^8) with field polynomial
// x^8+x^4+x^3+x^2+1 (0x11d) and generator roots a^0 .. a^(Roots-1), a = 0x02
// (first root 0, primitive element 1), Roots being 2 to 24: FEC_PARAMS and
// FEC_process_inputs in cryptsetup's lib/verity/verity_fec.c with
// init_rs_char and encode_rs_char in lib/verity/rs_encode_char.c, and
// fec_rs_alloc in the kernel's drivers/md/dm-verity-fec.c. The parity
// bytes follow the input bytes, highest coefficient first.
//
// # Input and interleaving
//
// The parity covers fec_blocks blocks of the data block size (which must
// equal the hash block size): the data blocks, then the hash device from
// the tree's first block (past the superblock) to the end of the hash
// device, or to the parity when it lives on the hash device (Layout,
// VERITY_FEC_process and VERITY_FEC_blocks in verity_fec.c; verity_fec_ctr
// and fec_read_bufs in dm-verity-fec.c). The superblock is not covered.
//
// With rsn = 255-Roots and rounds = ceil(fec_blocks/rsn), the input is read
// as rsn runs of rounds blocks, padded with zero blocks. Round n takes block
// n of each run, blocks n, rounds+n, ..., (rsn-1)*rounds+n, and for each
// byte offset b of a block makes one codeword from byte b of those rsn
// blocks, in that order; its Roots parity bytes go to
// fec_start*blocksize + (n*blocksize + b)*Roots on the FEC device. So the
// parity is rounds*Roots blocks, and the bytes of one block are spread over
// blocksize codewords, each of which holds one byte of rsn blocks that lie
// rounds blocks apart: a burst of damage costs each codeword few bytes
// (FEC_interleave in verity_fec.c, fec_interleave, fec_read_parity and
// verity_fec_decode in dm-verity-fec.c).
//
// # Kernel table
//
// For a device formatted like this, veritysetup open passes (VERITY_activate
// in lib/verity/verity.c, dm_verity_target_set and get_dm_verity_params in
// lib/libdevmapper.c)
//
//	use_fec_from_device <FEC device> fec_start <offset/blocksize>
//	fec_blocks <Params.Blocks(layout)> fec_roots <Roots>
//
// where offset is --fec-offset in bytes; the kernel reads the parity from
// block fec_start of the FEC device in data-block units, so the offset
// should be a multiple of the block size (veritysetup only requires 512).
// pkg/verity's Params.FECArgs builds these words.
//
// # Speed
//
// The code is linear, so the parity of a codeword is the XOR of one table
// entry per input byte, each entry holding the parity of that byte alone
// at its position, eight parity bytes to a word. Rounds are independent and
// Encode spreads them over goroutines. The package holds no state between
// calls and never panics on its input.
package fec
