"""A small KServe model server for kdeck's tests: a custom ``kserve.Model`` whose predict
sleeps a configurable time and fails every Nth request, served by ``kserve.ModelServer`` on
the given HTTP and gRPC ports (V1 and V2 REST, Open Inference Protocol gRPC, /metrics).

Flags (or environment variables of the same name in upper case, prefixed KDECK_MS_):
  --http_port, --grpc_port   ports to listen on (loopback is the tests' business)
  --model_name               the model's name (default: probe-model)
  --latency_ms               how long each predict sleeps (default 0)
  --error_every              every Nth predict raises, giving HTTP 500 / gRPC error (0: never)
  --error_rate               or: this share of predicts raise, spread evenly (0.25 = every 4th)
  --model NAME:LATENCY_MS:ERROR_EVERY
                             serve this model too (repeatable; each keeps its own counter)
  --explainer NAME:LATENCY_MS
                             serve a model with an explainer too: V1 :explain sleeps that
                             long and answers {"explanations": [...]}, one per instance
  --transformer PRE_MS:POST_MS
                             serve --model_name as a transformer instead: preprocess sleeps
                             PRE_MS, postprocess POST_MS, and predict is KServe's own call to
                             the predictor named by KServe's --predictor_host (with
                             --predictor_protocol v1 or v2)
  --parent_pid PID           exit when that process is gone (so a test run never leaks us)
"""

import argparse
import asyncio
import os
import threading
import time

import kserve
from kserve import InferRequest, InferResponse, Model, ModelServer


def env(name, default):
    return os.environ.get("KDECK_MS_" + name.upper(), default)


class ProbeModel(Model):
    def __init__(self, name, latency_ms, error_every, error_rate=0.0):
        super().__init__(name)
        self.latency_s = latency_ms / 1000.0
        self.error_every = error_every
        self.error_rate = error_rate
        self.calls = 0
        self.ready = True

    def load(self):
        self.ready = True
        return self.ready

    async def get_input_types(self):
        return [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}]

    async def get_output_types(self):
        return [{"name": "output-0", "datatype": "FP32", "shape": [-1]}]

    async def predict(self, payload, headers=None, response_headers=None):
        self.calls += 1
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        failing = self.error_every and self.calls % self.error_every == 0
        # A deterministic rate: fail whenever calls * rate passes a whole number.
        failing = failing or int(self.calls * self.error_rate) > int((self.calls - 1) * self.error_rate)
        if failing:
            raise RuntimeError(f"injected failure on call {self.calls}")
        if isinstance(payload, InferRequest):
            rows = payload.inputs[0].shape[0] if payload.inputs else 1
            return InferResponse(
                response_id=payload.id or "kdeck-test",
                model_name=self.name,
                infer_outputs=[
                    kserve.InferOutput(
                        name="output-0", shape=[rows], datatype="FP32", data=[1.0] * rows
                    )
                ],
            )
        if isinstance(payload, (bytes, bytearray)):
            import json

            payload = json.loads(payload)
        instances = payload.get("instances", [])
        return {"predictions": [1.0 for _ in instances]}


class ExplainerModel(ProbeModel):
    """A model whose V1 `:explain` is its own (as an explainer container's model is)."""

    def __init__(self, name, latency_ms):
        super().__init__(name, 0, 0)
        self.explain_s = latency_ms / 1000.0
        self.explained = 0

    async def explain(self, payload, headers=None):
        self.explained += 1
        if self.explain_s > 0:
            await asyncio.sleep(self.explain_s)
        if isinstance(payload, (bytes, bytearray)):
            import json

            payload = json.loads(payload)
        instances = payload.get("instances", []) if isinstance(payload, dict) else []
        return {
            "explanations": [
                {"feature_importance": [0.25] * len(row) if isinstance(row, list) else []}
                for row in instances
            ]
        }


class TransformerModel(Model):
    """A transformer: KServe's Model with sleeping pre- and post-processing; its predict is
    the base class's HTTP call to the predictor (timed by KServe as request_predict_seconds)."""

    def __init__(self, name, pre_ms, post_ms):
        super().__init__(name)
        self.pre_s = pre_ms / 1000.0
        self.post_s = post_ms / 1000.0
        self.ready = True

    def load(self):
        self.ready = True
        return self.ready

    async def preprocess(self, payload, headers=None):
        if self.pre_s > 0:
            await asyncio.sleep(self.pre_s)
        if isinstance(payload, (bytes, bytearray)):
            import json

            payload = json.loads(payload)
        return payload

    async def postprocess(self, result, headers=None, response_headers=None):
        if self.post_s > 0:
            await asyncio.sleep(self.post_s)
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http_port", type=int, default=int(env("http_port", 8080)))
    parser.add_argument("--grpc_port", type=int, default=int(env("grpc_port", 8081)))
    parser.add_argument("--model_name", default=env("model_name", "probe-model"))
    parser.add_argument("--latency_ms", type=float, default=float(env("latency_ms", 0)))
    parser.add_argument("--error_every", type=int, default=int(env("error_every", 0)))
    parser.add_argument("--error_rate", type=float, default=float(env("error_rate", 0)))
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--explainer", action="append", default=[])
    parser.add_argument("--transformer", default="")
    parser.add_argument("--parent_pid", type=int, default=0)
    args, _ = parser.parse_known_args()
    if args.transformer:
        pre_ms, post_ms = args.transformer.split(":")
        models = [TransformerModel(args.model_name, float(pre_ms), float(post_ms))]
    else:
        models = [ProbeModel(args.model_name, args.latency_ms, args.error_every, args.error_rate)]
    for spec in args.model:
        name, latency_ms, error_every = spec.split(":")
        models.append(ProbeModel(name, float(latency_ms), int(error_every)))
    for spec in args.explainer:
        name, latency_ms = spec.split(":")
        models.append(ExplainerModel(name, float(latency_ms)))
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    ModelServer(
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        workers=1,
        enable_latency_logging=False,
    ).start(models)


def watch_parent(pid):
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        if os.getppid() != pid:
            os._exit(0)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
