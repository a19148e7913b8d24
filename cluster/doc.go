// Package cluster tests the production topology of compose.yaml as it runs
// on one machine (scripts/cluster.sh): two `portal serve` replicas sharing
// a database server (`portal db serve`, in MongoDB's place) and a NATS
// server, behind nginx. The tests speak to the proxy only, as browsers and
// API clients do, and check what must hold however requests are spread over
// the replicas. They need nats-server and nginx (Debian packages); without
// them they skip, unless PORTAL_REQUIRE_CLUSTER=1 (as in .ci/run).
package cluster
