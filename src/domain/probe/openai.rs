//! The OpenAI-compatible API as a probe speaks it (KServe's model server under /openai/v1,
//! vLLM under /v1): the request bodies of /chat/completions and /completions, the model list
//! of /models, and what one streamed event says (text, usage, the end, or a server error).
//! Pure: the I/O lives in `sources::probe::openai`.

use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::borrow::Cow;

/// Which endpoint a probe calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// `POST …/chat/completions` with one user message.
    #[default]
    Chat,
    /// `POST …/completions` with a prompt.
    Completion,
}

impl Api {
    /// The path under the route prefix.
    pub fn path(self) -> &'static str {
        match self {
            Api::Chat => "/chat/completions",
            Api::Completion => "/completions",
        }
    }
}

/// What an OpenAI probe asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiAsk {
    pub api: Api,
    pub prompt: String,
    pub max_tokens: u32,
    pub stream: bool,
}

/// The prompt when the user gives none.
pub const DEFAULT_PROMPT: &str = "Say hello in one short sentence.";
/// The tokens asked for when the user gives no --max-tokens.
pub const DEFAULT_MAX_TOKENS: u32 = 16;

impl Default for OpenAiAsk {
    fn default() -> OpenAiAsk {
        OpenAiAsk {
            api: Api::Chat,
            prompt: DEFAULT_PROMPT.into(),
            max_tokens: DEFAULT_MAX_TOKENS,
            stream: true,
        }
    }
}

/// The request body. A streamed request asks for the usage at the end (vLLM and OpenAI send
/// it then; servers that do not know the option ignore it).
pub fn request_body(model: &str, ask: &OpenAiAsk) -> Value {
    let mut body = match ask.api {
        Api::Chat => json!({
            "model": model,
            "messages": [{"role": "user", "content": ask.prompt}],
        }),
        Api::Completion => json!({"model": model, "prompt": ask.prompt}),
    };
    body["max_tokens"] = json!(ask.max_tokens);
    body["stream"] = json!(ask.stream);
    if ask.stream {
        // vLLM refuses stream_options on a request that does not stream.
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// The model ids of a `/models` answer (`{"object": "list", "data": [{"id": …}]}`), or `None`
/// when the answer is not an OpenAI model list (KServe's V1 `/v1/models` is `{"models": […]}`).
pub fn model_ids(answer: &Value) -> Option<Vec<String>> {
    let data = answer.get("data")?.as_array()?;
    Some(
        data.iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_string))
            .collect(),
    )
}

/// What one streamed event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// `data: [DONE]`: the stream ended as it should.
    Done,
    /// A chunk: whether it carried generated text (a token, for timing), and the usage's
    /// `completion_tokens` when it carried the usage.
    Chunk {
        text: bool,
        completion_tokens: Option<u64>,
    },
}

/// Why an event is not what the protocol promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventProblem {
    /// Not JSON, or JSON without `choices`.
    Malformed(String),
    /// The server reported an error inside the stream (vLLM sends `{"error": …}`).
    ServerError(String),
}

/// The parts of a streamed chunk a probe reads; the rest is skipped unparsed (a probe reads
/// thousands of events a second and must not cost more than the client it stands for).
#[derive(serde::Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    choices: Option<Vec<ChunkChoice<'a>>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(serde::Deserialize)]
struct ChunkChoice<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    delta: Option<Delta<'a>>,
}

#[derive(serde::Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default)]
    tool_calls: Option<Vec<IgnoredAny>>,
}

#[derive(serde::Deserialize)]
struct Usage {
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// Reads one event's data.
pub fn parse_event(api: Api, data: &str) -> Result<StreamItem, EventProblem> {
    if data.trim() == "[DONE]" {
        return Ok(StreamItem::Done);
    }
    let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
        EventProblem::Malformed(format!("an event is not an OpenAI completion chunk ({e})"))
    })?;
    if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| error.to_string());
        return Err(EventProblem::ServerError(message));
    }
    let Some(choices) = chunk.choices else {
        return Err(EventProblem::Malformed(
            "an event has no `choices` (not an OpenAI completion chunk)".into(),
        ));
    };
    let text = choices.iter().any(|c| carries_text(api, c));
    Ok(StreamItem::Chunk {
        text,
        completion_tokens: chunk.usage.and_then(|u| u.completion_tokens),
    })
}

/// Whether a choice of a chunk carries generated output: text, reasoning or a tool call.
fn carries_text(api: Api, choice: &ChunkChoice) -> bool {
    let non_empty = |s: &Option<Cow<str>>| s.as_ref().is_some_and(|s| !s.is_empty());
    match api {
        Api::Completion => non_empty(&choice.text),
        Api::Chat => choice.delta.as_ref().is_some_and(|d| {
            non_empty(&d.content)
                || non_empty(&d.reasoning_content)
                || d.tool_calls.as_ref().is_some_and(|t| !t.is_empty())
        }),
    }
}

/// `usage.completion_tokens` of a chunk or an answer.
pub fn completion_tokens(value: &Value) -> Option<u64> {
    value.get("usage")?.get("completion_tokens")?.as_u64()
}

/// A non-streamed answer that is not an OpenAI completion.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the answer has no `choices` (not an OpenAI completion)")]
pub struct NotACompletion;

/// Checks a non-streamed answer: `Ok(completion tokens, when the usage says)`.
pub fn parse_answer(answer: &Value) -> Result<Option<u64>, NotACompletion> {
    if answer.get("choices").and_then(Value::as_array).is_none() {
        return Err(NotACompletion);
    }
    Ok(completion_tokens(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_api() {
        let chat = request_body("m", &OpenAiAsk::default());
        assert_eq!(chat["messages"][0]["role"], "user");
        assert_eq!(chat["stream"], true);
        assert_eq!(chat["stream_options"]["include_usage"], true);
        assert_eq!(chat["max_tokens"], DEFAULT_MAX_TOKENS);
        let plain = request_body(
            "m",
            &OpenAiAsk {
                api: Api::Completion,
                prompt: "p".into(),
                max_tokens: 3,
                stream: false,
            },
        );
        assert_eq!(plain["prompt"], "p");
        assert_eq!(plain["stream"], false);
        assert!(plain.get("stream_options").is_none());
        assert!(plain.get("messages").is_none());
    }

    #[test]
    fn model_lists_are_told_from_kserve_v1() {
        let openai = json!({"object": "list", "data": [{"id": "llm"}, {"id": "b"}]});
        assert_eq!(model_ids(&openai), Some(vec!["llm".into(), "b".into()]));
        assert_eq!(model_ids(&json!({"models": ["llm"]})), None);
    }

    #[test]
    fn chunks_with_text_count_and_role_only_chunks_do_not() {
        let role = r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#;
        let token = r#"{"choices":[{"delta":{"content":" hi"},"finish_reason":null}]}"#;
        let end = r#"{"choices":[{"delta":{"content":null},"finish_reason":"length"}]}"#;
        let usage = r#"{"choices":[],"usage":{"completion_tokens":7}}"#;
        let chunk = |text, completion_tokens| {
            Ok(StreamItem::Chunk {
                text,
                completion_tokens,
            })
        };
        assert_eq!(parse_event(Api::Chat, role), chunk(false, None));
        assert_eq!(parse_event(Api::Chat, token), chunk(true, None));
        assert_eq!(parse_event(Api::Chat, end), chunk(false, None));
        assert_eq!(parse_event(Api::Chat, usage), chunk(false, Some(7)));
        assert_eq!(parse_event(Api::Chat, " [DONE]"), Ok(StreamItem::Done));
        let text = r#"{"choices":[{"text":" a","index":0}]}"#;
        assert_eq!(parse_event(Api::Completion, text), chunk(true, None));
        // Escaped text, reasoning and tool calls are output too; nulls are not.
        let escaped = r#"{"choices":[{"delta":{"content":"\n\u00e9"}}]}"#;
        assert_eq!(parse_event(Api::Chat, escaped), chunk(true, None));
        let reasoning = r#"{"choices":[{"delta":{"reasoning_content":"hm"}}]}"#;
        assert_eq!(parse_event(Api::Chat, reasoning), chunk(true, None));
        let tool = r#"{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}"#;
        assert_eq!(parse_event(Api::Chat, tool), chunk(true, None));
        let nulls = r#"{"choices":[{"delta":null,"text":null}],"usage":null,"error":null}"#;
        assert_eq!(parse_event(Api::Chat, nulls), chunk(false, None));
    }

    #[test]
    fn malformed_events_and_server_errors_are_told_apart() {
        assert!(matches!(
            parse_event(Api::Chat, "{not json"),
            Err(EventProblem::Malformed(_))
        ));
        assert!(matches!(
            parse_event(Api::Chat, r#"{"id":"x"}"#),
            Err(EventProblem::Malformed(_))
        ));
        assert!(matches!(
            parse_event(Api::Chat, r#"[1, 2]"#),
            Err(EventProblem::Malformed(_))
        ));
        assert!(matches!(
            parse_event(Api::Chat, r#"{"choices": [{"delta": {"content": 7}}]}"#),
            Err(EventProblem::Malformed(_))
        ));
        assert_eq!(
            parse_event(Api::Chat, r#"{"error":{"message":"out of memory"}}"#),
            Err(EventProblem::ServerError("out of memory".into()))
        );
    }

    #[test]
    fn answers_without_choices_are_refused() {
        assert_eq!(
            parse_answer(&json!({"choices": [], "usage": {"completion_tokens": 4}})),
            Ok(Some(4))
        );
        assert_eq!(
            parse_answer(&json!({"predictions": []})).map_err(|e| e.to_string()),
            Err("the answer has no `choices` (not an OpenAI completion)".to_string())
        );
    }
}
