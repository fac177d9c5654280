package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/initramfs"
	"github.com/verinit/verinit/pkg/locate/images"
	"github.com/verinit/verinit/pkg/rootdev"
)

// maxPackedFileBytes bounds the files kept from an initramfs: the policy,
// certificates, veritytab and signatures the init reads are small; modules
// and the init itself are not kept.
const maxPackedFileBytes = 1 << 20

// packedFiles are the small regular files of an initramfs, by absolute
// path: what the init reads besides its modules.
type packedFiles map[string][]byte

// readPackedFiles reads the initramfs file p (any compression), and what
// its /init carries.
func readPackedFiles(p string) (packedFiles, feature.Build, error) {
	raw, _, ents, err := readArchive(p)
	if err != nil {
		return nil, feature.Build{}, err
	}
	files := packedFiles{}
	build := feature.Full()
	for _, e := range ents {
		if e.Mode&cpio.S_IFMT != cpio.S_IFREG {
			continue
		}
		data := raw[e.DataOffset : e.DataOffset+int64(e.FileSize)]
		if path.Join("/", e.Name) == "/init" {
			build = initramfs.InitBuild(bytes.NewReader(data))
		}
		if e.FileSize > maxPackedFileBytes || strings.HasSuffix(e.Name, ".ko") {
			continue
		}
		files[path.Join("/", e.Name)] = data
	}
	return files, build, nil
}

// config is what the init reads of them into its Config.
func (p packedFiles) config() config.Packed {
	return config.Packed{Policy: p[config.PolicyPath], VerityEnv: p[config.VerityEnvPath], Veritytab: p[config.VeritytabPath]}
}

// imageSources are activate.SigSources over an initramfs's files and disk
// images: where the init would find certificates and signatures.
type imageSources struct {
	files packedFiles
	im    *images.Images
}

func (s imageSources) File(name string, max int) ([]byte, error) {
	b, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s: larger than expected", name)
	}
	return b, nil
}

func (s imageSources) Certificates() ([]string, error) {
	var out []string
	for name := range s.files {
		if path.Dir(name) == activate.CertDir && strings.HasSuffix(name, ".pem") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s imageSources) PartitionDER(spec rootdev.Spec) (string, []byte, error) {
	m, ok, err := spec.Resolve(s.im.View)
	if err != nil {
		return "", nil, fmt.Errorf("signature %w", err)
	}
	if !ok {
		return "", nil, fmt.Errorf("signature %s: no such device on the disks (the init would wait, then fail)", spec.Raw)
	}
	r, _, err := s.im.OpenMatch(m)
	if err != nil {
		return "", nil, err
	}
	der, err := activate.PartitionDERAt(r, matchPath(m))
	return matchPath(m), der, err
}

func (s imageSources) SignedRootHash(part rootdev.Match) (string, string, []byte, error) {
	r, size, err := s.im.OpenMatch(part)
	if err != nil {
		return "", "", nil, err
	}
	vs, err := activate.VeritySigJSONAt(r, size, matchPath(part))
	return matchPath(part), vs.RootHash, vs.Signature, err
}

func (s imageSources) VeritySig(data rootdev.Match, rootHash string) (string, []byte, bool, error) {
	dev, ok := activate.SigPartition(s.im.View, data)
	if !ok {
		return "", nil, false, nil
	}
	r, size, err := s.im.Open(dev)
	if err != nil {
		return "", nil, true, err
	}
	der, err := activate.VeritySigAt(r, size, dev.Path(), rootHash)
	return dev.Path(), der, true, err
}
