//! A tiny HTTP/1.1 server on a loopback port that streams: each request's method and path go
//! to a handler whose `Reply` is either a whole body or parts sent as HTTP chunks after
//! given delays, ending properly or cut (the connection closes before the last chunk). One
//! thread per connection, `Connection: close`: enough for stream faults, not for load.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the server answers to one request.
pub enum Reply {
    /// A whole body with this status and content type.
    Whole(u16, &'static str, String),
    /// `text/event-stream` parts, each sent after its delay; `cut` closes the connection
    /// before the end of the chunked body.
    Stream {
        parts: Vec<(Duration, String)>,
        cut: bool,
    },
}

pub type Handler = dyn Fn(&str, &str) -> Reply + Send + Sync;

pub struct FakeSse {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl FakeSse {
    /// Serves `handler(method, path)` until dropped.
    pub fn serve(handler: Box<Handler>) -> FakeSse {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handler: Arc<Handler> = Arc::from(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                std::thread::spawn(move || answer(stream, &*handler));
            }
        });
        FakeSse { port, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn answer(mut stream: TcpStream, handler: &Handler) {
    let _ = stream.set_nodelay(true);
    let Some((method, path)) = super::fake_http::read_request(&stream) else {
        return;
    };
    match handler(&method, &path) {
        Reply::Whole(code, content_type, text) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
        Reply::Stream { parts, cut } => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.flush();
            for (after, text) in parts {
                std::thread::sleep(after);
                if write!(stream, "{:x}\r\n{text}\r\n", text.len()).is_err() {
                    return;
                }
                let _ = stream.flush();
            }
            if !cut {
                let _ = write!(stream, "0\r\n\r\n");
            }
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for FakeSse {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so the thread ends.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
