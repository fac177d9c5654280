package blockdev

// IfSettled marks an error of a Check that holds only if no more devices
// appear (a partition that is missing from a disk that is there): Wait
// returns it only once no driver is loading and no uevent is queued, and
// looks again otherwise.
func IfSettled(err error) error { return &ifSettled{err} }

type ifSettled struct{ err error }

func (e *ifSettled) Error() string { return e.err.Error() }
func (e *ifSettled) Unwrap() error { return e.err }
