package webhooks

import "time"

// Retry schedule (the contract's): attempt 1 at once, then these intervals
// after each failure, and the 8th and last attempt 24 h after the first.
var retryIntervals = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// MaxAttempts is the number of attempts before a message is failed.
const MaxAttempts = 8

// lastAttemptAfter is when the last attempt is due, from the first.
const lastAttemptAfter = 24 * time.Hour

// nextAttempt returns when the attempt after a failed attempt number n
// (1-based) is due, and false when n was the last. now is the failure's time,
// first the first attempt's; scale divides every interval (tests).
func nextAttempt(n int, first, now time.Time, scale int) (time.Time, bool) {
	if scale < 1 {
		scale = 1
	}
	switch {
	case n >= MaxAttempts:
		return time.Time{}, false
	case n <= len(retryIntervals):
		return now.Add(retryIntervals[n-1] / time.Duration(scale)), true
	default:
		at := first.Add(lastAttemptAfter / time.Duration(scale))
		if at.Before(now) {
			at = now
		}
		return at, true
	}
}
