// Forgewire page module, served by forgewire-server at <prefix>/-/forgewire/client.js.
//
//   import {connect} from '/-/forgewire/client.js';
//   const fw = connect({token});                  // url defaults to this server's <prefix>/-/ws
//   fw.on('notification-count', (m) => badge(m.count));
//   fw.on('stopwatches', (m) => show(m.data));
//   fw.subscribe('project-board.42');
//   fw.on('board', ({topic, event, board}) => render(board));   // board: the model after the change
//   fw.on('state', ({state}) => ...);     // connecting, open, reconnecting, unauthorized, failed
//
// Every tab of an origin shares one WebSocket through sharedworker.js (PROTOCOL.md, Browser assets).
// `on(type, fn)` takes the server message types (hello, notification-count, stopwatches, logout,
// board-snapshot, subscribed, unsubscribed, error, boards, application events), `board` (the raw
// event plus `board`, the topic's model after it was applied, null for a board without snapshot;
// `event` is 'snapshot' when a fresh snapshot replaced the model), `state`, and `*` (every message).

const kWorkerName = 'forgewire';

function clone(value) {
  return value === null || value === undefined ? value : JSON.parse(JSON.stringify(value));
}

function bySorting(a, b) {
  return (a.sorting || 0) - (b.sorting || 0);
}

function findColumn(board, columnId) {
  return board.columns.find((c) => c.column_id === columnId) || null;
}

function takeCard(board, issueId, preferredColumnId) {
  const order = board.columns.slice().sort((a, b) =>
    (b.column_id === preferredColumnId) - (a.column_id === preferredColumnId));
  for (const column of order) {
    const index = column.cards.findIndex((card) => card.issue_id === issueId);
    if (index >= 0)
      return column.cards.splice(index, 1)[0];
  }
  return null;
}

// Puts `card` among `cards` by its sorting, ahead of the cards that share it (where it was dropped).
function placeCard(cards, card) {
  let index = cards.findIndex((c) => (c.sorting || 0) >= (card.sorting || 0));
  if (index < 0)
    index = cards.length;
  cards.splice(index, 0, card);
}

// Applies one board event (PROTOCOL.md, Board events) to `board`, a snapshot's `board` object, in
// place. Returns the board (null after project.deleted), or undefined when the event names a column
// or card the model does not have: the model is stale and wants a fresh snapshot.
export function applyBoardEvent(board, event, data) {
  if (!board)
    return undefined;
  data = data || {};
  switch (event) {
  case 'card.moved': {
    const to = findColumn(board, data.to_column_id);
    if (!to)
      return undefined;
    const card = takeCard(board, data.issue_id, data.from_column_id);
    if (!card)
      return undefined;
    for (const key of ['issue_index', 'repo', 'sorting']) {
      if (data[key] !== undefined)
        card[key] = data[key];
    }
    placeCard(to.cards, card);
    return board;
  }
  case 'card.linked': {
    const column = findColumn(board, data.column_id);
    if (!column)
      return undefined;
    const card = takeCard(board, data.issue_id, data.column_id) || {issue_id: data.issue_id, title: '',
                                                                     is_closed: false, sorting: 0};
    for (const key of ['issue_index', 'repo', 'title', 'sorting', 'is_closed']) {
      if (data[key] !== undefined)
        card[key] = data[key];
    }
    placeCard(column.cards, card);
    return board;
  }
  case 'card.unlinked': {
    const column = findColumn(board, data.column_id);
    if (!column)
      return undefined;
    const index = column.cards.findIndex((card) => card.issue_id === data.issue_id);
    if (index < 0)
      return undefined;
    column.cards.splice(index, 1);
    return board;
  }
  case 'column.created': {
    if (findColumn(board, data.column_id))
      return undefined;
    if (data.default)
      board.columns.forEach((c) => { c.default = false; });
    board.columns.push({column_id: data.column_id, title: data.title || '', color: data.color || '',
                        sorting: data.sorting || 0, default: !!data.default, cards: []});
    board.columns.sort(bySorting);
    return board;
  }
  case 'column.updated': {
    const column = findColumn(board, data.column_id);
    if (!column)
      return undefined;
    for (const key of ['title', 'color', 'sorting', 'default']) {
      if (data[key] !== undefined)
        column[key] = data[key];
    }
    if (data.default)
      board.columns.forEach((c) => { c.default = c === column; });
    board.columns.sort(bySorting);
    return board;
  }
  case 'column.deleted': {
    const column = findColumn(board, data.column_id);
    const target = findColumn(board, data.moved_to_column_id);
    if (!column || !target || target === column)
      return undefined;
    for (const card of column.cards)
      placeCard(target.cards, card);
    board.columns.splice(board.columns.indexOf(column), 1);
    return board;
  }
  case 'column.reordered': {
    const order = Array.isArray(data.columns) ? data.columns : [];
    for (const entry of order) {
      if (!findColumn(board, entry.column_id))
        return undefined;
    }
    for (const entry of order)
      findColumn(board, entry.column_id).sorting = entry.sorting;
    board.columns.sort(bySorting);
    return board;
  }
  case 'project.updated':
    for (const key of ['title', 'description', 'is_closed']) {
      if (data[key] !== undefined)
        board[key] = data[key];
    }
    return board;
  case 'project.deleted':
    return null;
  }
  // An event this version does not know changes nothing it models.
  return board;
}

// The model of one subscribed board (PROTOCOL.md, Live board model): a snapshot and its seq; events
// with seq last+1 are applied, seq <= last ignored, a gap asks for a resync.
export class BoardTracker {
  constructor(topic, requestResync) {
    this.topic = topic;
    this.model = null;
    this.seq = null;
    this.resyncPending = false;
    this.requestResync = requestResync;
  }

  snapshot(message) {
    this.model = clone(message.board);
    this.seq = typeof message.seq === 'number' ? message.seq : null;
    this.resyncPending = false;
  }

  // 'applied', 'ignored' (old or duplicate), 'resync' (gap or stale model: a snapshot will follow) or
  // 'unsequenced' (a board without snapshot, v1: the event is passed on as it is).
  event(message) {
    if (typeof message.seq !== 'number' || this.seq === null || this.model === null)
      return 'unsequenced';
    if (message.seq <= this.seq)
      return 'ignored';
    if (message.seq !== this.seq + 1 || this.resyncPending)
      return this.resync();
    const next = applyBoardEvent(this.model, message.event, message.data);
    if (next === undefined)
      return this.resync();
    this.model = next;
    this.seq = message.seq;
    return 'applied';
  }

  resync() {
    if (!this.resyncPending) {
      this.resyncPending = true;
      this.requestResync(this.topic);
    }
    return 'resync';
  }
}

function defaultSocketUrl() {
  // client.js lives at <prefix>/-/forgewire/client.js; the endpoint is <prefix>/-/ws.
  const url = new URL('../ws', import.meta.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

class Client {
  constructor(options) {
    this.url = options.url || defaultSocketUrl();
    this.token = options.token || '';
    this.sessionTag = options.sessionTag || null;
    this.state = 'connecting';
    this.listeners = new Map();
    this.topics = new Set();
    this.boards = new Map();
    this.closed = false;

    const workerUrl = options.workerUrl || new URL('./sharedworker.js', import.meta.url).href;
    if (typeof SharedWorker !== 'undefined') {
      this.worker = new SharedWorker(workerUrl, {name: kWorkerName});
      this.port = this.worker.port;
    } else {
      // No SharedWorker (Chrome on Android): the same script as this tab's own dedicated worker.
      this.worker = new Worker(workerUrl, {name: kWorkerName});
      this.port = this.worker;
    }
    this.port.onmessage = (event) => this.onWorkerMessage(event.data);
    if (this.port.start)
      this.port.start();

    // Say goodbye when the page goes (the worker's liveness check covers pages that die silently),
    // and register again when it comes back from the back/forward cache.
    this.onPageHide = () => this.post({op: 'close'});
    this.onPageShow = (event) => {
      if (event.persisted)
        this.register();
    };
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', this.onPageHide);
      window.addEventListener('pageshow', this.onPageShow);
    }
    this.register();
  }

  post(message) {
    if (!this.closed)
      this.port.postMessage(message);
  }

  register() {
    this.post({op: 'connect', url: this.url, token: this.token});
    for (const topic of this.topics)
      this.post({op: 'subscribe', topic});
  }

  on(type, fn) {
    if (!this.listeners.has(type))
      this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    const set = this.listeners.get(type);
    if (set)
      set.delete(fn);
  }

  emit(type, payload) {
    for (const key of [type, '*']) {
      const set = this.listeners.get(key);
      if (!set)
        continue;
      for (const fn of Array.from(set)) {
        try {
          fn(payload);
        } catch (e) {
          // One listener's bug must not starve the others.
          setTimeout(() => { throw e; });
        }
      }
    }
  }

  subscribe(topic) {
    if (this.topics.has(topic))
      return;
    this.topics.add(topic);
    this.boards.set(topic, new BoardTracker(topic, (t) => this.post({op: 'resync', topic: t})));
    this.post({op: 'subscribe', topic});
  }

  unsubscribe(topic) {
    if (!this.topics.delete(topic))
      return;
    this.boards.delete(topic);
    this.post({op: 'unsubscribe', topic});
  }

  // The current model of a subscribed board, or null (no snapshot yet, or a board without one).
  board(topic) {
    const tracker = this.boards.get(topic);
    return tracker ? tracker.model : null;
  }

  // Asks the server for a fresh board-snapshot of a subscribed board.
  resync(topic) {
    if (this.topics.has(topic))
      this.post({op: 'resync', topic});
  }

  // Any client message of PROTOCOL.md, e.g. {type: 'list-boards'}.
  send(message) {
    this.post({op: 'send', message});
  }

  close() {
    if (this.closed)
      return;
    this.post({op: 'close'});
    this.closed = true;
    if (typeof window !== 'undefined') {
      window.removeEventListener('pagehide', this.onPageHide);
      window.removeEventListener('pageshow', this.onPageShow);
    }
    if (this.port.close)
      this.port.close();
    else if (this.worker.terminate)
      this.worker.terminate();
    this.listeners.clear();
  }

  onWorkerMessage(data) {
    if (!data || this.closed)
      return;
    switch (data.kind) {
    case 'ping':
      this.post({op: 'pong'});
      return;
    case 'rejoin':
      this.register();
      return;
    case 'state':
      this.state = data.state;
      this.emit('state', data);
      return;
    case 'message':
      this.onServerMessage(data.message);
      return;
    }
  }

  onServerMessage(message) {
    const tracker = message.topic ? this.boards.get(message.topic) : undefined;
    switch (message.type) {
    case 'board-snapshot':
      if (!tracker)
        return;
      tracker.snapshot(message);
      this.emit('board-snapshot', message);
      this.emit('board', {type: 'board', topic: message.topic, event: 'snapshot', seq: tracker.seq,
                          board: tracker.model, own: false});
      return;
    case 'board': {
      if (!tracker)
        return;
      const own = !!this.sessionTag && message.session_tag === this.sessionTag;
      const verdict = tracker.event(message);
      if (verdict === 'applied' || (verdict === 'unsequenced' && !own))
        this.emit('board', Object.assign({}, message, {board: tracker.model, own}));
      return;
    }
    case 'unsubscribed':
      // The server's own unsubscribe (project.deleted, access revoked) ends the subscription here too.
      if (this.topics.delete(message.topic))
        this.post({op: 'unsubscribe', topic: message.topic});
      this.boards.delete(message.topic);
      this.emit('unsubscribed', message);
      return;
    default:
      this.emit(message.type, message);
    }
  }
}

// Connects this page to the server through the origin's shared worker. `url`: the WebSocket endpoint
// (default: this server's), `token`: a JWT or static token (empty: anonymous, public.* only),
// `sessionTag`: the page's own tag, whose unsequenced board events are dropped (it made them).
export function connect(options = {}) {
  return new Client(options);
}
