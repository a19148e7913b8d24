package store

import "testing"

func TestLastNumber(t *testing.T) {
	for _, h := range []int64{0, 1, 2, 3, 7, 8, 1000, 1025} {
		for _, from := range []int64{0, 1, h / 2, h} {
			if from > h {
				continue
			}
			lookups := 0
			got, err := LastNumber(from, func(n int64) (bool, error) {
				lookups++
				if n <= from && n > 0 {
					t.Errorf("h %d from %d: looked up %d, known to exist", h, from, n)
				}
				return n >= 1 && n <= h, nil
			})
			if err != nil || got != h {
				t.Errorf("h %d from %d: %d, %v", h, from, got, err)
			}
			if lookups > 30 {
				t.Errorf("h %d from %d: %d lookups", h, from, lookups)
			}
		}
	}
}
