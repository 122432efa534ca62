package rpc

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connCounter counts open connections of a server.
type connCounter struct{ n atomic.Int64 }

// capListener caps open connections. Beyond the cap a connection is
// accepted and answered 503 at once, rather than left waiting in the
// kernel's backlog where the client cannot tell a full node from a dead one.
type capListener struct {
	net.Listener
	max   int64
	count *connCounter
	log   *slog.Logger
}

func newCapListener(ln net.Listener, max int, count *connCounter, log *slog.Logger) *capListener {
	return &capListener{Listener: ln, max: int64(max), count: count, log: log}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.count.n.Add(1) > l.max {
			l.count.n.Add(-1)
			l.log.Warn("rpc connection refused: too many open connections", slog.Int64("limit", l.max), slog.String("remote", c.RemoteAddr().String()))
			go refuseConn(c, l.max)
			continue
		}
		return &countedConn{Conn: c, count: l.count}, nil
	}
}

// refuseConn answers a connection over the cap with a JSON-RPC error. It
// reads the request head first (briefly, bounded), so that an HTTP client
// that has just written its request reads the 503 as the answer to it
// rather than as an unsolicited response on an idle connection, and it
// half-closes before closing so the answer is not lost to a reset.
func refuseConn(c net.Conn, limit int64) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	head := make([]byte, 0, 1024)
	buf := make([]byte, 1024)
	for len(head) < 8<<10 && !bytes.Contains(head, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		head = append(head, buf[:n]...)
		if err != nil {
			break
		}
	}
	body := encodeError(nullID, &Error{Code: CodeOverCapacity,
		Message: "too many open connections to this node's API (limit " + strconv.FormatInt(limit, 10) + "): close idle ones or retry later"})
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"))
	_, _ = c.Write(body)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
}

// countedConn gives its slot back exactly once, however often it is closed
// (net/http and a hijacking WebSocket may both close it).
type countedConn struct {
	net.Conn
	count *connCounter
	once  sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.count.n.Add(-1) })
	return c.Conn.Close()
}

// Conns is the number of open API connections (HTTP and WebSocket).
func (s *Server) Conns() int { return int(s.connCount.n.Load()) }

// Subscriptions is the number of live WebSocket subscriptions.
func (s *Server) Subscriptions() int { return int(s.subCount.Load()) }

// loopbackAddr says whether a bound address is reachable only from this
// machine.
func loopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	return tcp.IP.IsLoopback()
}
