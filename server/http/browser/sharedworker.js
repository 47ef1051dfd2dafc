// Forgewire SharedWorker: one WebSocket per server URL and token for every tab of an origin.
// Served by forgewire-server at <prefix>/-/forgewire/sharedworker.js; pages talk to it through
// client.js (PROTOCOL.md, "Browser assets" and "Client reconnect"). Plain JavaScript, no build step.
//
// Tab -> worker: {op: 'connect', url, token}, {op: 'subscribe'|'unsubscribe'|'resync', topic},
//                {op: 'send', message}, {op: 'pong'}, {op: 'close'} (the tab goes away).
// Worker -> tab: {kind: 'message', message} (a server message), {kind: 'state', state, code, reason,
//                delayMs}, {kind: 'ping'} (liveness), {kind: 'rejoin'} (the worker forgot this tab).
'use strict';

// PROTOCOL.md, Client reconnect: 50 ms doubling to 10 s, back to 50 ms once `hello` arrives.
const kFirstDelayMs = 50;
const kMaxDelayMs = 10000;
// A tab that misses this many liveness pings in a row is taken for dead (closed without pagehide,
// crashed, killed): its subscriptions are released and, if it was the last, the socket closes.
// The worker's URL may shorten it (`sharedworker.js?liveness_ms=200`, at least 50), for a page that
// wants dead tabs noticed sooner, and for the tests.
const kLivenessIntervalMs = Math.max(50, Number(new URL(self.location.href).searchParams.get('liveness_ms')) ||
                                             5000);
const kMissedPingsAllowed = 3;
// Board events kept after the latest snapshot for a tab that joins later; past it the worker asks
// the server for a fresh snapshot instead of keeping more.
const kMaxBufferedBoardEvents = 256;
// WebSocket close codes of PROTOCOL.md.
const kUnauthorized = 4001;

// One server connection, shared by every tab that asked for the same URL and token.
class Source {
  constructor(key, url, token) {
    this.key = key;
    this.url = url;
    this.token = token;
    this.ports = new Set();
    this.topicCounts = new Map(); // topic -> number of tabs that want it
    this.retained = new Map();    // 'hello' | 'notification-count' | 'stopwatches' -> message
    this.boards = new Map();      // topic -> {snapshot, events: []}
    this.pendingUnsubscribes = new Set();
    this.socket = null;
    this.timer = null;
    this.delayMs = kFirstDelayMs;
    this.state = 'connecting';
    this.lastClose = null;
    this.stopped = false;
    this.open();
  }

  socketUrl() {
    if (!this.token)
      return this.url;
    const sep = this.url.includes('?') ? '&' : '?';
    return this.url + sep + 'access_token=' + encodeURIComponent(this.token);
  }

  open() {
    this.timer = null;
    if (this.stopped)
      return;
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.socketUrl());
    } catch (e) {
      // A malformed URL never gets better: tell the tabs and stop.
      this.stopped = true;
      this.setState('failed', {reason: String(e)});
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => this.onClose(socket, event.code, event.reason);
    // An error is always followed by close, which does the work.
    socket.onerror = () => {};
  }

  onClose(socket, code, reason) {
    if (socket !== this.socket)
      return;
    this.socket = null;
    this.lastClose = {code, reason};
    if (this.stopped)
      return;
    if (code === kUnauthorized) {
      // PROTOCOL.md: never retry the same token.
      this.stopped = true;
      this.setState('unauthorized', {code, reason});
      return;
    }
    // A close before `hello` (refused upgrade, drain, outage) leaves the delay doubled: it counts as
    // a failed attempt.
    const delayMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, kMaxDelayMs);
    this.setState('reconnecting', {code, reason, delayMs});
    this.timer = setTimeout(() => this.open(), delayMs);
  }

  onMessage(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (!message || typeof message.type !== 'string')
      return;
    switch (message.type) {
    case 'hello':
      this.delayMs = kFirstDelayMs;
      this.retained.clear();
      this.pendingUnsubscribes.clear();
      this.retained.set('hello', message);
      this.setState('open');
      this.broadcast(message);
      // A new connection has no subscriptions: ask again for every topic a tab still wants.
      for (const topic of this.topicCounts.keys())
        this.sendJson({type: 'subscribe', topic});
      return;
    case 'ping':
      this.sendJson({type: 'pong'});
      return;
    case 'notification-count':
    case 'stopwatches':
      this.retained.set(message.type, message);
      this.broadcast(message);
      return;
    case 'board-snapshot':
      if (this.topicCounts.has(message.topic))
        this.boards.set(message.topic, {snapshot: message, events: []});
      this.toTopic(message.topic, message);
      return;
    case 'board':
      this.bufferBoardEvent(message);
      this.toTopic(message.topic, message);
      return;
    case 'unsubscribed':
      if (this.pendingUnsubscribes.delete(message.topic))
        return; // the answer to our own unsubscribe: the tabs were told when they left the topic
      // The server ended it (project.deleted, access revoked): every tab that held it loses it.
      this.toTopic(message.topic, message);
      for (const port of this.ports)
        port.topics.delete(message.topic);
      this.topicCounts.delete(message.topic);
      this.boards.delete(message.topic);
      return;
    case 'subscribed':
      this.toTopic(message.topic, message);
      return;
    case 'error':
      if (message.topic)
        this.toTopic(message.topic, message);
      else
        this.broadcast(message);
      return;
    default:
      // logout, boards, application events: every tab.
      this.broadcast(message);
    }
  }

  bufferBoardEvent(message) {
    const board = this.boards.get(message.topic);
    if (!board || typeof message.seq !== 'number')
      return;
    if (message.seq <= (board.events.length ? board.events[board.events.length - 1].seq : board.snapshot.seq))
      return;
    board.events.push(message);
    if (board.events.length > kMaxBufferedBoardEvents) {
      // Keeping everything would grow without bound; a fresh snapshot replaces the lot.
      board.events = [];
      this.sendJson({type: 'resync', topic: message.topic});
    }
  }

  sendJson(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || this.state !== 'open')
      return false; // the next hello subscribes afresh
    this.socket.send(JSON.stringify(message));
    return true;
  }

  setState(state, extra) {
    this.state = state;
    this.stateMessage = Object.assign({kind: 'state', state}, extra || {});
    for (const port of this.ports)
      port.post(this.stateMessage);
  }

  broadcast(message) {
    for (const port of this.ports)
      port.post({kind: 'message', message});
  }

  // Messages about a topic go to the tabs that want it; the automatic user topic, which no tab asked
  // for, to every tab.
  toTopic(topic, message) {
    let sent = false;
    for (const port of this.ports) {
      if (port.topics.has(topic)) {
        port.post({kind: 'message', message});
        sent = true;
      }
    }
    if (!sent && typeof topic === 'string' && topic.startsWith('user-'))
      this.broadcast(message);
  }

  addPort(port) {
    this.ports.add(port);
    port.source = this;
    // A tab that joins late starts where the others are: the state, then the retained messages.
    port.post(this.stateMessage);
    for (const message of this.retained.values())
      port.post({kind: 'message', message});
  }

  removePort(port) {
    if (!this.ports.delete(port))
      return;
    for (const topic of port.topics)
      this.release(topic);
    port.topics.clear();
    port.source = null;
    if (this.ports.size === 0)
      this.shutdown();
  }

  subscribe(port, topic) {
    if (typeof topic !== 'string' || port.topics.has(topic))
      return;
    port.topics.add(topic);
    const count = (this.topicCounts.get(topic) || 0) + 1;
    this.topicCounts.set(topic, count);
    if (count === 1) {
      this.sendJson({type: 'subscribe', topic});
      return;
    }
    // Another tab holds it already: replay what this one missed.
    if (this.state === 'open')
      port.post({kind: 'message', message: {type: 'subscribed', topic}});
    const board = this.boards.get(topic);
    if (board) {
      port.post({kind: 'message', message: board.snapshot});
      for (const message of board.events)
        port.post({kind: 'message', message});
    }
  }

  unsubscribe(port, topic) {
    if (!port.topics.delete(topic))
      return;
    this.release(topic);
    port.post({kind: 'message', message: {type: 'unsubscribed', topic}});
  }

  release(topic) {
    const count = (this.topicCounts.get(topic) || 0) - 1;
    if (count > 0) {
      this.topicCounts.set(topic, count);
      return;
    }
    this.topicCounts.delete(topic);
    this.boards.delete(topic);
    if (this.sendJson({type: 'unsubscribe', topic}))
      this.pendingUnsubscribes.add(topic);
  }

  // The last tab left: no socket, no timer stays behind.
  shutdown() {
    this.stopped = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'last tab left');
    }
    sources.delete(this.key);
  }
}

const sources = new Map(); // url + token -> Source
const ports = new Set();   // every Tab, for the liveness check

// One tab (one MessagePort, or the worker's own scope when run as a dedicated worker).
class Tab {
  constructor(port) {
    this.port = port;
    this.topics = new Set();
    this.source = null;
    this.missedPings = 0;
    this.alive = true;
    trackTab(this, true);
    port.onmessage = (event) => this.onMessage(event.data);
  }

  post(message) {
    try {
      this.port.postMessage(message);
    } catch (e) {
      // A port whose page is gone may throw; the liveness check removes it.
    }
  }

  onMessage(data) {
    if (!data || typeof data.op !== 'string')
      return;
    this.missedPings = 0;
    if (!this.alive) {
      // Taken for dead while frozen, and back: the page registers again from scratch.
      this.alive = true;
      this.missedPings = 0;
      trackTab(this, true);
      this.post({kind: 'rejoin'});
      return;
    }
    switch (data.op) {
    case 'connect': {
      if (this.source)
        this.source.removePort(this);
      const key = String(data.url) + '\n' + String(data.token || '');
      let source = sources.get(key);
      if (!source) {
        source = new Source(key, String(data.url), data.token ? String(data.token) : '');
        sources.set(key, source);
      }
      source.addPort(this);
      return;
    }
    case 'subscribe':
      if (this.source)
        this.source.subscribe(this, data.topic);
      return;
    case 'unsubscribe':
      if (this.source)
        this.source.unsubscribe(this, data.topic);
      return;
    case 'resync':
      if (this.source && this.topics.has(data.topic))
        this.source.sendJson({type: 'resync', topic: data.topic});
      return;
    case 'send':
      if (this.source && data.message && typeof data.message.type === 'string')
        this.source.sendJson(data.message);
      return;
    case 'pong':
      return;
    case 'close':
      this.leave();
      return;
    }
  }

  leave() {
    if (this.source)
      this.source.removePort(this);
    this.alive = false;
    trackTab(this, false);
  }
}

// Runs only while a tab is registered, so a worker with no tab holds no timer at all.
let livenessTimer = null;

function checkLiveness() {
  for (const tab of Array.from(ports)) {
    if (++tab.missedPings > kMissedPingsAllowed) {
      tab.leave();
      continue;
    }
    tab.post({kind: 'ping'});
  }
}

function trackTab(tab, present) {
  if (present)
    ports.add(tab);
  else
    ports.delete(tab);
  if (ports.size > 0 && livenessTimer === null)
    livenessTimer = setInterval(checkLiveness, kLivenessIntervalMs);
  else if (ports.size === 0 && livenessTimer !== null) {
    clearInterval(livenessTimer);
    livenessTimer = null;
  }
}

if (typeof SharedWorkerGlobalScope !== 'undefined' && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (event) => {
    const port = event.ports[0];
    new Tab(port);
    port.start();
  };
} else {
  // Browsers without SharedWorker (Chrome on Android) run this file as a dedicated worker of one tab.
  new Tab(self);
}
