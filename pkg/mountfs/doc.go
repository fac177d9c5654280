// Package mountfs mounts the API file systems an init needs and the root.
package mountfs
