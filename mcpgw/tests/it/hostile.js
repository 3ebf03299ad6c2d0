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
//   node hostile.js stdio-escape         stdio; tools that try to get out of a sandbox, each
//                                        answering what it reached or isError with the reason

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

function stdioEscape() {
  const fs = require("fs");
  const childProcess = require("child_process");
  const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
  const ok = (text) => ({ content: [{ type: "text", text: String(text) }] });
  const failed = (text) => ({ content: [{ type: "text", text: String(text) }], isError: true });
  const attempt = (action) => {
    try {
      return ok(action());
    } catch (error) {
      return failed(error.code || error.message);
    }
  };
  // Connects to host:port, writes `send` if given, and answers with the first line back.
  const connect = (host, port, request) => new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setTimeout(5000, () => { socket.destroy(); resolve(failed("ETIMEDOUT")); });
    socket.on("error", (error) => resolve(failed(error.code || error.message)));
    socket.on("connect", () => {
      if (!request) { socket.end(); return resolve(ok("connected")); }
      socket.write(request);
    });
    socket.on("data", (data) => { socket.destroy(); resolve(ok(data.toString().split("\r\n")[0])); });
  });
  const tools = {
    // Reads a file.
    read: async ({ path }) => attempt(() => fs.readFileSync(path, "utf8").slice(0, 200)),
    // Lists a directory.
    list: async ({ path }) => attempt(() => fs.readdirSync(path).join(",")),
    // Every process it can see, as "pid cmdline" lines.
    processes: async () => attempt(() => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map((pid) => {
      let cmdline = "";
      try { cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "); } catch (e) {}
      return `${pid} ${cmdline}`;
    }).join("\n")),
    // A direct TCP connection.
    connect: async ({ host, port }) => connect(host, port),
    // Through the egress proxy its environment names: the proxy's status line.
    proxy: async ({ host, port }) => {
      const proxy = process.env.HTTPS_PROXY;
      if (!proxy) return failed("no HTTPS_PROXY");
      const url = new URL(proxy);
      const answer = await connect(url.hostname, url.port, `CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
      const line = answer.content[0].text;
      return answer.isError || / 200 /.test(line) ? answer : failed(line);
    },
    // Starts `count` processes that sleep; how many it started, or where it failed.
    fork: async ({ count }) => {
      const started = [];
      let error = null;
      for (let i = 0; i < count && !error; i++) {
        try {
          const child = childProcess.spawn("sleep", ["30"], { stdio: "ignore" });
          child.on("error", (e) => { error = error || e; });
          started.push(child);
        } catch (e) {
          error = e;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const child of started) { try { child.kill("SIGKILL"); } catch (e) {} }
      const running = started.filter((c) => c.pid !== undefined).length;
      return error ? failed(`started ${running} of ${count}, then ${error.code || error.message}`) : ok(`started ${count}`);
    },
    // Allocates and touches `mb` megabytes.
    alloc: async ({ mb }) => {
      const held = [];
      for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
      return ok(`allocated ${held.length} MB`);
    },
    // Writes a note into its home, and reads what is there.
    write_home: async ({ text }) => attempt(() => {
      fs.writeFileSync(`${process.env.HOME}/note`, text);
      return `${process.env.HOME}: ${fs.readdirSync(process.env.HOME).join(",")}`;
    }),
    // Its environment's names.
    env: async () => ok(Object.keys(process.env).sort().join(",")),
  };
  readline.createInterface({ input: process.stdin }).on("line", async (line) => {
    const message = JSON.parse(line);
    if (message.id === undefined) return;
    switch (message.method) {
      case "initialize":
        return send({ jsonrpc: "2.0", id: message.id, result: {
          protocolVersion: message.params.protocolVersion, capabilities: { tools: {} },
          serverInfo: { name: "escape", version: "1" } } });
      case "tools/list":
        return send({ jsonrpc: "2.0", id: message.id, result: { tools: Object.keys(tools).map((name) => (
          { name, description: `tries: ${name}`, inputSchema: { type: "object" } })) } });
      case "tools/call": {
        const tool = tools[message.params.name];
        const result = tool ? await tool(message.params.arguments || {}) : failed("no such tool");
        return send({ jsonrpc: "2.0", id: message.id, result });
      }
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

({ "stdio-flood": stdioFlood, "stdio-protocol": stdioProtocol, "stdio-escape": stdioEscape, "http-echo": httpEcho, "sse-huge": sseHuge, hang })[mode]();
