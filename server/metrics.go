package server

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/circularfairict/portal/workshops/live"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  fiber.Handler
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portal_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(withoutBuildInfo(reg), promhttp.HandlerOpts{}))
	return m
}

// registerLiveMetrics exposes the live rooms' group commit: with
// portal_live_event_writes_total and portal_live_events_stored_total the
// mean number of commands per database write over any interval.
func registerLiveMetrics(reg *prometheus.Registry, e *live.Engine) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portal_live_event_writes_total", Help: "Database writes that stored live room commands.",
		}, func() float64 { return float64(e.Stats().EventWrites) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "portal_live_events_stored_total", Help: "Live room commands carried by those writes.",
		}, func() float64 { return float64(e.Stats().EventsStored) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_live_event_batch_largest", Help: "Most live room commands stored in one write since start.",
		}, func() float64 { return float64(e.Stats().LargestBatch) }))
}

// withoutBuildInfo leaves out go_info, whose label is the Go release the
// binary was built with: /metrics is unauthenticated (restrict it at the
// proxy), and a build's versions tell a visitor which known flaws to try.
// No metric carries the portal's own version for the same reason.
func withoutBuildInfo(g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		out := mfs[:0]
		for _, mf := range mfs {
			if mf.GetName() != "go_info" {
				out = append(out, mf)
			}
		}
		return out, err
	})
}

// observe records one request; route is the route pattern, never the raw
// path, so labels stay bounded.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}
