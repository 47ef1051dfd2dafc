'use strict';
// Peer server for the Forgewire benchmark: the protocol subset the load generator uses (HS256 JWT
// auth, hello, user-{id} auto-subscription, public.* subscribe, POST /api/v1/publish batches),
// written the way a Node.js user would with `ws`: one process, a topic -> Set<socket> map, each
// publication serialized once to a Buffer and sent to every subscriber.
const crypto = require('crypto');
const http = require('http');
const { WebSocketServer } = require('ws');

const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_SEND_QUEUE_BYTES = 1024 * 1024;
const PING_INTERVAL_MS = 25000;
const EXPIRY_LEEWAY_S = 30;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const BACKLOG = 4096; // same accept queue as the other servers get from somaxconn

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const port = Number(arg('port', 8080));
const adminPort = Number(arg('admin-port', 8081));
const jwtSecret = arg('jwt-secret', '');
const publisherSecret = arg('publisher-secret', '');

function verifyJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    if (header.alg !== 'HS256') return null;
    const expected = crypto.createHmac('sha256', jwtSecret).update(parts[0] + '.' + parts[1]).digest();
    const signature = Buffer.from(parts[2], 'base64url');
    if (signature.length !== expected.length || !crypto.timingSafeEqual(signature, expected)) return null;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    if (typeof claims.sub !== 'string' || !/^\d+$/.test(claims.sub)) return null;
    if (typeof claims.exp !== 'number' || claims.exp + EXPIRY_LEEWAY_S < Date.now() / 1000) return null;
    return claims;
  } catch {
    return null;
  }
}

const topics = new Map(); // topic -> Set<WebSocket>
function subscribe(ws, topic) {
  let set = topics.get(topic);
  if (!set) topics.set(topic, (set = new Set()));
  set.add(ws);
  ws.topics.add(topic);
}
function unsubscribe(ws, topic) {
  const set = topics.get(topic);
  if (set) {
    set.delete(ws);
    if (set.size === 0) topics.delete(topic);
  }
  ws.topics.delete(topic);
}
function send(ws, data) {
  if (ws.bufferedAmount > MAX_SEND_QUEUE_BYTES) {
    ws.close(4008, 'slow consumer');
    return;
  }
  ws.send(data, { binary: false });
}

let nextSession = 0;
const httpServer = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'application/json' });
  res.end('{"error":"this endpoint speaks WebSocket only"}');
});
const wss = new WebSocketServer({ server: httpServer, path: '/-/ws', maxPayload: MAX_MESSAGE_BYTES });
wss.on('connection', (ws, req) => {
  ws.topics = new Set();
  ws.isAlive = true;
  ws.on('pong', () => (ws.isAlive = true));
  let token = (req.headers.authorization || '').replace(/^Bearer /, '');
  if (!token) token = new URL(req.url, 'http://x').searchParams.get('access_token') || '';
  let user = null;
  if (token) {
    const claims = verifyJwt(token);
    if (!claims) {
      ws.close(4001, 'unauthorized');
      return;
    }
    user = { id: Number(claims.sub), login: claims.name };
  }
  send(ws, JSON.stringify({ type: 'hello', user, session: String(++nextSession), heartbeat: PING_INTERVAL_MS / 1000 }));
  if (user) subscribe(ws, 'user-' + user.id);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return send(ws, '{"type":"error","code":"bad_request","message":"binary frames are not supported"}');
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return send(ws, '{"type":"error","code":"bad_request","message":"malformed JSON"}');
    }
    if (m.type === 'subscribe') {
      const own = user && m.topic === 'user-' + user.id;
      if (typeof m.topic === 'string' && (m.topic.startsWith('public.') || own)) {
        subscribe(ws, m.topic);
        send(ws, JSON.stringify({ type: 'subscribed', topic: m.topic }));
      } else {
        send(ws, JSON.stringify({ type: 'error', code: 'forbidden', message: 'no access', topic: m.topic }));
      }
    } else if (m.type === 'unsubscribe') {
      unsubscribe(ws, m.topic);
      send(ws, JSON.stringify({ type: 'unsubscribed', topic: m.topic }));
    } else if (m.type === 'ping') {
      send(ws, '{"type":"pong"}');
    } else if (m.type !== 'pong') {
      send(ws, '{"type":"error","code":"bad_request","message":"unknown message type"}');
    }
  });
  ws.on('close', () => {
    for (const topic of [...ws.topics]) unsubscribe(ws, topic);
  });
});

// One sweep for every connection, as the ws README recommends, rather than a timer per socket.
setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) {
      ws.terminate();
      continue;
    }
    ws.isAlive = false;
    ws.ping();
  }
}, PING_INTERVAL_MS);

function reply(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const admin = http.createServer((req, res) => {
  if (req.url === '/healthz') return reply(res, 200, '{"ok":true}');
  if (req.url !== '/api/v1/publish') return reply(res, 404, '{"error":"not found"}');
  if (req.method !== 'POST') return reply(res, 405, '{"error":"use POST"}');
  if (req.headers.authorization !== 'Bearer ' + publisherSecret) return reply(res, 401, '{"error":"wrong publisher secret"}');
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return reply(res, 413, '{"error":"body too large"}');
    let batch;
    try {
      batch = JSON.parse(Buffer.concat(chunks));
    } catch {
      return reply(res, 400, '{"error":"malformed JSON"}');
    }
    if (!Array.isArray(batch)) batch = [batch];
    // Validate the whole batch first: nothing is half-applied.
    const encoded = [];
    for (const p of batch) {
      if (!p || typeof p.topic !== 'string' || !p.message || typeof p.message.type !== 'string')
        return reply(res, 400, '{"error":"each item needs a topic and a message with a type"}');
      if (!p.topic.startsWith('user-') && !p.topic.startsWith('public.')) return reply(res, 400, '{"error":"unknown topic"}');
      const message = p.message.type === 'board' ? { ...p.message, topic: p.topic } : p.message;
      encoded.push(Buffer.from(JSON.stringify(message))); // once per publication
    }
    batch.forEach((p, i) => {
      const set = topics.get(p.topic);
      if (set) for (const ws of set) send(ws, encoded[i]);
    });
    reply(res, 202, JSON.stringify({ accepted: batch.length }));
  });
});

httpServer.listen({ port, host: '127.0.0.1', backlog: BACKLOG });
admin.listen({ port: adminPort, host: '127.0.0.1' }, () =>
  console.log(`node peer: ws on ${port}, admin on ${adminPort}`));

// The same drain as forgewire-server's on SIGTERM: stop accepting, close every connection with 1001 so
// clients reconnect with their backoff, then exit (the bench's restart scenario). ws waits up to
// 30 s for each closing handshake; like forgewire's drain timeout, this one gives them 1 s.
function drain() {
  httpServer.close();
  admin.close();
  for (const ws of wss.clients) ws.close(1001, 'server restart');
  const started = Date.now();
  const check = setInterval(() => {
    if (wss.clients.size === 0 || Date.now() - started > 1000) {
      clearInterval(check);
      process.exit(0);
    }
  }, 20);
}
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
