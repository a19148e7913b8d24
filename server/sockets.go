package server

import (
	"sync"

	"github.com/fasthttp/websocket"
)

// wsBufferPool shares write buffers between idle sockets: a socket holds
// one only while it writes.
var wsBufferPool websocket.BufferPool = &sync.Pool{}
