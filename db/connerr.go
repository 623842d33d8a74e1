package db

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
)

// isConnError reports whether err means the server could not be reached.
func isConnError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ENOENT) ||
		errors.As(err, &oe) || errors.As(err, &ne)
}
