package resolvers

// batchFailed is a loader's answer when its one statement failed: every key
// of the batch gets the error.
func batchFailed[V any](out []V, err error) ([]V, []error) {
	errs := make([]error, len(out))
	for i := range errs {
		errs[i] = err
	}
	return out, errs
}
