package httpapi

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Database is what the HTTP layer needs of the database itself: whether it answers, for
// readiness, and how its connection pool is doing, for metrics.
type Database interface {
	Ping(ctx context.Context) error
	Stat() *pgxpool.Stat
	// Unavailable counts the statements PostgreSQL could not serve, and its outages.
	Unavailable() (refusals, outages int64)
	// ReplicaFallbacks counts the long reads the read replica could not serve, which the
	// primary answered instead.
	ReplicaFallbacks() int64
}

// poolCollector reports the connection pool's state at each scrape.
type poolCollector struct {
	db                                                                  Database
	max, conns, acquires, waits, waitTime, refusals, outages, fallbacks *prometheus.Desc
}

func newPoolCollector(db Database) *poolCollector {
	return &poolCollector{
		db:       db,
		max:      prometheus.NewDesc("p4w_db_pool_max_connections", "Connections the pool may open.", nil, nil),
		conns:    prometheus.NewDesc("p4w_db_pool_connections", "Connections of the pool by state.", []string{"state"}, nil),
		acquires: prometheus.NewDesc("p4w_db_pool_acquires_total", "Connections taken from the pool.", nil, nil),
		waits:    prometheus.NewDesc("p4w_db_pool_acquire_waits_total", "Takes that waited for a connection to be freed or opened.", nil, nil),
		waitTime: prometheus.NewDesc("p4w_db_pool_acquire_seconds_total", "Time spent taking connections from the pool.", nil, nil),
		refusals: prometheus.NewDesc("p4w_db_unavailable_total",
			"Statements PostgreSQL could not serve (down, saturated, or past a timeout): each answered 503.", nil, nil),
		outages: prometheus.NewDesc("p4w_db_outages_total", "Times PostgreSQL stopped answering.", nil, nil),
		fallbacks: prometheus.NewDesc("p4w_db_replica_fallbacks_total",
			"Long reads (audit trail, reports, exports) the read replica could not serve, answered by the primary instead.", nil, nil),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.max, c.conns, c.acquires, c.waits, c.waitTime, c.refusals, c.outages, c.fallbacks} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stat()
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.AcquiredConns()), "in_use")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.ConstructingConns()), "opening")
	ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.waitTime, prometheus.CounterValue, s.AcquireDuration().Seconds())
	refusals, outages := c.db.Unavailable()
	ch <- prometheus.MustNewConstMetric(c.refusals, prometheus.CounterValue, float64(refusals))
	ch <- prometheus.MustNewConstMetric(c.outages, prometheus.CounterValue, float64(outages))
	ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(c.db.ReplicaFallbacks()))
}
