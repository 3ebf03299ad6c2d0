// A stdio MCP server on the official TypeScript SDK whose tools are whatever a JSON file says,
// so the gateway's tests can change a server's tools while it runs, as a server that turns
// on its users would. It reads the file again every 100 ms and, when it changed, tells the
// client with notifications/tools/list_changed.
//
//   node tools_server.js SDK_DIR TOOLS_FILE
//
// TOOLS_FILE: [{"name": "get_issue", "description": "...", "readOnly": true}, ...]. A call
// answers "NAME called".

const fs = require("fs");

const [sdk, file] = process.argv.slice(2);
const { Server } = require(sdk + "/dist/cjs/server/index.js");
const { StdioServerTransport } = require(sdk + "/dist/cjs/server/stdio.js");
const { ListToolsRequestSchema, CallToolRequestSchema } = require(sdk + "/dist/cjs/types.js");

const read = () => fs.readFileSync(file, "utf8");
let text = read();
const tools = () =>
  JSON.parse(text).map((t) => ({
    name: t.name,
    description: t.description,
    inputSchema: { type: "object", properties: {} },
    annotations: { readOnlyHint: Boolean(t.readOnly) },
  }));

const server = new Server({ name: "tools-from-a-file", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools() }));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  if (!tools().some((t) => t.name === request.params.name)) {
    return { isError: true, content: [{ type: "text", text: "no tool " + request.params.name }] };
  }
  return { content: [{ type: "text", text: request.params.name + " called" }] };
});

setInterval(() => {
  let now;
  try {
    now = read();
  } catch {
    return;
  }
  if (now !== text) {
    text = now;
    server.sendToolListChanged().catch(() => {});
  }
}, 100);

server.connect(new StdioServerTransport());
