//! A small incremental reader of server-sent events (the `text/event-stream` format the
//! OpenAI-compatible servers stream in): bytes go in as they arrive, whole events come out.
//! It follows the WHATWG rules kdeck needs: lines end in LF, CRLF or CR; `data:` lines of one
//! event are joined with LF; a blank line ends an event; `:` lines are comments; `event:` names
//! the event; other fields (`id`, `retry`) are ignored. A line longer than `MAX_LINE_BYTES` or
//! one that is not UTF-8 is a malformed stream, not something to buffer forever.

/// Lines longer than this are a malformed stream (an event of a generative server is a few
/// hundred bytes; this bounds the memory a broken server can make the probe hold).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when one was given.
    pub event: Option<String>,
    /// The `data:` lines, joined with LF.
    pub data: String,
}

/// Why the byte stream is not server-sent events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    LineTooLong,
    NotUtf8,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::LineTooLong => write!(
                f,
                "an event line is longer than {} KiB (not a server-sent event stream?)",
                MAX_LINE_BYTES / 1024
            ),
            SseError::NotUtf8 => f.write_str("an event line is not UTF-8"),
        }
    }
}

/// The reader's state between chunks of bytes.
#[derive(Debug, Default)]
pub struct SseDecoder {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a LF at the start of the next one belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
}

impl SseDecoder {
    pub fn new() -> SseDecoder {
        SseDecoder::default()
    }

    /// Feeds the next bytes; returns the events they completed.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        while !bytes.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if bytes[0] == b'\n' {
                    bytes = &bytes[1..];
                    continue;
                }
            }
            let Some(end) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') else {
                self.take_part(bytes)?;
                break;
            };
            self.take_part(&bytes[..end])?;
            self.after_cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            let line = std::mem::take(&mut self.line);
            let line = String::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
            if let Some(event) = self.line_done(&line) {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// Adds bytes of the current line, refusing lines past the limit.
    fn take_part(&mut self, part: &[u8]) -> Result<(), SseError> {
        if self.line.len() + part.len() > MAX_LINE_BYTES {
            return Err(SseError::LineTooLong);
        }
        self.line.extend_from_slice(part);
        Ok(())
    }

    /// Whether bytes of an unfinished event are held (at the end of the body: a cut stream).
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty() || self.data.is_some()
    }

    fn line_done(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| SseEvent { event, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn events_end_at_blank_lines_whatever_the_chunking() {
        let stream = b"data: {\"a\":1}\n\n: keep-alive\n\nevent: done\ndata: [DONE]\n\n";
        let mut whole = SseDecoder::new();
        let all = whole.push(stream).unwrap();
        assert_eq!(data(&all), vec!["{\"a\":1}", "[DONE]"]);
        assert_eq!(all[1].event.as_deref(), Some("done"));
        assert!(!whole.has_partial_event());
        // Byte by byte gives the same events.
        let mut split = SseDecoder::new();
        let mut got = Vec::new();
        for b in stream {
            got.extend(split.push(&[*b]).unwrap());
        }
        assert_eq!(got, all);
    }

    #[test]
    fn crlf_and_cr_line_ends_and_multi_line_data() {
        let mut d = SseDecoder::new();
        let mut got = d.push(b"data: one\r\ndata:two\r").unwrap();
        assert!(got.is_empty());
        // The LF after a CR that ended the last chunk is the same line end.
        got.extend(d.push(b"\n\r\n").unwrap());
        assert_eq!(data(&got), vec!["one\ntwo"]);
        let got = d.push(b"data: x\r\rdata\n\n").unwrap();
        assert_eq!(data(&got), vec!["x", ""]);
    }

    #[test]
    fn a_cut_event_is_held_as_partial() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: {\"choi").unwrap().is_empty());
        assert!(d.has_partial_event());
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: {}\n").unwrap().is_empty());
        assert!(d.has_partial_event(), "data without its blank line");
    }

    #[test]
    fn malformed_streams_are_errors_not_memory() {
        let mut d = SseDecoder::new();
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        assert_eq!(d.push(&long), Err(SseError::LineTooLong));
        let mut d = SseDecoder::new();
        assert_eq!(d.push(b"data: \xff\xfe\n\n"), Err(SseError::NotUtf8));
    }
}
