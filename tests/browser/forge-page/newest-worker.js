// A SharedWorker that keeps its push connection the way the newest Gitea pages do (their
// user-events sharedworker): one WebSocket per URL for every tab of the origin, tabs say `start`
// (with the URL) and `close`; each server message {eventType, eventData} is posted to every tab as
// {type: eventType, data: eventData}; after a close the socket is opened again with a growing delay,
// except after close code 3000 (signed out or unknown session), where it stops for good. Written for
// the test after that behaviour, so forgewire's `page_format = eventType` is checked against it.
// Anything that is not such a message is posted as {type: 'unexpected'} so the test can see it.

class Socket {
  constructor(url) {
    this.url = url;
    this.ports = [];
    this.delayMs = 250;
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped)
      return;
    this.post({type: 'status', data: 'connecting'});
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.delayMs = 250;
      this.post({type: 'status', data: 'open'});
    });
    ws.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        message = null;
      }
      if (message && typeof message.eventType === 'string')
        this.post({type: message.eventType, data: message.eventData});
      else
        this.post({type: 'unexpected', data: event.data});
    });
    ws.addEventListener('close', (event) => {
      if (this.stopped)
        return;
      if (event.code === 3000) {
        this.stopped = true;
        this.post({type: 'status', data: 'stopped'});
        return;
      }
      this.post({type: 'status', data: `reconnecting after ${event.code}`});
      setTimeout(() => this.connect(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 4000);
    });
  }

  add(port) {
    if (!this.ports.includes(port))
      this.ports.push(port);
  }

  remove(port) {
    this.ports = this.ports.filter((p) => p !== port);
    return this.ports.length;
  }

  close() {
    this.stopped = true;
    this.ws.close();
  }

  post(message) {
    for (const port of this.ports)
      port.postMessage(message);
  }
}

const sockets = new Map();
const socketOfPort = new Map();

self.addEventListener('connect', (connectEvent) => {
  for (const port of connectEvent.ports) {
    port.addEventListener('message', (event) => {
      const message = event.data;
      if (message.type === 'start') {
        let socket = sockets.get(message.url);
        if (!socket) {
          socket = new Socket(message.url);
          sockets.set(message.url, socket);
        }
        socket.add(port);
        socketOfPort.set(port, socket);
        port.postMessage({type: 'status', data: socket.stopped ? 'stopped' : 'registered'});
      } else if (message.type === 'close') {
        const socket = socketOfPort.get(port);
        socketOfPort.delete(port);
        if (socket && socket.remove(port) === 0) {
          socket.close();
          sockets.delete(socket.url);
        }
      }
    });
    port.start();
  }
});
