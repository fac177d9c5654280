package keys

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// parsedKeys returns the command-line keys that the non-test Go files in
// dir read: the string literals given to Cmdline.Lookup, Flag and Values
// and to cmdline.KeyEqual, or compared with a Param's Key; an identifier
// argument is followed to the literal list it ranges over. Any other
// argument is an error, so a new way of reading a key cannot slip past
// the documentation check.
func parsedKeys(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	keys := map[string]string{}    // key -> where it is read
	lists := map[string][]string{} // package-level var -> its literals
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if l, ok := literals(v); ok {
						lists[vs.Names[i].Name] = l
					}
				}
			}
		}
	}
	var errs []string
	for _, f := range parsed {
		// ranges maps a range variable to the literals it ranges over.
		ranges := map[string][]string{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				// The methods of config's policed reader pass a
				// caller's key on; the callers are what counts. Those
				// of CmdlineKeys compare keys with the packed list
				// and the rules, and read none.
				if n.Recv != nil && len(n.Recv.List) == 1 {
					t := n.Recv.List[0].Type
					if star, ok := t.(*ast.StarExpr); ok {
						t = star.X
					}
					if id, ok := t.(*ast.Ident); ok && (id.Name == "policed" || id.Name == "CmdlineKeys") {
						return false
					}
				}
			case *ast.RangeStmt:
				if id, ok := n.Value.(*ast.Ident); ok {
					if l, ok := literals(n.X); ok {
						ranges[id.Name] = l
					} else if x, ok := n.X.(*ast.Ident); ok && lists[x.Name] != nil {
						ranges[id.Name] = lists[x.Name]
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || len(n.Args) == 0 {
					return true
				}
				var arg ast.Expr
				switch sel.Sel.Name {
				case "Lookup", "Flag", "Values":
					arg = n.Args[0]
				case "KeyEqual":
					arg = n.Args[len(n.Args)-1]
				default:
					return true
				}
				where := fset.Position(n.Pos()).String()
				switch a := arg.(type) {
				case *ast.BasicLit:
					s, _ := strconv.Unquote(a.Value)
					keys[s] = where
				case *ast.Ident:
					if ranges[a.Name] == nil {
						errs = append(errs, where+": cannot tell which key "+a.Name+" is")
					}
					for _, s := range ranges[a.Name] {
						keys[s] = where
					}
				default:
					errs = append(errs, where+": cannot tell which key is read")
				}
			case *ast.BinaryExpr:
				sel, ok := n.X.(*ast.SelectorExpr)
				lit, ok2 := n.Y.(*ast.BasicLit)
				if ok && ok2 && sel.Sel.Name == "Key" && n.Op == token.EQL {
					s, _ := strconv.Unquote(lit.Value)
					keys[s] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return keys, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return keys, nil
}

// literals returns the strings of a composite literal of string literals.
func literals(e ast.Expr) ([]string, bool) {
	c, ok := e.(*ast.CompositeLit)
	if !ok || len(c.Elts) == 0 {
		return nil, false
	}
	var out []string
	for _, el := range c.Elts {
		lit, ok := el.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, false
		}
		s, _ := strconv.Unquote(lit.Value)
		out = append(out, s)
	}
	return out, true
}
