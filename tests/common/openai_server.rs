//! A real KServe model server serving the OpenAI data plane for tests:
//! `tests/model_server/openai_server.py` run by the Python of the venv named by
//! `KDECK_KSERVE_OPENAI_VENV` (PyPI `kserve==0.14.1`: later versions import vllm for the
//! OpenAI types; tests/run.sh creates `.venv-openai`), on a free loopback port, ready once
//! its model list answers, killed when dropped. Without that venv the test says why and
//! returns early; under `CI=true` a missing venv fails the test instead.

use super::model_server::{PORT_TRIES, free_port, http_get, port_was_taken, wait_ready};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The venv's python, if the venv is set and has kserve; panics under CI=true otherwise.
pub fn python() -> Option<PathBuf> {
    let missing = |why: String| {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {why}: run the tests through tests/run.sh, which creates it");
        }
        eprintln!("skipping: {why} (tests/run.sh sets it)");
        None
    };
    let Some(venv) = std::env::var_os("KDECK_KSERVE_OPENAI_VENV") else {
        return missing("KDECK_KSERVE_OPENAI_VENV is not set".into());
    };
    let python = PathBuf::from(venv).join("bin").join("python");
    let ok = Command::new(&python)
        .args(["-c", "import kserve.protocol.rest.openai"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return missing(format!(
            "{} cannot import kserve's OpenAI data plane",
            python.display()
        ));
    }
    Some(python)
}

/// A running OpenAI model server.
pub struct OpenAiServer {
    child: Child,
    pub port: u16,
    pub model: String,
    log: std::fs::File,
}

impl OpenAiServer {
    /// Starts the server for model `llm` with extra flags (`--ttft_ms 80`, `--route_prefix`
    /// …); `None` without a usable venv. Panics when it does not come up.
    pub fn start(flags: &[&str]) -> Option<OpenAiServer> {
        let python = python()?;
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/model_server/openai_server.py");
        for _ in 0..PORT_TRIES {
            let (port, grpc_port) = (free_port(), free_port());
            let log = tempfile::tempfile().expect("a log file");
            let child = Command::new(&python)
                .arg(&script)
                .args(["--http_port", &port.to_string()])
                .args(["--grpc_port", &grpc_port.to_string()])
                .args(["--model_name", "llm"])
                .args(["--parent_pid", &std::process::id().to_string()])
                .args(flags)
                .stdout(Stdio::null())
                .stderr(Stdio::from(log.try_clone().expect("clone the log file")))
                .spawn()
                .expect("start the OpenAI model server");
            let server = OpenAiServer {
                child,
                port,
                model: "llm".into(),
                log,
            };
            let ready = |server: &OpenAiServer| {
                http_get(server.port, "/v2/health/ready").is_some_and(|(code, _)| code == 200)
            };
            match wait_ready(server, |s| &mut s.child, |s| &mut s.log, ready) {
                Ok(server) => return Some(server),
                Err(log) if port_was_taken(&log) => eprintln!(
                    "the OpenAI model server's ports {port}/{grpc_port} were taken meanwhile; \
                     trying others"
                ),
                Err(log) => {
                    panic!("the OpenAI model server exited before it was ready:\n{log}")
                }
            }
        }
        panic!("the OpenAI model server lost its ports to other processes {PORT_TRIES} times")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
