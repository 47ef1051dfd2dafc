// A SharedWorker that keeps its push connection the way released Gitea and Forgejo pages do (their
// eventsource.sharedworker): one EventSource per URL for every tab of the origin, tabs say `start`
// (with the URL), `listen` (an event name) and `close`, and every event a tab listens to is posted
// to each tab as {type: <event name>, data: <the event's data as text>}. Written for the test after
// that message protocol, so forgewire's /user/events is checked against what those pages expect.

class Stream {
  constructor(url) {
    this.url = url;
    this.ports = [];
    this.listening = new Set();
    this.source = new EventSource(url);
    this.source.addEventListener('error', () => {
      // CLOSED: the server refused the stream (a status other than 200); EventSource gives up.
      if (this.source.readyState === EventSource.CLOSED)
        this.post({type: 'error', data: 'closed'});
    });
    this.source.addEventListener('open', () => this.post({type: 'status', data: 'open'}));
  }

  add(port) {
    if (!this.ports.includes(port))
      this.ports.push(port);
  }

  remove(port) {
    this.ports = this.ports.filter((p) => p !== port);
    return this.ports.length;
  }

  listen(name) {
    if (this.listening.has(name))
      return;
    this.listening.add(name);
    this.source.addEventListener(name, (event) => this.post({type: name, data: event.data}));
  }

  post(message) {
    for (const port of this.ports)
      port.postMessage(message);
  }
}

const streams = new Map();
const streamOfPort = new Map();

self.addEventListener('connect', (connectEvent) => {
  for (const port of connectEvent.ports) {
    port.addEventListener('message', (event) => {
      const message = event.data;
      if (message.type === 'start') {
        let stream = streams.get(message.url);
        if (!stream) {
          stream = new Stream(message.url);
          streams.set(message.url, stream);
        }
        stream.add(port);
        streamOfPort.set(port, stream);
        port.postMessage({type: 'status', data: `registered to ${message.url}`});
      } else if (message.type === 'listen') {
        streamOfPort.get(port)?.listen(message.eventType);
      } else if (message.type === 'close') {
        const stream = streamOfPort.get(port);
        streamOfPort.delete(port);
        if (stream && stream.remove(port) === 0) {
          stream.source.close();
          streams.delete(stream.url);
        }
      }
    });
    port.start();
  }
});
