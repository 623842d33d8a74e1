//go:build !linux

package localpg

import "syscall"

// dieWithParent is Linux's parent-death signal; elsewhere a throwaway server
// is stopped by Stop, as the tests' Main always does.
func dieWithParent(*syscall.SysProcAttr) {}
