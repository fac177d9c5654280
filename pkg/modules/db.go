package modules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// DB is the module metadata of one kernel release, as read from its modules
// directory. The zero DB knows no modules.
type DB struct {
	Deps     []DepEntry // modules.dep
	Softdeps []Softdep  // modules.softdep
	Builtin  []string   // modules.builtin: paths of built-in modules
	Aliases  []Alias    // modules.alias
	// BuiltinAliases are the aliases of built-in modules
	// (modules.builtin.modinfo): names the kernel has without a module.
	BuiltinAliases []Alias
}

// LoadDB reads modules.dep, modules.softdep, modules.builtin, modules.alias
// and modules.builtin.modinfo from fsys, the modules directory of one kernel
// release (for example os.DirFS("/lib/modules/6.1.0-56-amd64")). modules.dep
// must exist; the other files are optional.
func LoadDB(fsys fs.FS) (*DB, error) {
	var db DB
	var err error
	if err = parseFile(fsys, "modules.dep", true, func(r io.Reader) error {
		db.Deps, err = ParseDep(r)
		return err
	}); err != nil {
		return nil, err
	}
	if err = parseFile(fsys, "modules.softdep", false, func(r io.Reader) error {
		db.Softdeps, err = ParseSoftdep(r)
		return err
	}); err != nil {
		return nil, err
	}
	if err = parseFile(fsys, "modules.alias", false, func(r io.Reader) error {
		db.Aliases, err = ParseAlias(r)
		return err
	}); err != nil {
		return nil, err
	}
	if err := loadBuiltin(fsys, &db); err != nil {
		return nil, err
	}
	return &db, nil
}

// loadBuiltin reads modules.builtin and modules.builtin.modinfo, which the
// kernel build writes (not depmod), into db. Both are optional.
func loadBuiltin(fsys fs.FS, db *DB) error {
	var err error
	if err = parseFile(fsys, "modules.builtin", false, func(r io.Reader) error {
		db.Builtin, err = ParseBuiltin(r)
		return err
	}); err != nil {
		return err
	}
	return parseFile(fsys, "modules.builtin.modinfo", false, func(r io.Reader) error {
		db.BuiltinAliases, err = ParseBuiltinModinfo(r)
		return err
	})
}

func parseFile(fsys fs.FS, name string, required bool, parse func(io.Reader) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("modules: %w", err) // *fs.PathError names the file
	}
	defer f.Close()
	return parse(f)
}
