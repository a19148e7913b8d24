package store

import "strconv"

// ChunkID is the _id of chunk n of the GridFS file key, as the portal
// writes chunks since schema 10: derived from the file, so that a reader
// finds each chunk by _id, the one lookup the embedded database answers
// from an index (a filter on files_id reads every chunk of every file).
// The chunks keep files_id and n, so the layout stays GridFS.
func ChunkID(key string, n int64) string { return key + ":" + strconv.FormatInt(n, 10) }
