"""An MCP client on the official Python SDK, driven line by line by the gateway's tests.

Usage: driver.py URL TOKEN MODE   (MODE: legacy for the initialize handshake, or a protocol
version such as 2026-07-28 for the stateless era)
       driver.py stdio - MODE COMMAND ARG...   (a stdio server the client starts)

It connects, prints {"connected": {...}}, then reads one JSON command per line on stdin and
prints one JSON answer per line on stdout:
  {"op": "list_tools"} | {"op": "call", "name": N, "args": {...}} | {"op": "list_prompts"}
  {"op": "call_progress", "name": N, "args": {...}} (the result and the progress reported)
  {"op": "get_prompt", "name": N, "args": {...}} | {"op": "list_resources"}
  {"op": "read", "uri": U} | {"op": "notifications"} (those received so far, then cleared)
  {"op": "wait", "method": M, "timeout": S} (the first notification starting with M within S s)
  {"op": "listen"} (2026-07-28: subscriptions/listen to list changes; its events are
  notifications named "listen:...")
Errors are answered as {"error": "..."}; the process ends at end of input.
Sampling requests are answered with the text "sampled by the python client".
"""

import json
import sys
import time

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

notifications = []


async def on_message(message):
    if isinstance(message, Exception):
        notifications.append({"method": "error", "detail": str(message), "at": time.monotonic()})
        return
    root = getattr(message, "root", message)
    method = getattr(root, "method", None)
    if method:
        notifications.append({"method": method, "at": time.monotonic()})


async def on_sampling(context, params):
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="sampled by the python client"),
        model="test-model",
        stop_reason="endTurn",
    )


def dump(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def say(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def listen(client, ready):
    async with client.listen(tools_list_changed=True, prompts_list_changed=True, resources_list_changed=True) as sub:
        ready.set()
        async for event in sub:
            name = getattr(event, "method", None) or type(event).__name__
            notifications.append({"method": "listen:" + str(name), "at": time.monotonic()})


async def answer(client, command, tasks):
    op = command["op"]
    if op == "listen":
        ready = anyio.Event()
        tasks.start_soon(listen, client, ready)
        with anyio.fail_after(10):
            await ready.wait()
        return {"listening": True}
    if op == "list_tools":
        return {"tools": [dump(t) for t in (await client.list_tools()).tools]}
    if op == "call":
        return dump(await client.call_tool(command["name"], command.get("args") or {}))
    if op == "call_progress":
        seen = []

        async def progress(progress, total, message):
            seen.append(progress)

        result = dump(await client.call_tool(command["name"], command.get("args") or {}, progress_callback=progress))
        return {"result": result, "progress": seen}
    if op == "list_prompts":
        return {"prompts": [dump(p) for p in (await client.list_prompts()).prompts]}
    if op == "get_prompt":
        return dump(await client.get_prompt(command["name"], command.get("args") or {}))
    if op == "list_resources":
        return {"resources": [dump(r) for r in (await client.list_resources()).resources]}
    if op == "read":
        return dump(await client.read_resource(command["uri"]))
    if op == "notifications":
        seen = list(notifications)
        notifications.clear()
        return {"notifications": seen}
    if op == "wait":
        started = time.monotonic()
        deadline = started + command.get("timeout", 5)
        while time.monotonic() < deadline:
            for n in notifications:
                if n["method"].startswith(command["method"]):
                    notifications.remove(n)
                    return {"received": n["method"], "after": n["at"] - started}
            await anyio.sleep(0.02)
        return {"error": "no " + command["method"] + " within " + str(command.get("timeout", 5)) + "s"}
    return {"error": "unknown op " + op}


async def main():
    url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if url == "stdio":
        transport = StdioServerParameters(command=sys.argv[4], args=sys.argv[5:])
    else:
        http = create_mcp_http_client(headers={"Authorization": "Bearer " + token})
        transport = streamable_http_client(url, http_client=http)
    async with Client(
        transport,
        mode=mode,
        message_handler=on_message,
        sampling_callback=on_sampling,
        read_timeout_seconds=30,
    ) as client:
        say({"connected": {"protocol": client.protocol_version, "server": dump(client.server_info),
                           "instructions": client.instructions}})
        async with anyio.create_task_group() as tasks:
            lines = anyio.wrap_file(sys.stdin)
            async for line in lines:
                line = line.strip()
                if not line:
                    continue
                try:
                    say(await answer(client, json.loads(line), tasks))
                except Exception as e:  # every failure is an answer the test reads
                    say({"error": type(e).__name__ + ": " + str(e)})
            tasks.cancel_scope.cancel()


if __name__ == "__main__":
    try:
        anyio.run(main)
    except BaseException as e:  # noqa: BLE001 - the test reads why
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        say({"fatal": type(e).__name__ + ": " + str(e)})
        sys.exit(1)
