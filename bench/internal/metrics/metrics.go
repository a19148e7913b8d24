// Package metrics reads gauges from the portal's Prometheus text output,
// for the commands under bench/ that watch a running portal.
package metrics

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
)

// Gauges returns the values of the unlabelled samples named in names from
// base + "/metrics"; a name not found, or a portal that does not answer,
// reads as 0.
func Gauges(base string, names ...string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for _, n := range names {
		out[n] = 0
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		if _, want := out[f[0]]; want {
			out[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return out
}
