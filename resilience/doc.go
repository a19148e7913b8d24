// Package resilience holds the crash test: the real portal binary is killed
// with SIGKILL at random moments while clients write through it, restarted
// on the same data directory, and every write that was acknowledged must be
// there exactly once. It has tests only.
package resilience
