package store

// LastNumber finds the last of a run of numbers without gaps (1, 2, … h,
// each held by a document read by _id; exists reports whether n's is
// there), from one known to exist (0: none known): steps doubling from it
// until a number is missing, then halving between the last present and
// the first missing. That is a few lookups by _id however long the run,
// where the embedded database would read the whole collection to sort it.
func LastNumber(from int64, exists func(n int64) (bool, error)) (int64, error) {
	lo, step := from, int64(1)
	var hi int64
	for {
		ok, err := exists(lo + step)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = lo + step
			break
		}
		lo += step
		step *= 2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
