"""A small generative model for kdeck's OpenAI probe tests, served by KServe's own model
server (PyPI kserve 0.14.1: its OpenAI data plane does not need vllm) under
/openai/v1/completions, /openai/v1/chat/completions and /openai/v1/models, or under /v1/…
like vLLM with --route_prefix "".

The model streams tokens with known delays: the first token --ttft_ms after the request
arrived, every further one --itl_ms after the one before, so a client's time to first token,
inter-token latency and decode rate can be checked against them. The delays count from the
moment the request reached the server (a middleware stamps it), so the server's own request
handling does not add to them. It answers max_tokens tokens (default 16), then a
last chunk with finish_reason "length", then data: [DONE].

Flags:
  --http_port, --grpc_port   ports to listen on (loopback is the tests' business)
  --model_name               the model's name (default: llm)
  --ttft_ms, --itl_ms        the delays (default 80 and 20)
  --route_prefix             the OpenAI route prefix (default /openai, KServe's; "" for /v1)
  --stream_usage             end each chat stream with a usage chunk (no choices), as vLLM
                             does for stream_options.include_usage (kserve 0.14.1 drops
                             that field from the request, so it is a flag here)
  --parent_pid PID           exit when that process is gone (so a test run never leaks us)
"""

import argparse
import asyncio
import json
import os
import threading
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http_port", type=int, default=8080)
    parser.add_argument("--grpc_port", type=int, default=8081)
    parser.add_argument("--model_name", default="llm")
    parser.add_argument("--ttft_ms", type=float, default=80)
    parser.add_argument("--itl_ms", type=float, default=20)
    parser.add_argument("--route_prefix", default="/openai")
    parser.add_argument("--stream_usage", action="store_true")
    parser.add_argument("--parent_pid", type=int, default=0)
    args, _ = parser.parse_known_args()
    return args


ARGS = parse_args()
# KServe reads the prefix when its OpenAI endpoints module is imported.
os.environ["KSERVE_OPENAI_ROUTE_PREFIX"] = ARGS.route_prefix

import kserve.model_server  # noqa: E402
from kserve import ModelServer  # noqa: E402
from kserve.protocol.rest.openai import OpenAIModel  # noqa: E402
from kserve.protocol.rest.openai.types import (  # noqa: E402
    ChatCompletion,
    ChatCompletionChunk,
    Completion,
)

DEFAULT_TOKENS = 16


def token(i):
    return f" tok{i}"


def wanted_tokens(params):
    return params.max_tokens if params.max_tokens else DEFAULT_TOKENS


def usage(n):
    return {"prompt_tokens": 4, "completion_tokens": n, "total_tokens": 4 + n}


ARRIVED = "x-kdeck-arrived"


class ArrivalStamp:
    """ASGI middleware: stamps each request with the time it reached the server."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            stamp = repr(time.perf_counter()).encode()
            scope["headers"] = list(scope["headers"]) + [(ARRIVED.encode(), stamp)]
        await self.app(scope, receive, send)


def arrival(request):
    headers = (request.context or {}).get("headers") or {}
    try:
        return float(headers[ARRIVED])
    except (KeyError, ValueError):
        return time.perf_counter()


async def tokens_in_time(start, n, ttft_s, itl_s):
    """Yields 0..n at the known delays after start (each against the clock, not after the
    last yield, so the client's own pace does not shift them)."""
    for i in range(n):
        due = start + ttft_s + i * itl_s
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        yield i


async def sleep_until(due):
    await asyncio.sleep(max(0.0, due - time.perf_counter()))


class UsageChunk:
    """vLLM's last chunk for stream_options.include_usage: no choices, the usage. kserve
    0.14.1's chunk type has no usage field, and its endpoint only calls model_dump_json."""

    def __init__(self, created, model, n):
        self.body = {
            "id": "chatcmpl-kdeck",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage(n),
        }

    def model_dump_json(self):
        return json.dumps(self.body)


class StreamingModel(OpenAIModel):
    def __init__(self, name, ttft_ms, itl_ms):
        super().__init__(name)
        self.ttft_s = ttft_ms / 1000.0
        self.itl_s = itl_ms / 1000.0
        self.ready = True

    async def create_completion(self, request):
        params = request.params
        start = arrival(request)
        n = wanted_tokens(params)
        created = int(time.time())
        if not params.stream:
            await sleep_until(arrival(request) + self.ttft_s + (n - 1) * self.itl_s)
            return Completion(
                id="cmpl-kdeck",
                object="text_completion",
                created=created,
                model=self.name,
                choices=[
                    {
                        "index": 0,
                        "text": "".join(token(i) for i in range(n)),
                        "finish_reason": "length",
                        "logprobs": None,
                    }
                ],
                usage=usage(n),
            )

        async def stream():
            async for i in tokens_in_time(start, n, self.ttft_s, self.itl_s):
                last = i == n - 1
                yield Completion(
                    id="cmpl-kdeck",
                    object="text_completion",
                    created=created,
                    model=self.name,
                    choices=[
                        {
                            "index": 0,
                            "text": token(i),
                            "finish_reason": "length" if last else None,
                            "logprobs": None,
                        }
                    ],
                    usage=None,
                )

        return stream()

    async def create_chat_completion(self, request):
        params = request.params
        start = arrival(request)
        n = wanted_tokens(params)
        created = int(time.time())
        if not params.stream:
            await sleep_until(arrival(request) + self.ttft_s + (n - 1) * self.itl_s)
            return ChatCompletion(
                id="chatcmpl-kdeck",
                object="chat.completion",
                created=created,
                model=self.name,
                choices=[
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "".join(token(i) for i in range(n)),
                        },
                        "finish_reason": "length",
                        "logprobs": None,
                    }
                ],
                usage=usage(n),
            )

        def chunk(delta, finish_reason=None):
            return ChatCompletionChunk(
                id="chatcmpl-kdeck",
                object="chat.completion.chunk",
                created=created,
                model=self.name,
                choices=[
                    {
                        "index": 0,
                        "delta": delta,
                        "finish_reason": finish_reason,
                        "logprobs": None,
                    }
                ],
            )

        async def stream():
            # Like vLLM: the role first, with no text, then one chunk per token.
            yield chunk({"role": "assistant", "content": ""})
            async for i in tokens_in_time(start, n, self.ttft_s, self.itl_s):
                yield chunk({"content": token(i)})
            yield chunk({}, "length")
            if ARGS.stream_usage:
                yield UsageChunk(created, self.name, n)

        return stream()


def watch_parent(pid):
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        if os.getppid() != pid:
            os._exit(0)
        time.sleep(0.5)


def main():
    if ARGS.parent_pid:
        threading.Thread(target=watch_parent, args=(ARGS.parent_pid,), daemon=True).start()
    # kserve's uvicorn serves this module-level app; the stamp goes on before it starts.
    kserve.model_server.app.add_middleware(ArrivalStamp)
    ModelServer(
        http_port=ARGS.http_port,
        grpc_port=ARGS.grpc_port,
        workers=1,
        enable_grpc=False,
        enable_latency_logging=False,
    ).start([StreamingModel(ARGS.model_name, ARGS.ttft_ms, ARGS.itl_ms)])


if __name__ == "__main__":
    main()
