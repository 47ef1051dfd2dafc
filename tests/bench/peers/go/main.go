// Peer server for the Forgewire benchmark: the protocol subset the load generator uses (HS256 JWT
// auth, hello, user-{id} auto-subscription, public.* subscribe, POST /api/v1/publish batches), built
// the way Gitea builds its WebSocket endpoint: nhooyr.io/websocket, one reader and one writer
// goroutine per connection, and an in-memory broker (a mutex-guarded topic map fanning out to
// buffered per-subscriber channels, as in Gitea's modules/pubsub memory broker).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"nhooyr.io/websocket"
)

const (
	maxMessageBytes   = 64 * 1024
	sendQueueMessages = 1024 // buffered channel per subscriber; full means slow consumer (4008)
	pingInterval      = 25 * time.Second
	pongDeadline      = 10 * time.Second
	expiryLeeway      = 30
)

type client struct {
	id     string
	userID int64
	login  string
	send   chan []byte
	once   sync.Once
	closed chan struct{}
}

func (c *client) enqueue(msg []byte) bool {
	select {
	case c.send <- msg:
		return true
	default:
		return false
	}
}

func (c *client) shut() { c.once.Do(func() { close(c.closed) }) }

type broker struct {
	mu     sync.RWMutex
	topics map[string]map[*client]struct{}
}

func (b *broker) subscribe(topic string, c *client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.topics[topic]
	if set == nil {
		set = make(map[*client]struct{})
		b.topics[topic] = set
	}
	set[c] = struct{}{}
}

func (b *broker) unsubscribe(topic string, c *client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if set := b.topics[topic]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(b.topics, topic)
		}
	}
}

func (b *broker) publish(topic string, msg []byte) {
	var slow []*client
	b.mu.RLock()
	for c := range b.topics[topic] {
		if !c.enqueue(msg) {
			slow = append(slow, c)
		}
	}
	b.mu.RUnlock()
	for _, c := range slow {
		c.shut()
	}
}

type claims struct {
	Sub  string `json:"sub"`
	Name string `json:"name"`
	Exp  int64  `json:"exp"`
}

func verifyJWT(token string, secret []byte) (*claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed token")
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, err
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(header, &h) != nil || h.Alg != "HS256" {
		return nil, errors.New("alg must be HS256")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errors.New("bad signature")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	if c.Exp+expiryLeeway < time.Now().Unix() {
		return nil, errors.New("expired")
	}
	if _, err := strconv.ParseInt(c.Sub, 10, 64); err != nil {
		return nil, errors.New("sub is not a user id")
	}
	return &c, nil
}

type server struct {
	broker          *broker
	jwtSecret       []byte
	publisherSecret string
	nextID          atomic.Int64
	connsMu         sync.Mutex
	conns           map[*websocket.Conn]struct{} // for the drain on SIGTERM
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (s *server) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	conn.SetReadLimit(maxMessageBytes)
	s.connsMu.Lock()
	s.conns[conn] = struct{}{}
	s.connsMu.Unlock()
	defer func() {
		s.connsMu.Lock()
		delete(s.conns, conn)
		s.connsMu.Unlock()
	}()
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.URL.Query().Get("access_token")
	}
	c := &client{id: strconv.FormatInt(s.nextID.Add(1), 10), send: make(chan []byte, sendQueueMessages),
		closed: make(chan struct{})}
	var user any
	if token != "" {
		cl, err := verifyJWT(token, s.jwtSecret)
		if err != nil {
			conn.Close(4001, "unauthorized")
			return
		}
		c.userID, _ = strconv.ParseInt(cl.Sub, 10, 64)
		c.login = cl.Name
		user = map[string]any{"id": c.userID, "login": c.login}
	}
	c.enqueue(mustJSON(map[string]any{"type": "hello", "user": user, "session": c.id,
		"heartbeat": int(pingInterval / time.Second)}))
	topics := map[string]bool{}
	if c.userID != 0 {
		topic := "user-" + strconv.FormatInt(c.userID, 10)
		topics[topic] = true
		s.broker.subscribe(topic, c)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer func() {
		cancel()
		c.shut()
		for t := range topics {
			s.broker.unsubscribe(t, c)
		}
	}()
	go s.writeLoop(ctx, conn, c)
	var mu sync.Mutex // topics is also read by the deferred cleanup only after this loop ends
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			c.enqueue(mustJSON(map[string]any{"type": "error", "code": "bad_request", "message": "binary frames are not supported"}))
			continue
		}
		var m struct {
			Type  string `json:"type"`
			Topic string `json:"topic"`
		}
		if json.Unmarshal(data, &m) != nil {
			c.enqueue(mustJSON(map[string]any{"type": "error", "code": "bad_request", "message": "malformed JSON"}))
			continue
		}
		mu.Lock()
		switch m.Type {
		case "subscribe":
			own := c.userID != 0 && m.Topic == "user-"+strconv.FormatInt(c.userID, 10)
			if strings.HasPrefix(m.Topic, "public.") || own {
				if !topics[m.Topic] {
					topics[m.Topic] = true
					s.broker.subscribe(m.Topic, c)
				}
				c.enqueue(mustJSON(map[string]any{"type": "subscribed", "topic": m.Topic}))
			} else {
				c.enqueue(mustJSON(map[string]any{"type": "error", "code": "forbidden", "message": "no access", "topic": m.Topic}))
			}
		case "unsubscribe":
			if topics[m.Topic] {
				delete(topics, m.Topic)
				s.broker.unsubscribe(m.Topic, c)
			}
			c.enqueue(mustJSON(map[string]any{"type": "unsubscribed", "topic": m.Topic}))
		case "ping":
			c.enqueue([]byte(`{"type":"pong"}`))
		case "pong":
		default:
			c.enqueue(mustJSON(map[string]any{"type": "error", "code": "bad_request", "message": "unknown message type"}))
		}
		mu.Unlock()
	}
}

func (s *server) writeLoop(ctx context.Context, conn *websocket.Conn, c *client) {
	ticker := time.NewTicker(pingInterval)
	defer ticker.Stop()
	for {
		select {
		case msg := <-c.send:
			if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
				conn.Close(websocket.StatusGoingAway, "write failed")
				return
			}
		case <-ticker.C:
			go func() {
				pingCtx, cancel := context.WithTimeout(ctx, pongDeadline)
				defer cancel()
				if conn.Ping(pingCtx) != nil {
					conn.Close(websocket.StatusGoingAway, "no pong")
				}
			}()
		case <-c.closed:
			conn.Close(4008, "slow consumer")
			return
		case <-ctx.Done():
			return
		}
	}
}

type publication struct {
	Topic   string          `json:"topic"`
	Message json.RawMessage `json:"message"`
	Retain  bool            `json:"retain"`
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func (s *server) servePublish(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"use POST"}`))
		return
	}
	if !hmac.Equal([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.publisherSecret)) {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"wrong publisher secret"}`))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"error":"cannot read body"}`))
		return
	}
	var batch []publication
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(body, &batch)
	} else {
		var one publication
		err = json.Unmarshal(body, &one)
		batch = []publication{one}
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, mustJSON(map[string]string{"error": err.Error()}))
		return
	}
	// Validate the whole batch first: nothing is half-applied.
	encoded := make([][]byte, len(batch))
	for i, p := range batch {
		var msg map[string]json.RawMessage
		if json.Unmarshal(p.Message, &msg) != nil || msg["type"] == nil {
			writeJSON(w, http.StatusBadRequest, []byte(`{"error":"message must be an object with a type"}`))
			return
		}
		if !strings.HasPrefix(p.Topic, "user-") && !strings.HasPrefix(p.Topic, "public.") {
			writeJSON(w, http.StatusBadRequest, []byte(`{"error":"unknown topic"}`))
			return
		}
		if string(msg["type"]) == `"board"` {
			msg["topic"] = mustJSON(p.Topic)
		}
		encoded[i] = mustJSON(msg) // encoded once per publication, shared by every subscriber
	}
	for i, p := range batch {
		s.broker.publish(p.Topic, encoded[i])
	}
	writeJSON(w, http.StatusAccepted, []byte(fmt.Sprintf(`{"accepted":%d}`, len(batch))))
}

func main() {
	port := flag.Int("port", 8080, "WebSocket port")
	adminPort := flag.Int("admin-port", 8081, "publish API port")
	jwtSecret := flag.String("jwt-secret", "", "HS256 secret")
	publisherSecret := flag.String("publisher-secret", "", "publish API bearer secret")
	flag.Parse()
	s := &server{broker: &broker{topics: map[string]map[*client]struct{}{}}, jwtSecret: []byte(*jwtSecret),
		publisherSecret: *publisherSecret, conns: map[*websocket.Conn]struct{}{}}

	wsMux := http.NewServeMux()
	wsMux.HandleFunc("/-/ws", s.serveWS)
	adminMux := http.NewServeMux()
	adminMux.HandleFunc("/api/v1/publish", s.servePublish)
	adminMux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(`{"ok":true}`)) })

	wsListener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	adminListener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *adminPort))
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(http.Serve(adminListener, adminMux)) }()
	// The same drain as forgewire-server's on SIGTERM: stop accepting, close every connection with
	// 1001 so clients reconnect with their backoff, then exit (the bench's restart scenario).
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		wsListener.Close()
		adminListener.Close()
		s.connsMu.Lock()
		conns := make([]*websocket.Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.connsMu.Unlock()
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func(c *websocket.Conn) { defer wg.Done(); c.Close(websocket.StatusGoingAway, "server restart") }(c)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		os.Exit(0)
	}()
	log.Printf("go peer: ws on %d, admin on %d", *port, *adminPort)
	if err := http.Serve(wsListener, wsMux); err != nil {
		select {} // the listener closed for the drain above, which exits the process
	}
}
