package config

import (
	"errors"
	"fmt"

	"github.com/verinit/verinit/pkg/rootdev"
)

// Usr is a separate /usr, mounted read-only on the root's /usr:
// verified (usrhash=: the dm-verity device UsrMapper over its data and
// hash devices, under the same policy as a verified root) or, where the
// policy allows an unverified system, a plain device (mount.usr=).
type Usr struct {
	Verity *Verity      // nil for a plain /usr
	Device rootdev.Spec // mount.usr= of a plain /usr
	FSType string       // mount.usrfstype=, "" to detect
	Flags  string       // mount.usrflags=
}

// UsrMapper is the device a verified /usr is mounted from, as systemd
// names it.
const UsrMapper = "/dev/mapper/usr"

// UsrOptionsKey holds the verity options of /usr; each is decided by the
// rule of the option of systemd.verity_root_options= of the same name.
const UsrOptionsKey = "systemd.verity_usr_options"

// RootTmpfs is root='s value for an empty tmpfs root, for a system that
// lives entirely in /usr.
const RootTmpfs = "tmpfs"

// parseUsr reads systemd's keys for /usr: usrhash= with
// systemd.verity_usr_data= and systemd.verity_usr_hash= (or, without
// them, the Discoverable Partitions pairing of the usr and usr-verity
// partitions by the halves of usrhash=), systemd.verity_usr_options=,
// and mount.usr=, mount.usrfstype=, mount.usrflags=. verityOn is
// systemd.verity=; mode is verinit.verity_on_corruption=, nil when not
// given; tab is the volume "usr" of a packed veritytab, which the
// command line's keys override (its root hash is pinned). It returns nil
// when no /usr is named.
func parseUsr(c *policed, verityOn bool, mode *string, tab *VeritytabEntry) (*Usr, error) {
	hash, hasHash := c.Lookup("usrhash")
	data, hasData := c.Lookup("systemd.verity_usr_data")
	hashDev, hasHashDev := c.Lookup("systemd.verity_usr_hash")
	opts, hasOpts := c.Lookup("systemd.verity_usr_options")
	dev, hasDev := c.Lookup("mount.usr")
	u := &Usr{}
	u.FSType, _ = c.Lookup("mount.usrfstype")
	u.Flags, _ = c.Lookup("mount.usrflags")
	if hasHash && !verityOn {
		return nil, errors.New("usrhash= with systemd.verity=no: /usr would be mounted unverified; leave one out")
	}
	if tab != nil && !hasHash && !hasData && !hasHashDev && !hasOpts {
		if hasDev && dev != UsrMapper {
			return nil, fmt.Errorf("mount.usr=%s: with the packed %s /usr is its volume \"usr\": leave mount.usr= out or give %s", dev, VeritytabPath, UsrMapper)
		}
		if !verityOn {
			return nil, nil
		}
		return u.fromVeritytab(*tab, mode, c.policy)
	}
	switch {
	case !hasHash && (hasData || hasHashDev || hasOpts):
		return nil, errors.New("systemd.verity_usr_data=, systemd.verity_usr_hash= and " + UsrOptionsKey + "= need usrhash=")
	case !hasHash && dev == UsrMapper:
		return nil, fmt.Errorf("mount.usr=%s: the verity device of /usr needs usrhash=", UsrMapper)
	case !hasHash && hasDev:
		spec, err := rootdev.ParseSpec(dev)
		if err != nil {
			return nil, fmt.Errorf("mount.usr: %w", err)
		}
		u.Device = spec
		return u, nil
	case !hasHash:
		if u.FSType != "" || u.Flags != "" {
			return nil, errors.New("mount.usrfstype= and mount.usrflags= need a /usr: usrhash= or mount.usr=")
		}
		return nil, nil
	case hasDev && dev != UsrMapper:
		return nil, fmt.Errorf("mount.usr=%s: with usrhash= /usr is its verity device: leave mount.usr= out or give %s", dev, UsrMapper)
	case hasData != hasHashDev:
		return nil, errors.New("systemd.verity_usr_data= and systemd.verity_usr_hash= go together; one is missing")
	}
	v := &Verity{Options: VerityOptions{Mode: ModeRestart}}
	if hasOpts {
		if err := parseOptions(opts, UsrOptionsKey, nil, &v.Options, c.policy); err != nil {
			return nil, err
		}
	}
	if mode != nil {
		v.Options.Mode = *mode
	}
	var err error
	if hasData {
		v.Source = FromSystemd
		if v.Data, err = rootdev.ParseSpec(data); err != nil {
			return nil, fmt.Errorf("systemd.verity_usr_data: %w", err)
		}
		if v.Hash, err = rootdev.ParseSpec(hashDev); err != nil {
			return nil, fmt.Errorf("systemd.verity_usr_hash: %w", err)
		}
	} else {
		// Discoverable Partitions: usrhash= names the usr and usr-verity
		// partitions.
		v.Source = FromDPS
		if v.Data, v.Hash, err = pairSpecs("usrhash", hash); err != nil {
			return nil, err
		}
	}
	if err := v.finishUsr("usrhash", hash, UsrOptionsKey); err != nil {
		return nil, err
	}
	u.Verity = v
	return u, nil
}

// fromVeritytab is the verified /usr of veritytab's volume "usr"; its
// options are under the same rules as the command line's.
func (u *Usr) fromVeritytab(e VeritytabEntry, mode *string, p Policy) (*Usr, error) {
	where := e.where()
	v := &Verity{Source: FromVeritytab, Options: VerityOptions{Mode: ModeRestart}}
	if err := v.fromVeritytab(e, p); err != nil {
		return nil, err
	}
	if mode != nil {
		v.Options.Mode = *mode
	}
	if err := v.finishUsr(where+" roothash", e.Root, where); err != nil {
		return nil, err
	}
	u.Verity = v
	return u, nil
}

// finishUsr reads /usr's root hash (hashKey names it in messages) and
// what its options, read from where, say about the devices and the
// signature.
func (v *Verity) finishUsr(hashKey, hash, where string) error {
	var err error
	if v.RootHash, err = parseRootHash(hashKey, hash); err != nil {
		return err
	}
	if err := v.applyOptions(where, false); err != nil {
		return err
	}
	if v.Options.Signature != "" {
		if v.Sig, err = parseSigSource("root-hash-signature", v.Options.Signature); err != nil {
			return err
		}
	}
	return nil
}

// Verified reports whether /usr is behind dm-verity.
func (u *Usr) Verified() bool { return u != nil && u.Verity != nil }
