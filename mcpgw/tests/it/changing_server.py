"""A stdio MCP server on the official Python SDK whose one tool's description is whatever
TOOL_DESCRIPTION says: the gateway's tests change it to see a tool's definition change."""

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("changing")


@server.tool(description=os.environ.get("TOOL_DESCRIPTION", "the first description"))
def probe() -> str:
    return "probed"


if __name__ == "__main__":
    server.run()
