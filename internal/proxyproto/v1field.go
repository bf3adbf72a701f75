package proxyproto

// The scanners in this file check one space-delimited field of a version 1
// line: an IPv4 address, an IPv6 address or a port. Each accepts a prefix of
// the field as well as the whole of it, and reports
//   - ok: whether some valid field starts with s;
//   - need: when ok, the fewest bytes that must still be appended to s for it
//     to be a valid field (0 when s already is one).
// The v1 parser uses ok to reject garbage early and need to know whether the
// line can still end within the spec's 107 bytes.

// scanIPv4 scans a dotted-quad IPv4 address: four decimal numbers in
// [0, 255] separated by single dots, with no leading zeros (the spec forbids
// them so that no one reads them as octal). When need is 0, a is the address.
func scanIPv4(s []byte) (a [4]byte, need int, ok bool) {
	octet, digits, dots := 0, 0, 0
	for _, c := range s {
		switch {
		case isDigit(c):
			if digits == 1 && octet == 0 {
				return a, 0, false
			}
			octet = octet*10 + int(c-'0')
			if octet > 255 {
				return a, 0, false
			}
			digits++
			a[dots] = byte(octet)
		case c == '.':
			if digits == 0 || dots == 3 {
				return a, 0, false
			}
			dots++
			octet, digits = 0, 0
		default:
			return a, 0, false
		}
	}
	// Each missing octet costs ".0"; an empty current octet costs a digit.
	need = 2 * (3 - dots)
	if digits == 0 {
		need++
	}
	return a, need, true
}

// scanIPv6 scans an IPv6 address as net/netip parses one without a zone:
// groups of one to four hex digits separated by colons, at most one "::"
// standing for at least one zero group, and optionally a dotted-quad IPv4
// address in place of the last two groups (inet_ntop writes IPv4-mapped
// addresses that way, "::ffff:192.0.2.1", so senders do too).
func scanIPv6(s []byte) (need int, ok bool) {
	groups := 0       // complete groups before the current one
	digits := 0       // hex digits in the current group
	ellipsis := false // whether "::" has been seen
	colons := 0       // colons just seen
	maxGroups := func() int {
		if ellipsis {
			return 7 // "::" must stand for at least one group
		}
		return 8
	}
	for i, c := range s {
		switch {
		case isHex(c):
			if i == 1 && colons == 1 {
				return 0, false // a leading colon must be the start of "::"
			}
			if digits == 0 && groups+1 > maxGroups() {
				return 0, false
			}
			digits++
			colons = 0
			if digits > 4 {
				return 0, false
			}
		case c == ':':
			if digits > 0 {
				groups++
				digits = 0
			}
			colons++
			switch {
			case colons > 2:
				return 0, false
			case colons == 2:
				if ellipsis {
					return 0, false
				}
				ellipsis = true
			case groups >= maxGroups():
				// Room is left for neither another group nor "::".
				return 0, false
			}
		case c == '.':
			// The current group was the first number of a trailing dotted
			// quad, which takes the place of the last two groups.
			if digits == 0 || groups+2 > maxGroups() || !ellipsis && groups+2 != 8 {
				return 0, false
			}
			_, need, ok := scanIPv4(s[i-digits:])
			return need, ok
		default:
			return 0, false
		}
	}
	switch {
	case len(s) == 0:
		return len("::"), true
	case colons == 1:
		return 1, true // a digit, or the second colon of "::"
	case colons == 2, ellipsis, groups+1 == 8:
		return 0, true
	}
	return len("::"), true
}

// scanPort scans a port: a decimal number in [0, 65535] with no sign and no
// leading zeros. When need is 0, port is its value.
func scanPort(s []byte) (port uint16, need int, ok bool) {
	if len(s) == 0 {
		return 0, 1, true
	}
	v := 0
	for i, c := range s {
		if !isDigit(c) || i == 1 && s[0] == '0' {
			return 0, 0, false
		}
		v = v*10 + int(c-'0')
		if v > 65535 {
			return 0, 0, false
		}
	}
	return uint16(v), 0, true
}

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isHex reports whether c is an ASCII hexadecimal digit, in either case.
func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
