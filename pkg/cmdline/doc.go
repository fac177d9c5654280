// Package cmdline parses the Linux kernel command line the way the kernel
// itself splits it.
//
// The grammar is the kernel's, reproduced byte for byte:
//
//   - lib/cmdline.c next_arg: words are separated by white space outside
//     double quotes; a '"' anywhere in a word toggles "in quote"; the first
//     '=' of a word splits key and value, except at index 0 (so "=x" is a
//     key without a value, and "==x" has key "=" and value "x"); a leading
//     '"' of the word, and a leading '"' of the value, are dropped together
//     with one '"' at the end of the word. Quotes elsewhere stay in the text:
//     there is no escaping.
//   - lib/ctype.c isspace: white space is ' ', '\t', '\n', '\v', '\f', '\r'
//     and also the byte 0xA0 (the kernel's ctype table is Latin-1, where
//     0xA0 is the no-break space), so a UTF-8 character whose encoding
//     contains the byte 0xA0 ends a word. The command line is a C string:
//     nothing after a NUL byte is seen.
//   - kernel/params.c parse_args and parameq: a bare "--" ends the kernel
//     parameters, and keys compare with '-' and '_' equal.
//   - init/main.c start_kernel, set_init_arg and repair_env_string: the words
//     after "--" become the init's arguments, each re-joined as "key=value"
//     when it had a value. They are parsed by parse_args again, so a second
//     bare "--" ends them and the words after it are dropped.
//
// The kernel also hands unknown parameters without a '.' to the init, bare
// ones as arguments and key=value ones as environment, and it drops the
// init arguments altogether when a built-in parameter before "--" was given
// an invalid value. Both depend on which parameters the running kernel
// knows, so this package does not model them: InitArgs holds exactly the
// words after "--".
//
// Module parameters follow modprobe (kmod, libkmod-config.c
// kmod_config_parse_kcmdline): "module.param=value" is an option for the
// module, and modprobe.blacklist=a,b names modules not to load. The kernel's
// own module_blacklist= is enforced by the kernel and is not handled here.
//
// The package is pure: it never reads /proc/cmdline, keeps no state, and
// Parse accepts any string without failing.
package cmdline
