package db

import "strconv"

// The level statements take their asks as array parameters, hundreds of
// elements per request. These write the array literals as pq.StringArray and
// pq.Int64Array do, into one buffer sized up front (pq's grow it an element
// at a time).

// textArray is ss as a text[] literal, every element double-quoted with " and
// \ escaped.
func textArray(ss []string) string {
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if c := s[j]; c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// int8Array is ns as a bigint[] literal.
func int8Array(ns []int64) string {
	b := make([]byte, 0, 2+len(ns)*8)
	b = append(b, '{')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, '}'))
}
