// Upstream servers that misbehave on purpose, for the gateway's tests. Plain node, no SDK:
// each speaks just enough MCP to be reached, then does what a hostile or broken server would.
//
//   node hostile.js stdio-flood          stdio; its tool `flood` answers at once, then floods
//                                        the client with 10 KB log notifications for 20 s
//   node hostile.js http-echo PORT       Streamable HTTP that answers every request 400 with
//                                        the request's URL and headers in the body
//   node hostile.js sse-huge PORT        HTTP+SSE that answers initialize with one event of
//                                        64 MiB and no newline
//   node hostile.js hang PORT            accepts TCP connections and never answers
//   node hostile.js stdio-protocol       stdio; its tool `protocol` says which revision the
//                                        gateway initialized it at

const http = require("http");
const net = require("net");
const readline = require("readline");

const [mode, port] = process.argv.slice(2);

function stdioFlood() {
  const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
  const payload = "x".repeat(10 * 1024);
  let flooding = false;
  const flood = () => {
    if (flooding) return;
    flooding = true;
    const until = Date.now() + 20000;
    const more = () => {
      while (Date.now() < until) {
        const line = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: payload } }) + "\n";
        if (!process.stdout.write(line)) {
          process.stdout.once("drain", more);
          return;
        }
      }
    };
    more();
  };
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const message = JSON.parse(line);
    if (message.id === undefined) return;
    switch (message.method) {
      case "initialize":
        return send({ jsonrpc: "2.0", id: message.id, result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {}, logging: {} },
          serverInfo: { name: "flood", version: "1" } } });
      case "tools/list":
        return send({ jsonrpc: "2.0", id: message.id, result: { tools: [
          { name: "flood", description: "floods the client with log notifications", inputSchema: { type: "object" } }] } });
      case "tools/call":
        send({ jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text: "flooding" }] } });
        return setImmediate(flood);
      default:
        return send({ jsonrpc: "2.0", id: message.id, result: {} });
    }
  });
}

function stdioProtocol() {
  const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
  let revision = null;
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const message = JSON.parse(line);
    if (message.id === undefined) return;
    switch (message.method) {
      case "initialize":
        revision = message.params.protocolVersion;
        return send({ jsonrpc: "2.0", id: message.id, result: {
          protocolVersion: revision, capabilities: { tools: {} }, serverInfo: { name: "protocol", version: "1" } } });
      case "tools/list":
        return send({ jsonrpc: "2.0", id: message.id, result: { tools: [
          { name: "protocol", description: "the revision of this session", inputSchema: { type: "object" } }] } });
      case "tools/call":
        return send({ jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text: revision }] } });
      default:
        return send({ jsonrpc: "2.0", id: message.id, result: {} });
    }
  });
}

function httpEcho() {
  http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(400, { "content-type": "text/plain" });
      response.end(JSON.stringify({ url: request.url, headers: request.headers }));
    });
  }).listen(Number(port), "127.0.0.1");
}

function sseHuge() {
  let stream = null;
  http.createServer((request, response) => {
    if (request.method === "GET") {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("event: endpoint\ndata: /messages\n\n");
      stream = response;
      return;
    }
    request.resume();
    request.on("end", () => {
      response.writeHead(202);
      response.end();
      if (!stream) return;
      const target = stream;
      stream = null;
      target.write("event: message\ndata: ");
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 1024) {
          sent++;
          if (!target.write(chunk)) {
            target.once("drain", more);
            return;
          }
        }
        target.end();
      };
      target.on("error", () => {});
      more();
    });
  }).listen(Number(port), "127.0.0.1");
}

function hang() {
  const held = [];
  net.createServer((socket) => {
    socket.on("error", () => {});
    held.push(socket);
  }).listen(Number(port), "127.0.0.1");
}

({ "stdio-flood": stdioFlood, "stdio-protocol": stdioProtocol, "http-echo": httpEcho, "sse-huge": sseHuge, hang })[mode]();
