// Drives Debian's Chromium (headless, through playwright-core) against the real forgewire-server:
// the demo page, client.js and the SharedWorker as a forge's pages would use them.
//
//   FORGEWIRE_SERVER_BIN=build/test/server/forgewire-server node tests/browser/browserclient.mjs [scenario...]
//
// Each scenario gets its own server (free ports, its own state file) and browser context, and prints
// one line `RESULT <scenario> PASS|FAIL|SKIP <why>`; tests/server/http/tst_browserclient.cpp runs this
// once and turns each line into a test function. Exit code 0 when nothing failed.
// Env: FORGEWIRE_SERVER_BIN (required), CHROMIUM (default /usr/bin/chromium), ARTIFACTS (screenshots).

import {spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {chromium} from 'playwright-core';

const kServerBin = process.env.FORGEWIRE_SERVER_BIN;
const kChromium = process.env.CHROMIUM || '/usr/bin/chromium';
const kArtifacts = process.env.ARTIFACTS || path.join(os.tmpdir(), 'forgewire-browser-artifacts');
const kPublisher = 'browser-test-publisher';
const kToken = 'browser-alice'; // a static token of the test INI: user 7 (alice), session s1
const kWaitMs = 20000;

class Skip extends Error {}

function log(...args) {
  console.log('#', ...args);
}

// Distinct free ports: every probe listens until all are known, because a closed probe's port can be
// handed out again at once.
async function freePorts(count) {
  const probes = [];
  try {
    for (let i = 0; i < count; ++i) {
      const probe = net.createServer();
      await new Promise((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', resolve);
      });
      probes.push(probe);
    }
    return probes.map((probe) => probe.address().port);
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  }
}

async function waitFor(what, predicate, timeoutMs = kWaitMs) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeoutMs) {
    last = await predicate();
    if (last)
      return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function request(method, url, {body, headers = {}} = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {method, headers}, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => resolve({status: res.statusCode, body: data, headers: res.headers}));
    });
    req.on('error', reject);
    if (body !== undefined)
      req.end(typeof body === 'string' ? body : JSON.stringify(body));
    else
      req.end();
  });
}

// A raw upgrade request: the status line the server answers with, nothing else.
function upgradeStatus(port, origin) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
                   'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
                   'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
                   (origin ? `Origin: ${origin}\r\n` : '') + '\r\n');
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(Number(data.split(' ')[1]));
      }
    });
    socket.on('error', reject);
  });
}

// One forgewire-server process; restart() keeps its ports and state file.
class Server {
  static async create(name) {
    const server = new Server();
    server.dir = fs.mkdtempSync(path.join(os.tmpdir(), `fw-browser-${name}-`));
    [server.port, server.adminPort] = await freePorts(2);
    server.base = `http://127.0.0.1:${server.port}`;
    server.admin = `http://127.0.0.1:${server.adminPort}`;
    server.ini = path.join(server.dir, 'forgewire.ini');
    server.writeIni();
    await server.start();
    return server;
  }

  // `origins`: more allowed origins; `forge`: lines of a [forge] section.
  writeIni({origins = [], forge = []} = {}) {
    fs.writeFileSync(this.ini, [
      '[server]', 'listen=127.0.0.1', `port=${this.port}`, 'admin_listen=127.0.0.1',
      `admin_port=${this.adminPort}`, `state=${path.join(this.dir, 'state.sqlite')}`, 'demo_page=true',
      `allowed_origins=${[this.base, ...origins].join(' ')}`, 'log_level=warning', '[auth]',
      'jwt_secret=browser-test-jwt', `publisher_secret=${kPublisher}`, '[static_tokens]', `${kToken}=7:alice:s1`,
      ...(forge.length ? ['[forge]', ...forge] : []), '',
    ].join('\n'));
  }

  async reconfigure(options) {
    await this.stop();
    this.writeIni(options);
    await this.start();
  }

  async start() {
    this.output = '';
    this.process = spawn(kServerBin, ['--config', this.ini], {stdio: ['ignore', 'pipe', 'pipe']});
    this.process.stdout.on('data', (d) => { this.output += d; });
    this.process.stderr.on('data', (d) => { this.output += d; });
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
    await waitFor('the server to be ready', async () => {
      try {
        return (await request('GET', `${this.admin}/readyz`)).status === 200;
      } catch (e) {
        return false;
      }
    });
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null)
      return;
    this.process.kill('SIGTERM');
    await this.exited;
  }

  async restart(downMs) {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  publish(method, apiPath, body) {
    return request(method, `${this.admin}/api/v1${apiPath}`,
                   {body, headers: {Authorization: `Bearer ${kPublisher}`}});
  }

  async metric(name) {
    const text = (await request('GET', `${this.admin}/metrics`)).body;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = text.match(new RegExp(`^${escaped} (\\d+)$`, 'm'));
    if (!match)
      throw new Error(`metric ${name} missing`);
    return Number(match[1]);
  }

  demoUrl(params, base = this.base) {
    return `${base}/-/forgewire/demo#` + new URLSearchParams(params).toString();
  }

  async close() {
    await this.stop();
    fs.rmSync(this.dir, {recursive: true, force: true});
  }
}

async function openDemo(context, url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(url);
  return page;
}

async function stateOf(page) {
  return page.getAttribute('#state', 'data-state', {timeout: 1000}).catch(() => null);
}

async function waitState(page, state) {
  await waitFor(`connection state ${state}`, async () => (await stateOf(page)) === state);
}

async function waitText(page, selector, text) {
  await waitFor(`${selector} to read ${text}`, async () => {
    const current = await page.textContent(selector, {timeout: 1000}).catch(() => null);
    return current !== null && current.includes(text);
  });
}

// The forge's origin for a released Gitea/Forgejo page (tests/browser/forge-page): serves the page
// and its SharedWorker, and proxies /user/events to forgewire unbuffered, as the forge's reverse
// proxy would (README, "Use it from a forge's pages").
async function startForgeOrigin(server, forge = null) {
  const files = {
    '/page.html': ['text/html', fs.readFileSync(new URL('./forge-page/page.html', import.meta.url))],
    '/sharedworker.js': ['text/javascript', fs.readFileSync(new URL('./forge-page/sharedworker.js', import.meta.url))],
    '/newest.html': ['text/html', fs.readFileSync(new URL('./forge-page/newest.html', import.meta.url))],
    '/newest-worker.js': ['text/javascript', fs.readFileSync(new URL('./forge-page/newest-worker.js', import.meta.url))],
  };
  const origin = http.createServer((req, res) => {
    if (forge && forge.handle(req, res))
      return;
    if (req.url.startsWith('/user/events')) {
      const upstream = http.request({host: '127.0.0.1', port: server.port, path: req.url, method: req.method,
                                     headers: req.headers}, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        res.flushHeaders(); // as an unbuffered proxy does: the page sees the stream open at once
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    const file = files[req.url.split('?')[0]];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'Content-Type': file[0], 'Cache-Control': 'no-store'}).end(file[1]);
  });
  // /-/ws upgrades pass through as bytes, with the X-Forwarded-For a reverse proxy adds.
  const tunnels = new Set();
  origin.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    if (!req.url.startsWith('/-/ws')) {
      socket.destroy();
      return;
    }
    const upstream = net.connect(server.port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      lines.push(`X-Forwarded-For: ${socket.remoteAddress}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  return {base: `http://127.0.0.1:${origin.address().port}`, close: () => new Promise((r) => {
    for (const socket of tunnels)
      socket.destroy();
    origin.closeAllConnections();
    origin.close(r);
  })};
}

// A stand-in Gitea >= 1.17 for cookie sign-in, on the page's own origin: /user/login?session=S
// sets the session cookie, the web routes /notifications/new and /user/stopwatches answer for a
// known session and send anyone else to the sign-in page (303); signOut() ends a session.
class CookieForge {
  constructor() {
    this.sessions = new Map();
  }

  sessionOf(req) {
    const pair = (req.headers.cookie || '').split(';').map((c) => c.trim())
                   .find((c) => c.startsWith('i_like_gitea='));
    return pair ? this.sessions.get(pair.slice('i_like_gitea='.length)) : undefined;
  }

  handle(req, res) {
    const url = new URL(req.url, 'http://forge');
    if (url.pathname === '/user/login') {
      const id = url.searchParams.get('session');
      if (id) {
        this.sessions.set(id, this.sessions.get(id) || {unread: 0, stopwatches: []});
        res.setHeader('Set-Cookie', `i_like_gitea=${id}; Path=/; HttpOnly; SameSite=Lax`);
      }
      res.writeHead(200, {'Content-Type': 'text/html'}).end('<p>signed in</p>');
      return true;
    }
    if (url.pathname !== '/notifications/new' && url.pathname !== '/user/stopwatches')
      return false;
    const session = this.sessionOf(req);
    if (!session) {
      res.writeHead(303, {Location: '/user/login'}).end();
      return true;
    }
    const body = url.pathname === '/notifications/new' ? {new: session.unread} : session.stopwatches;
    res.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify(body));
    return true;
  }
}

const kSnapshot = {
  title: 'Roadmap', description: '', is_closed: false, owner: 'alice', repo: 'proj',
  columns: [
    {column_id: 1, title: 'To do', color: '#3a87ad', sorting: 0, default: true,
     cards: [{issue_id: 11, issue_index: 3, repo: 'alice/proj', title: 'Fix X', sorting: 0, is_closed: false},
             {issue_id: 12, issue_index: 4, repo: 'alice/proj', title: 'Add Y', sorting: 1, is_closed: false}]},
    {column_id: 2, title: 'Done', color: '#2da44e', sorting: 1, default: false, cards: []},
  ],
};

async function cardColumn(page, issueId) {
  return page.evaluate((id) => {
    const card = document.querySelector(`.card[data-issue-id="${id}"]`);
    return card ? Number(card.closest('.column').dataset.columnId) : null;
  }, issueId);
}

const scenarios = {
  // Two tabs share one WebSocket; counts and stopwatches reach both; closing one keeps the other
  // working; closing both closes the socket.
  async sharedConnection(browser, server) {
    const context = await browser.newContext({viewport: {width: 900, height: 640}});
    const first = await openDemo(context, server.demoUrl({token: kToken}));
    await waitState(first, 'open');
    assertEq((await server.publish('PUT', '/users/7/notification-count', {count: 3})).status, 202, 'publish');
    await waitText(first, '#count', '3');

    // A tab that joins late gets the retained count from the worker at once, and no new socket.
    const second = await openDemo(context, server.demoUrl({token: kToken}));
    await waitState(second, 'open');
    await waitText(second, '#count', '3');
    assertEq(await server.metric('forgewire_connections'), 1, 'open connections with two tabs');
    assertEq(await server.metric('forgewire_connections_total'), 1, 'connections ever accepted');

    await server.publish('PUT', '/users/7/notification-count', {count: 4});
    await waitText(first, '#count', '4');
    await waitText(second, '#count', '4');

    await server.publish('PUT', '/users/7/stopwatches', [{created: '2026-01-05T10:00:00Z', seconds: 125,
      issue_index: 7, issue_title: 'Fix X', repo_owner_name: 'alice', repo_name: 'proj'}]);
    await waitText(second, '#stopwatches', 'alice/proj#7 Fix X');
    const before = await second.textContent('#stopwatches');
    await waitFor('the stopwatch to tick', async () => (await second.textContent('#stopwatches')) !== before,
                  5000);
    fs.mkdirSync(kArtifacts, {recursive: true});
    await second.screenshot({path: path.join(kArtifacts, 'demo.png')});

    await first.close();
    await new Promise((r) => setTimeout(r, 300));
    assertEq(await server.metric('forgewire_connections'), 1, 'open connections after closing one tab');
    await server.publish('PUT', '/users/7/notification-count', {count: 5});
    await waitText(second, '#count', '5');

    const closedAt = Date.now();
    await second.close();
    await waitFor('the last tab to close the socket',
                  async () => (await server.metric('forgewire_connections')) === 0);
    log(`socket closed ${Date.now() - closedAt} ms after the last tab`);
    await context.close();
  },

  // A live board: the snapshot renders, a card.moved moves the card, a late tab gets the current model.
  async boardEvent(browser, server) {
    await server.publish('PUT', '/projects/42/access', {public: false, users: [7]});
    const put = await server.publish('PUT', '/projects/42/board', kSnapshot);
    if (put.status >= 400)
      throw new Skip(`this server has no board model (PUT /api/v1/projects/42/board answered ${put.status}): ` +
                     'the live board of PROTOCOL.md v1.1 is not merged into this build');
    const context = await browser.newContext({viewport: {width: 900, height: 640}});
    const page = await openDemo(context, server.demoUrl({token: kToken, board: '42'}));
    await waitFor('card 11 in column 1', async () => (await cardColumn(page, 11)) === 1);
    const moved = await server.publish('POST', '/projects/42/events', {event: 'card.moved', data: {issue_id: 11,
      issue_index: 3, repo: 'alice/proj', from_column_id: 1, to_column_id: 2, sorting: 0}});
    assertEq(moved.status, 202, 'card.moved publish');
    await waitFor('card 11 in column 2', async () => (await cardColumn(page, 11)) === 2);
    fs.mkdirSync(kArtifacts, {recursive: true});
    await page.screenshot({path: path.join(kArtifacts, 'demo-board.png')});

    const late = await openDemo(context, server.demoUrl({token: kToken, board: '42'}));
    await waitFor('the late tab to show card 11 in column 2', async () => (await cardColumn(late, 11)) === 2);
    assertEq(await cardColumn(late, 12), 1, 'card 12 in the late tab');
    await context.close();
  },

  // The server goes away twice: the tab reconnects with 50, 100, 200 ms ... and the delay starts
  // over at 50 ms after a hello.
  async serverRestart(browser, server) {
    const context = await browser.newContext();
    const page = await openDemo(context, server.demoUrl({token: kToken}));
    await waitState(page, 'open');
    await server.publish('PUT', '/users/7/notification-count', {count: 7});
    await waitText(page, '#count', '7');

    for (let round = 0; round < 2; ++round) {
      const seen = (await page.evaluate(() => window.forgewireDemo.states.length));
      await server.restart(1500);
      await waitFor('the tab to be open again', async () => {
        const states = await page.evaluate(() => window.forgewireDemo.states);
        return states.length > seen && states[states.length - 1].state === 'open';
      });
      const states = (await page.evaluate(() => window.forgewireDemo.states)).slice(seen);
      const delays = states.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs);
      log(`round ${round}: reconnect delays ${delays.join(', ')} ms`);
      if (delays.length < 3)
        throw new Error(`expected several attempts in 1.5 s of outage, got ${delays.join(', ')}`);
      for (let i = 0; i < delays.length; ++i)
        assertEq(delays[i], Math.min(50 * 2 ** i, 10000), `delay ${i} of round ${round}`);
      await server.publish('PUT', '/users/7/notification-count', {count: 8 + round});
      await waitText(page, '#count', String(8 + round));
    }
    await context.close();
  },

  // Subscriptions are counted across tabs, and a tab that dies without pagehide (its renderer
  // crashed) is noticed by the worker's liveness check, which releases what it held.
  async tabsCountedAndDeadTabReleased(browser, server) {
    const context = await browser.newContext();
    const publicSubscriptions = () => server.metric('forgewire_subscriptions{kind="public"}');
    // Plain pages of the server's origin, each importing client.js as a forge page would; the
    // worker's liveness ping every 200 ms instead of 5 s keeps this quick.
    const tabs = [];
    for (let i = 0; i < 2; ++i) {
      const page = await context.newPage();
      page.on('pageerror', (e) => log('page error:', e.message));
      await page.goto(`${server.base}/-/forgewire/client.js`);
      await page.evaluate(async (token) => {
        const {connect} = await import('/-/forgewire/client.js');
        const fw = window.fw = connect({token, workerUrl: '/-/forgewire/sharedworker.js?liveness_ms=200'});
        window.got = [];
        fw.on('*', (m) => { if (m.type) window.got.push(m); });
        fw.subscribe('public.news');
      }, kToken);
      tabs.push(page);
    }
    const received = (page, type) => page.evaluate((t) => window.got.filter((m) => m.type === t).length, type);
    await waitFor('both tabs subscribed', async () =>
      (await received(tabs[0], 'subscribed')) >= 1 && (await received(tabs[1], 'subscribed')) >= 1);
    assertEq(await server.metric('forgewire_connections'), 1, 'connections');
    assertEq(await publicSubscriptions(), 1, 'public subscriptions with two tabs on one topic');

    // One tab leaves the topic: the other still holds it and still gets its messages.
    await tabs[0].evaluate(() => window.fw.unsubscribe('public.news'));
    await new Promise((r) => setTimeout(r, 300));
    assertEq(await publicSubscriptions(), 1, 'public subscriptions after one tab unsubscribed');
    const news = {type: 'board', topic: 'public.news', event: 'project.updated',
                  data: {title: 'News', description: '', is_closed: false}};
    assertEq((await server.publish('POST', '/publish', {topic: 'public.news', message: news})).status, 202,
             'publish to public.news');
    await waitFor('the subscribed tab to get the news', async () => (await received(tabs[1], 'board')) === 1);
    assertEq(await received(tabs[0], 'board'), 0, 'news in the tab that left the topic');

    // The subscribed tab's renderer dies: no pagehide, only the liveness check can tell.
    const cdp = await context.newCDPSession(tabs[1]);
    cdp.send('Page.crash').catch(() => {});
    const crashedAt = Date.now();
    await waitFor('the dead tab\'s subscription to be released', async () => (await publicSubscriptions()) === 0,
                  10000);
    log(`dead tab released ${Date.now() - crashedAt} ms after the crash`);
    assertEq(await server.metric('forgewire_connections'), 1, 'connections while one tab lives');
    await server.publish('PUT', '/users/7/notification-count', {count: 6});
    await waitFor('the live tab to get the count', async () =>
      (await tabs[0].evaluate(() => window.got.some((m) => m.type === 'notification-count' && m.count === 6))));
    await context.close();
  },

  // A logout of the tabs' session: `logout` `here` reaches every tab, then the 4001 stops them all.
  async logoutReachesEveryTab(browser, server) {
    const context = await browser.newContext();
    const tabs = [await openDemo(context, server.demoUrl({token: kToken}))];
    await waitState(tabs[0], 'open');
    tabs.push(await openDemo(context, server.demoUrl({token: kToken})));
    await waitState(tabs[1], 'open');
    assertEq((await server.publish('POST', '/users/7/logout', {session_id: 's1'})).status, 202, 'logout');
    for (const tab of tabs) {
      await waitState(tab, 'unauthorized');
      const logouts = await tab.evaluate(() =>
        window.forgewireDemo.messages.filter((m) => m.type === 'logout').map((m) => m.data));
      assertEq(logouts.join(), 'here', 'logout messages of a tab');
    }
    await new Promise((r) => setTimeout(r, 1500));
    assertEq(await server.metric('forgewire_connections_total'), 1, 'connections ever accepted');
    assertEq(await server.metric('forgewire_connections'), 0, 'open connections');
    await context.close();
  },

  // A token the server refuses: one 4001, no further attempt.
  async badTokenStops(browser, server) {
    const context = await browser.newContext();
    const page = await openDemo(context, server.demoUrl({token: 'not-a-valid-token'}));
    await waitState(page, 'unauthorized');
    await new Promise((r) => setTimeout(r, 2500));
    const states = await page.evaluate(() => window.forgewireDemo.states);
    const closes = states.filter((s) => s.code !== undefined);
    assertEq(closes.length, 1, `closes seen (${JSON.stringify(states)})`);
    assertEq(closes[0].code, 4001, 'close code');
    assertEq(states[states.length - 1].state, 'unauthorized', 'final state');
    assertEq(await server.metric('forgewire_connections_total'), 1, 'upgrades accepted');
    await context.close();
  },

  // A released Gitea/Forgejo page, unchanged in how it keeps its push connection: its SharedWorker
  // opens one EventSource on /user/events (a token in the query) for two tabs; the count, the
  // stopwatches and a logout reach both tabs; the signed-out stream is refused with 401 on the
  // browser's reconnect, so the EventSource stops for good instead of retrying.
  async releasedForgePageEventStream(browser, server) {
    const forge = await startForgeOrigin(server);
    try {
      const context = await browser.newContext({viewport: {width: 700, height: 300}});
      const tabs = [];
      for (let i = 0; i < 2; ++i) {
        const tab = await context.newPage();
        tab.on('pageerror', (e) => log('page error:', e.message));
        await tab.goto(`${forge.base}/page.html#token=${kToken}`);
        await waitText(tab, '#status', i === 0 ? 'open' : 'registered');
        tabs.push(tab);
      }
      assertEq(await server.metric('forgewire_event_streams'), 1, 'streams open for two tabs');
      assertEq(await server.metric('forgewire_connections_total'), 1, 'connections ever accepted');

      assertEq((await server.publish('PUT', '/users/7/notification-count', {count: 3})).status, 202, 'publish');
      for (const tab of tabs)
        await waitText(tab, '#count', '3');
      await server.publish('PUT', '/users/7/stopwatches', [{created: '2026-01-05T10:00:00Z', seconds: 125,
        issue_index: 7, issue_title: 'Fix X', repo_owner_name: 'alice', repo_name: 'proj'}]);
      for (const tab of tabs)
        await waitText(tab, '#stopwatches', 'alice/proj#7 Fix X');
      fs.mkdirSync(kArtifacts, {recursive: true});
      await tabs[1].screenshot({path: path.join(kArtifacts, 'forge-page-sse.png')});

      // The tabs' session (s1, the static token's) signs out: `here` in both, then the stream ends and
      // the browser's reconnect gets 401.
      assertEq((await server.publish('POST', '/users/7/logout', {session_id: 's1'})).status, 202, 'logout');
      for (const tab of tabs)
        await waitText(tab, '#logout', 'here');
      await waitText(tabs[0], '#status', 'closed');
      assertEq(await server.metric('forgewire_event_streams'), 0, 'streams open after the logout');
      const refused = await server.metric('forgewire_auth_failures_total');
      await new Promise((r) => setTimeout(r, 1500));
      assertEq(await server.metric('forgewire_auth_failures_total'), refused, 'reconnects after the 401');
      await context.close();
    } finally {
      await forge.close();
    }
  },

  // A released forge page with no token anywhere: the forge (a stand-in Gitea >= 1.17 on the page's
  // origin, which also proxies /user/events) set its session cookie, the browser sends it with the
  // EventSource request, and forgewire signs the stream in by it: count, stopwatches and a sign-out
  // done on the forge reach both tabs, and the signed-out browser's reconnect is refused (401).
  async forgeSessionCookiePage(browser, server) {
    const cookieForge = new CookieForge();
    const forge = await startForgeOrigin(server, cookieForge);
    try {
      await server.reconfigure({origins: [forge.base], forge: [`url=${forge.base}`, 'cookie_auth=true',
                                                               'poll_min_ms=200', 'poll_step_ms=0',
                                                               'poll_max_ms=200']});
      const context = await browser.newContext({viewport: {width: 700, height: 300}});
      const login = await context.newPage();
      await login.goto(`${forge.base}/user/login?session=s-browser`);
      const tabs = [login];
      await login.goto(`${forge.base}/page.html`);
      await waitText(login, '#status', 'open');
      const second = await context.newPage();
      await second.goto(`${forge.base}/page.html`);
      await waitText(second, '#status', 'registered');
      tabs.push(second);
      // Changed on the forge once both tabs listen (this worker, like the released one, replays
      // nothing to a tab that joins late).
      cookieForge.sessions.get('s-browser').unread = 3;
      for (const tab of tabs)
        await waitText(tab, '#count', '3');
      assertEq(await server.metric('forgewire_event_streams'), 1, 'streams open for two tabs');

      cookieForge.sessions.get('s-browser').unread = 4;
      cookieForge.sessions.get('s-browser').stopwatches = [{created: '2026-01-05T10:00:00Z', seconds: 60,
        issue_index: 9, issue_title: 'Cookie', repo_owner_name: 'alice', repo_name: 'proj'}];
      for (const tab of tabs) {
        await waitText(tab, '#count', '4');
        await waitText(tab, '#stopwatches', 'alice/proj#9 Cookie');
      }
      fs.mkdirSync(kArtifacts, {recursive: true});
      await second.screenshot({path: path.join(kArtifacts, 'forge-page-cookie.png')});

      cookieForge.sessions.delete('s-browser'); // signed out on the forge
      for (const tab of tabs)
        await waitText(tab, '#logout', 'here');
      await waitText(tabs[0], '#status', 'closed');
      assertEq(await server.metric('forgewire_event_streams'), 0, 'streams open after the sign-out');
      await context.close();
    } finally {
      await forge.close();
    }
  },

  // The newest Gitea pages: their SharedWorker keeps one WebSocket on the forge's own /-/ws (proxied
  // to forgewire, which signs it in by the forge's session cookie) for every tab, reads
  // {eventType, eventData} messages and reconnects after any close but 3000. With
  // `page_format = eventType` the count, the stopwatches and a sign-out on the forge reach both tabs,
  // nothing else is sent, the worker comes back after a server restart, and a signed-out or unknown
  // session stops it for good (no reconnect).
  async newestForgePageWebSocket(browser, server) {
    const cookieForge = new CookieForge();
    const forge = await startForgeOrigin(server, cookieForge);
    try {
      await server.reconfigure({origins: [forge.base], forge: [`url=${forge.base}`, 'cookie_auth=true',
                                                               'page_format=eventType', 'poll_min_ms=200',
                                                               'poll_step_ms=0', 'poll_max_ms=200']});
      const context = await browser.newContext({viewport: {width: 700, height: 300}});
      const first = await context.newPage();
      first.on('pageerror', (e) => log('page error:', e.message));
      await first.goto(`${forge.base}/user/login?session=s-newest`);
      await first.goto(`${forge.base}/newest.html`);
      await waitText(first, '#status', 'open');
      const second = await context.newPage();
      await second.goto(`${forge.base}/newest.html`);
      await waitText(second, '#status', 'registered');
      const tabs = [first, second];
      assertEq(await server.metric('forgewire_connections'), 1, 'WebSockets open for two tabs');

      cookieForge.sessions.get('s-newest').unread = 3;
      for (const tab of tabs)
        await waitText(tab, '#count', '3');
      cookieForge.sessions.get('s-newest').stopwatches = [{created: '2026-01-05T10:00:00Z', seconds: 60,
        issue_index: 9, issue_title: 'Newest', repo_owner_name: 'alice', repo_name: 'proj'}];
      for (const tab of tabs)
        await waitText(tab, '#stopwatches', 'alice/proj#9 Newest');
      fs.mkdirSync(kArtifacts, {recursive: true});
      await second.screenshot({path: path.join(kArtifacts, 'forge-page-newest.png')});

      // A restart closes with 1001: the worker comes back by itself and the session's state with it.
      await server.restart(300);
      await waitFor('the worker to reconnect', async () =>
        (await first.evaluate(() => window.received.filter((m) => m.type === 'status').map((m) => m.data)))
          .some((s) => s.startsWith('reconnecting')));
      await waitText(first, '#status', 'open');
      cookieForge.sessions.get('s-newest').unread = 5;
      for (const tab of tabs)
        await waitText(tab, '#count', '5');

      cookieForge.sessions.delete('s-newest'); // signed out on the forge
      for (const tab of tabs) {
        await waitText(tab, '#logout', 'yes');
        await waitText(tab, '#status', 'stopped');
      }
      const accepted = await server.metric('forgewire_connections_total');
      await new Promise((r) => setTimeout(r, 1500));
      assertEq(await server.metric('forgewire_connections_total'), accepted, 'reconnects after 3000');
      for (const tab of tabs) {
        const unexpected = await tab.evaluate(() => window.received.filter((m) => m.type === 'unexpected'));
        assertEq(unexpected.length, 0, `messages without eventType (${JSON.stringify(unexpected)})`);
      }
      await context.close();

      // A browser not signed in (Gitea gives every visitor a session cookie; the forge does not know
      // it as signed in): upgraded, closed with 3000, and the worker stops at once.
      const stranger = await browser.newContext();
      await stranger.addCookies([{name: 'i_like_gitea', value: 'visitor', url: forge.base}]);
      const page = await stranger.newPage();
      const before = await server.metric('forgewire_connections_total');
      await page.goto(`${forge.base}/newest.html`);
      await waitText(page, '#status', 'stopped');
      await new Promise((r) => setTimeout(r, 1000));
      assertEq(await server.metric('forgewire_connections_total'), before + 1, 'attempts of an unknown session');
      await stranger.close();

      // A browser without any cookie of the forge: the same, not an anonymous connection the page
      // could not read.
      const bare = await browser.newContext();
      const barePage = await bare.newPage();
      await barePage.goto(`${forge.base}/newest.html`);
      await waitText(barePage, '#status', 'stopped');
      await bare.close();
    } finally {
      await forge.close();
    }
  },

  // A page of an origin not in allowed_origins: every upgrade gets 403, no connection is made.
  async foreignOriginRefused(browser, server) {
    assertEq(await upgradeStatus(server.port, 'http://evil.example'), 403, 'upgrade from a foreign origin');
    assertEq(await upgradeStatus(server.port, server.base), 101, 'upgrade from the allowed origin');
    assertEq(await upgradeStatus(server.port, null), 101, 'upgrade without Origin (native client)');
    const accepted = await server.metric('forgewire_connections_total');
    const context = await browser.newContext();
    const foreign = server.base.replace('127.0.0.1', 'localhost');
    const page = await openDemo(context, server.demoUrl({token: kToken}, foreign));
    await waitFor('two refused attempts', async () => {
      const states = await page.evaluate(() => window.forgewireDemo.states);
      return states.filter((s) => s.state === 'reconnecting').length >= 2;
    });
    const now = await stateOf(page);
    if (now !== 'reconnecting' && now !== 'connecting')
      throw new Error(`the foreign page is ${now}, not retrying`);
    const states = await page.evaluate(() => window.forgewireDemo.states);
    if (states.some((s) => s.state === 'open'))
      throw new Error('the foreign page got a connection');
    assertEq(await server.metric('forgewire_connections_total'), accepted, 'upgrades accepted');
    await context.close();
  },
};

function assertEq(actual, expected, what) {
  if (actual !== expected)
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function main() {
  if (!kServerBin) {
    console.error('FORGEWIRE_SERVER_BIN is not set');
    process.exit(2);
  }
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(scenarios);
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({executablePath: kChromium, headless: true, args});
  log(`chromium ${browser.version()}`);
  let failed = 0;
  for (const name of names) {
    const started = Date.now();
    let server;
    try {
      if (!scenarios[name])
        throw new Error('no such scenario');
      server = await Server.create(name);
      await scenarios[name](browser, server);
      console.log(`RESULT ${name} PASS ${Date.now() - started} ms`);
    } catch (e) {
      if (e instanceof Skip) {
        console.log(`RESULT ${name} SKIP ${e.message}`);
      } else {
        ++failed;
        console.log(`RESULT ${name} FAIL ${String(e && e.stack || e).replace(/\n/g, ' | ')}`);
        if (server && server.output)
          log(`server output: ${server.output.replace(/\n/g, '\n# ')}`);
      }
    } finally {
      if (server)
        await server.close();
    }
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
}

await main();
