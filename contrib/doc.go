// Package contrib holds no code. Its tests check the integration files
// beside it: the Buildroot BR2_EXTERNAL tree (buildroot/), the Yocto layer
// (yocto/meta-verinit) and the RAUC helpers (rauc/), by parsing them for the
// rules their tools apply and by running their scripts against the verinit
// built from this tree.
package contrib
