//! The OpenAI-compatible API a simulated vLLM pod serves on port 8000 (`GET /v1/models`,
//! `POST /v1/chat/completions` and `/v1/completions`, streamed as server-sent events or
//! whole), in vLLM's shapes: `choices[].delta.content` chunks, `usage`, `data: [DONE]`.
//! The first token comes after the pod's median time to first token, the next ones one
//! median inter-token latency apart, so a client measures what the scenario set.

use super::llm::TokenProfile;
use serde_json::{Value, json};
use std::time::Duration;

const JSON: &str = "application/json";
const SSE: &str = "text/event-stream; charset=utf-8";
const WORDS: [&str; 12] = [
    " The",
    " model",
    " is",
    " served",
    " by",
    " vLLM",
    " on",
    " a",
    " simulated",
    " cluster",
    ",",
    " and",
];

/// What the pod answers: one body after a delay, or events each after its own delay.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Whole {
        delay: Duration,
        status: u16,
        content_type: &'static str,
        body: String,
    },
    Stream {
        content_type: &'static str,
        /// Each event's delay after the previous one, and its text (`data: …\n\n`).
        events: Vec<(Duration, String)>,
    },
}

fn error(status: u16, kind: &str, message: String) -> Reply {
    Reply::Whole {
        delay: Duration::ZERO,
        status,
        content_type: JSON,
        body: json!({"object": "error", "message": message, "type": kind, "param": null, "code": status})
            .to_string(),
    }
}

fn ok(delay: Duration, v: Value) -> Reply {
    Reply::Whole {
        delay,
        status: 200,
        content_type: JSON,
        body: v.to_string(),
    }
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64((v / 1000.0).max(0.0))
}

/// The pod's answer to `method path`, or None when the path is not the OpenAI API.
pub fn reply(
    model: &str,
    adapters: &[String],
    profile: &TokenProfile,
    method: &str,
    path: &str,
    body: &[u8],
) -> Option<Reply> {
    let path = path.trim_start_matches('/');
    let chat = match (method, path) {
        ("GET", "v1/models") => return Some(models(model, adapters)),
        ("POST", "v1/chat/completions") => true,
        ("POST", "v1/completions") => false,
        _ => return None,
    };
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Some(error(
                400,
                "BadRequestError",
                format!("the request body is not valid JSON: {e}"),
            ));
        }
    };
    let asked = request["model"].as_str().unwrap_or(model);
    if asked != model && !adapters.iter().any(|a| a == asked) {
        return Some(error(
            404,
            "NotFoundError",
            format!("The model `{asked}` does not exist."),
        ));
    }
    let completion = Completion::new(&request, chat, asked, profile);
    Some(if request["stream"].as_bool().unwrap_or(false) {
        let usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
        completion.streamed(usage)
    } else {
        completion.whole()
    })
}

/// `GET /v1/models`: the base model and its LoRA adapters.
fn models(model: &str, adapters: &[String]) -> Reply {
    let mut data = vec![
        json!({"id": model, "object": "model", "owned_by": "vllm", "root": model, "parent": null}),
    ];
    data.extend(adapters.iter().map(
        |a| json!({"id": a, "object": "model", "owned_by": "vllm", "root": a, "parent": model}),
    ));
    ok(Duration::ZERO, json!({"object": "list", "data": data}))
}

/// A completion as the pod makes it: the tokens, their timing and the response's fields.
struct Completion<'a> {
    chat: bool,
    model: &'a str,
    id: String,
    created: i64,
    tokens: Vec<&'static str>,
    usage: Value,
    ttft: Duration,
    itl: Duration,
}

impl<'a> Completion<'a> {
    fn new(request: &Value, chat: bool, model: &'a str, profile: &TokenProfile) -> Self {
        let max_tokens = request["max_tokens"]
            .as_u64()
            .or_else(|| request["max_completion_tokens"].as_u64())
            .unwrap_or(16)
            .clamp(1, 4096) as usize;
        let prompt_text = if chat {
            request["messages"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|x| x["content"].as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
        } else {
            request["prompt"].as_str().unwrap_or("").to_string()
        };
        let prompt_tokens = prompt_text.split_whitespace().count().max(1);
        let created = chrono::Utc::now().timestamp();
        Completion {
            chat,
            model,
            id: format!(
                "{}-{:016x}",
                if chat { "chatcmpl" } else { "cmpl" },
                super::super::controller::events::fxhash(&format!("{created}{prompt_text}"))
            ),
            created,
            tokens: (0..max_tokens).map(|i| WORDS[i % WORDS.len()]).collect(),
            usage: json!({"prompt_tokens": prompt_tokens, "completion_tokens": max_tokens, "total_tokens": prompt_tokens + max_tokens}),
            ttft: ms(profile.ttft.median_ms),
            itl: ms(profile.itl.median_ms),
        }
    }

    /// The whole completion in one answer, after the time all its tokens take.
    fn whole(&self) -> Reply {
        let object = if self.chat {
            "chat.completion"
        } else {
            "text_completion"
        };
        let text: String = self.tokens.concat();
        let choice = if self.chat {
            json!({"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": []}, "logprobs": null, "finish_reason": "length", "stop_reason": null})
        } else {
            json!({"index": 0, "text": text, "logprobs": null, "finish_reason": "length", "stop_reason": null})
        };
        let delay = self.ttft + self.itl * (self.tokens.len().saturating_sub(1)) as u32;
        ok(
            delay,
            json!({"id": self.id, "object": object, "created": self.created, "model": self.model, "choices": [choice], "usage": self.usage}),
        )
    }

    /// Server-sent events: the first token after TTFT, each next one after the inter-token
    /// latency, the usage when asked, then `[DONE]`.
    fn streamed(&self, include_usage: bool) -> Reply {
        let chat = self.chat;
        let chunk_object = if chat {
            "chat.completion.chunk"
        } else {
            "text_completion"
        };
        let event = |choice: Value| {
            format!(
                "data: {}\n\n",
                json!({"id": self.id, "object": chunk_object, "created": self.created, "model": self.model, "choices": [choice]})
            )
        };
        let mut events = Vec::with_capacity(self.tokens.len() + 3);
        if chat {
            events.push((
                self.ttft,
                event(
                    json!({"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}),
                ),
            ));
        }
        for (i, t) in self.tokens.iter().enumerate() {
            let delay = match (i, chat) {
                (0, true) => Duration::ZERO,
                (0, false) => self.ttft,
                _ => self.itl,
            };
            let last = i + 1 == self.tokens.len();
            let finish = if last { json!("length") } else { Value::Null };
            let choice = if chat {
                json!({"index": 0, "delta": {"content": t}, "logprobs": null, "finish_reason": finish})
            } else {
                json!({"index": 0, "text": t, "logprobs": null, "finish_reason": finish, "stop_reason": null})
            };
            events.push((delay, event(choice)));
        }
        if include_usage {
            events.push((
                Duration::ZERO,
                format!(
                    "data: {}\n\n",
                    json!({"id": self.id, "object": chunk_object, "created": self.created, "model": self.model, "choices": [], "usage": self.usage})
                ),
            ));
        }
        events.push((Duration::ZERO, "data: [DONE]\n\n".to_string()));
        Reply::Stream {
            content_type: SSE,
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_chat_waits_ttft_then_itl_and_ends_with_done() {
        let p = TokenProfile::SLOW;
        let body = br#"{"model":"m","messages":[{"role":"user","content":"hi there"}],"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}"#;
        let Some(Reply::Stream { events, .. }) =
            reply("m", &[], &p, "POST", "/v1/chat/completions", body)
        else {
            panic!("not a stream");
        };
        assert_eq!(events[0].0, ms(p.ttft.median_ms));
        assert!(events[0].1.contains("\"role\":\"assistant\""));
        assert_eq!(events[2].0, ms(p.itl.median_ms));
        assert!(events[1].1.contains("\"delta\":{\"content\":\" The\"}"));
        assert!(
            events
                .iter()
                .any(|(_, e)| e.contains("\"completion_tokens\":4"))
        );
        assert_eq!(
            events.last().map(|e| e.1.as_str()),
            Some("data: [DONE]\n\n")
        );
    }

    #[test]
    fn models_list_adapters_and_unknown_models_are_404() {
        let p = TokenProfile::HEALTHY;
        let adapters = vec!["sql-lora".to_string()];
        let Some(Reply::Whole { body, .. }) = reply("base", &adapters, &p, "GET", "v1/models", b"")
        else {
            panic!("no list");
        };
        assert!(body.contains("\"id\":\"sql-lora\"") && body.contains("\"parent\":\"base\""));
        let Some(Reply::Whole { status, body, .. }) = reply(
            "base",
            &adapters,
            &p,
            "POST",
            "v1/completions",
            br#"{"model":"gpt-x","prompt":"a"}"#,
        ) else {
            panic!("no answer");
        };
        assert_eq!(status, 404);
        assert!(body.contains("gpt-x"));
        let Some(Reply::Whole { status, body, .. }) = reply(
            "base",
            &adapters,
            &p,
            "POST",
            "v1/completions",
            br#"{"model":"sql-lora","prompt":"a b","max_tokens":3}"#,
        ) else {
            panic!("no answer");
        };
        assert_eq!(status, 200);
        assert!(body.contains("\"completion_tokens\":3") && body.contains("text_completion"));
    }
}
