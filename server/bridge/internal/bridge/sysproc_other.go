//go:build !linux

package bridge

import "syscall"

// sysProcAttr: no parent-death signal outside Linux; Stop and OnDeactivate end the child.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
