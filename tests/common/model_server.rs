//! A real KServe model server for tests: `tests/model_server/server.py` run by the Python of
//! the venv named by `KDECK_KSERVE_VENV`, on free loopback ports, ready once
//! `/v2/health/ready` answers 200 (and the gRPC port accepts), killed when dropped (and it
//! exits by itself when the test process is gone). `shared()` is one server per test binary
//! with several models of different behaviour, so tests pay one Python start-up. Without
//! that venv (or without kserve in it) the test fails when `CI` is set; elsewhere `start`
//! says why and returns `None`, and the test returns early.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How many tries a server start makes when other processes take its ports.
pub const PORT_TRIES: usize = 5;

/// Whether a server's log says it could not bind a port: another process took the free
/// port between [`free_port`] and the server's bind (Python takes seconds to get there).
pub fn port_was_taken(log: &str) -> bool {
    log.to_ascii_lowercase().contains("already in use")
}

/// Waits up to 60 s until `ready(&server)`; `Err` with the exit status and the log when the
/// server's process exits first. Panics at the deadline.
pub fn wait_ready<S>(
    mut server: S,
    child: impl Fn(&mut S) -> &mut Child,
    log: impl Fn(&mut S) -> &mut std::fs::File,
    ready: impl Fn(&S) -> bool,
) -> Result<S, String> {
    use std::io::Seek;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if ready(&server) {
            return Ok(server);
        }
        if let Ok(Some(status)) = child(&mut server).try_wait() {
            let mut err = String::new();
            let file = log(&mut server);
            let _ = file.seek(std::io::SeekFrom::Start(0));
            let _ = file.read_to_string(&mut err);
            return Err(format!("exit {status}:\n{err}"));
        }
        assert!(
            Instant::now() < deadline,
            "the model server was not ready within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The venv's python, if the venv is set and has kserve (else see `missing_dependency`).
pub fn python() -> Option<PathBuf> {
    let Some(venv) = std::env::var_os("KDECK_KSERVE_VENV") else {
        super::missing_dependency("KDECK_KSERVE_VENV is not set (tests/run.sh sets it)");
        return None;
    };
    let python = PathBuf::from(venv).join("bin").join("python");
    let ok = Command::new(&python)
        .args(["-c", "import kserve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        super::missing_dependency(&format!(
            "{} cannot import kserve (KDECK_KSERVE_VENV)",
            python.display()
        ));
        return None;
    }
    Some(python)
}

/// A running model server.
pub struct ModelServer {
    child: Child,
    pub http_port: u16,
    pub grpc_port: u16,
    pub model: String,
    log: std::fs::File,
}

/// The models of the shared server: (name, latency ms, every Nth request fails).
pub const SHARED_MODELS: [(&str, u32, u32); 4] = [
    ("iris", 30, 0),
    ("sk", 60, 0),
    ("flaky", 0, 4),
    ("slow", 400, 0),
];

static SHARED: std::sync::OnceLock<Option<ModelServer>> = std::sync::OnceLock::new();

impl ModelServer {
    /// One server for the whole test binary serving `SHARED_MODELS` (its default model is
    /// `probe-model`); `None` without a usable venv.
    pub fn shared() -> Option<&'static ModelServer> {
        let server = SHARED
            .get_or_init(|| {
                let specs: Vec<String> = SHARED_MODELS
                    .iter()
                    .map(|(name, ms, every)| format!("{name}:{ms}:{every}"))
                    .collect();
                let flags: Vec<&str> = specs.iter().flat_map(|s| ["--model", s.as_str()]).collect();
                ModelServer::start("probe-model", &flags)
            })
            .as_ref();
        if server.is_none() {
            eprintln!("skipped: no KServe model server (see above: KDECK_KSERVE_VENV)");
        }
        server
    }
}

/// Only the lines of `model` (and the comment lines) of a model server's metrics: the view
/// of a pod that serves just that model.
pub fn only_model(metrics: &str, model: &str) -> String {
    let label = format!("model_name=\"{model}\"");
    metrics
        .lines()
        .filter(|l| l.starts_with('#') || !l.contains("model_name=") || l.contains(&label))
        .map(|l| format!("{l}\n"))
        .collect()
}

impl ModelServer {
    /// Starts the server with extra flags (e.g. `--latency_ms 20`); `None` when there is
    /// no usable venv. Panics when the server does not come up (that is a test failure).
    pub fn start(model: &str, flags: &[&str]) -> Option<ModelServer> {
        ModelServer::start_on(model, flags, None)
    }

    /// [`ModelServer::start`], its first try on `first` (http, grpc) ports when given; a try
    /// whose ports another process took is made again on fresh ones.
    pub fn start_on(model: &str, flags: &[&str], first: Option<(u16, u16)>) -> Option<ModelServer> {
        let python = python()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/model_server/server.py");
        let mut first = first;
        for _ in 0..PORT_TRIES {
            let (http_port, grpc_port) = first.take().unwrap_or_else(|| (free_port(), free_port()));
            // The server logs every request: into a file, so a full pipe never stalls it.
            let log = tempfile::tempfile().expect("a log file");
            let child = Command::new(&python)
                .arg(&script)
                .args(["--http_port", &http_port.to_string()])
                .args(["--grpc_port", &grpc_port.to_string()])
                .args(["--model_name", model])
                .args(["--parent_pid", &std::process::id().to_string()])
                .args(flags)
                .stdout(Stdio::null())
                .stderr(Stdio::from(log.try_clone().expect("clone the log file")))
                .spawn()
                .expect("start the model server");
            let server = ModelServer {
                child,
                http_port,
                grpc_port,
                model: model.to_string(),
                log,
            };
            let ready = |server: &ModelServer| {
                http_get(server.http_port, "/v2/health/ready").is_some_and(|(code, _)| code == 200)
                    && TcpStream::connect(("127.0.0.1", server.grpc_port)).is_ok()
            };
            match wait_ready(server, |s| &mut s.child, |s| &mut s.log, ready) {
                Ok(server) => return Some(server),
                Err(log) if port_was_taken(&log) => eprintln!(
                    "the model server's ports {http_port}/{grpc_port} were taken meanwhile; \
                     trying others"
                ),
                Err(log) => panic!("the model server exited before it was ready:\n{log}"),
            }
        }
        panic!("the model server lost its ports to other processes {PORT_TRIES} times")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn grpc_target(&self) -> String {
        format!("127.0.0.1:{}", self.grpc_port)
    }

    /// The server's `/metrics` text.
    pub fn metrics(&self) -> String {
        let (code, body) = http_get(self.http_port, "/metrics").expect("read /metrics");
        assert_eq!(code, 200, "{body}");
        body
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET on loopback: (status, body), or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let code = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((code, body))
}
