package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrPrivateTarget refuses a target address that is loopback, private,
// link-local, unique-local, multicast or unspecified.
var ErrPrivateTarget = errors.New("webhook target is a private, loopback or link-local address")

// privateAddr reports whether ip must not be a webhook target.
func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
}

// CheckURL checks an endpoint URL when it is saved: http or https, a host, and
// (unless allowPrivate) no private target, whether the host is an address or
// a name that resolves to one. A name that does not resolve now is accepted:
// delivery checks the address it dials anyway.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return errors.New("url must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("url must not carry credentials")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if privateAddr(ip) {
			return ErrPrivateTarget
		}
		return nil
	}
	if host == "localhost" || len(host) > len(".localhost") && host[len(host)-len(".localhost"):] == ".localhost" {
		return ErrPrivateTarget
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if privateAddr(a) {
			return ErrPrivateTarget
		}
	}
	return nil
}

// dialControl refuses, at connect time, an address that must not be a target:
// the check sees the address actually dialed, after resolution, so a name
// that resolves differently later (DNS rebinding) cannot reach the inside.
func dialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook target %q: %w", address, ErrPrivateTarget)
		}
		if privateAddr(ap.Addr()) {
			return ErrPrivateTarget
		}
		return nil
	}
}
