//! One timed OpenAI request: sends the body, then, streamed, reads the server-sent events as
//! the bytes arrive and notes when each token came (or, not streamed, reads the whole JSON
//! answer). A stream that ends before `data: [DONE]` is cut; an event that is not an OpenAI
//! chunk is malformed; an error event is the server's; each is its own kind of failure.

use super::rest::{answer, classify, excerpt, http_failure, stale_connection};
use crate::domain::probe::openai::{Api, EventProblem, StreamItem, parse_answer, parse_event};
use crate::domain::probe::sse::SseDecoder;
use crate::domain::probe::timing::StreamTiming;
use crate::domain::probe::{ErrorKind, ProbeError};
use futures::StreamExt;
use serde_json::Value;
use std::time::Instant;

/// Sends one request and times it.
pub async fn one(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    api: Api,
    stream: bool,
) -> Result<StreamTiming, ProbeError> {
    let post = || {
        client
            .post(url)
            .header(reqwest::header::ACCEPT, accept(stream))
            .json(body)
            .send()
    };
    let mut sent_at = Instant::now();
    let mut sent = post().await;
    // uvicorn resets a kept-alive connection after some answers; like curl, retry once on a
    // fresh connection, timing the retry (as the REST probe does).
    if sent.as_ref().is_err_and(stale_connection) {
        sent_at = Instant::now();
        sent = post().await;
    }
    if !stream {
        let value = answer(url, sent).await?;
        let end = sent_at.elapsed();
        let usage_tokens = parse_answer(&value).map_err(|why| {
            ProbeError::new(
                ErrorKind::BadBody,
                format!("{url}: {why}: {}", excerpt(&value.to_string())),
            )
        })?;
        return Ok(StreamTiming {
            token_times: Vec::new(),
            end,
            usage_tokens,
        });
    }
    let response = sent.map_err(|e| classify(url, &e))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(http_failure(url, status, &text));
    }
    if let Some(kind) = content_type(&response)
        && !kind.starts_with("text/event-stream")
    {
        return Err(ProbeError::new(
            ErrorKind::BadEvent,
            format!(
                "{url} answered {kind}, not a stream of events (does the server stream? try --no-stream)"
            ),
        ));
    }
    let bytes = response.bytes_stream().map(|piece| {
        piece.map_err(|e| {
            if e.is_timeout() {
                Piece::Fatal(classify(url, &e))
            } else {
                Piece::Cut(super::rest::chain(&e))
            }
        })
    });
    read_events(url, bytes, api, sent_at).await
}

/// Why a piece of a streamed answer could not be read: a failure of its own kind (a
/// timeout), or the stream cut short (and why).
pub(super) enum Piece {
    Fatal(ProbeError),
    Cut(String),
}

fn accept(stream: bool) -> &'static str {
    if stream {
        "text/event-stream"
    } else {
        "application/json"
    }
}

fn content_type(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(reqwest::header::CONTENT_TYPE)?;
    Some(value.to_str().ok()?.to_ascii_lowercase())
}

/// Reads the events of a streamed answer until `data: [DONE]`.
pub(super) async fn read_events(
    url: &str,
    bytes: impl futures::Stream<Item = Result<bytes::Bytes, Piece>>,
    api: Api,
    sent_at: Instant,
) -> Result<StreamTiming, ProbeError> {
    let mut timing = StreamTiming::default();
    let mut decoder = SseDecoder::new();
    let mut bytes = std::pin::pin!(bytes);
    let cut = |timing: &StreamTiming, why: String| {
        ProbeError::new(
            ErrorKind::StreamCut,
            format!(
                "{url}: the stream was cut after {} token(s): {why}",
                timing.token_times.len()
            ),
        )
    };
    while let Some(piece) = bytes.next().await {
        let piece = match piece {
            Ok(piece) => piece,
            Err(Piece::Fatal(e)) => return Err(e),
            Err(Piece::Cut(why)) => return Err(cut(&timing, why)),
        };
        let arrived = sent_at.elapsed();
        let events = decoder.push(&piece).map_err(|e| {
            ProbeError::new(ErrorKind::BadEvent, format!("{url}: malformed stream: {e}"))
        })?;
        for event in events {
            match parse_event(api, &event.data) {
                Ok(StreamItem::Done) => {
                    timing.end = arrived;
                    return Ok(timing);
                }
                Ok(StreamItem::Chunk {
                    text,
                    completion_tokens,
                }) => {
                    if text {
                        timing.token_times.push(arrived);
                    }
                    if completion_tokens.is_some() {
                        timing.usage_tokens = completion_tokens;
                    }
                }
                Err(EventProblem::Malformed(why)) => {
                    return Err(ProbeError::new(
                        ErrorKind::BadEvent,
                        format!("{url}: {why}: {}", excerpt(&event.data)),
                    ));
                }
                Err(EventProblem::ServerError(message)) => {
                    return Err(ProbeError::new(
                        ErrorKind::StreamError,
                        format!("{url}: the server reported an error mid-stream: {message}"),
                    ));
                }
            }
        }
    }
    let why = if decoder.has_partial_event() {
        "the connection closed in the middle of an event".to_string()
    } else {
        "the connection closed before `data: [DONE]`".to_string()
    };
    Err(cut(&timing, why))
}
