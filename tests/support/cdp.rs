//! A small Chrome DevTools Protocol client for the browser tests: starts Debian's `chromium`
//! headless with a fresh profile, talks to it over its DevTools WebSocket (`tungstenite`, no
//! browser download, no async runtime), and records the page's console messages, exceptions,
//! network requests and dialogs as they arrive.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// Where chromium is: `$CHATCARVE_CHROMIUM`, else the first of the usual paths that exists.
pub fn chromium_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHATCARVE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Chromium, or `None` after saying why the test is skipped. With `CHATCARVE_REQUIRE_TOOLS=1`
/// a missing or broken chromium fails the test instead.
pub fn launch_or_skip(test: &str) -> Option<Browser> {
    let required = std::env::var("CHATCARVE_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let why = match chromium_path() {
        None => "chromium not found (apt-get install chromium, or set CHATCARVE_CHROMIUM)".to_owned(),
        Some(path) => match Browser::launch(&path) {
            Ok(b) => return Some(b),
            Err(e) => format!("chromium at {} did not start: {e}", path.display()),
        },
    };
    if required {
        panic!("{test}: {why}, and CHATCARVE_REQUIRE_TOOLS=1 requires it");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// One headless chromium with one page attached.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    session: String,
    /// Every event received so far (`{method, params}`).
    pub events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromium and opens a blank page with the Page, Runtime, Log and Network domains on.
    pub fn launch(path: &Path) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut child = Command::new(path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading to the end so chromium never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("no DevTools endpoint within 30 s".into());
            }
        };
        let host = url.strip_prefix("ws://").and_then(|r| r.split('/').next()).ok_or("bad DevTools url")?.to_owned();
        let stream = TcpStream::connect(&host).map_err(|e| e.to_string())?;
        let (ws, _) = tungstenite::client(url.as_str(), stream).map_err(|e| e.to_string())?;
        let mut b = Browser { child, ws, next_id: 0, session: String::new(), events: Vec::new(), _profile: profile };
        let target = b.send("Target.createTarget", json!({"url": "about:blank"}), false)?;
        let target_id = target["targetId"].as_str().ok_or("no targetId")?.to_owned();
        let attached = b.send("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}), false)?;
        b.session = attached["sessionId"].as_str().ok_or("no sessionId")?.to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"] {
            b.call(domain, json!({}))?;
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        // Runs before any script of the page, in its main world; CSP does not apply to it.
        b.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__csp = []; document.addEventListener('securitypolicyviolation', \
                function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });"}),
        )?;
        Ok(b)
    }

    fn read(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
        self.ws.get_ref().set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
        match self.ws.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str()).map(Some).map_err(|e| e.to_string()),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn send(&mut self, method: &str, params: Value, in_session: bool) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if in_session {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let Some(v) = self.read(deadline)? else { continue };
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
        Err(format!("{method}: no answer within 120 s"))
    }

    /// A command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.send(method, params, true)
    }

    /// Collects events for `wait`.
    pub fn pump(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.read(deadline) {
                Ok(Some(v)) if v.get("method").is_some() => self.events.push(v),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }

    /// Loads `url` and waits for its load event. Returns the time from the request to the event.
    pub fn navigate(&mut self, url: &str) -> Duration {
        let start = Instant::now();
        let before = self.events.len();
        self.call("Page.navigate", json!({"url": url})).expect("Page.navigate");
        let deadline = start + Duration::from_secs(300);
        loop {
            if self.events[before..].iter().any(|e| e["method"] == "Page.loadEventFired") {
                return start.elapsed();
            }
            assert!(Instant::now() < deadline, "no load event for {url} within 300 s");
            if let Ok(Some(v)) = self.read(deadline) {
                if v.get("method").is_some() {
                    self.events.push(v);
                }
            }
        }
    }

    /// Evaluates `expr` in the page and returns its value (JSON). Panics on an exception.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self
            .call("Runtime.evaluate", json!({"expression": expr, "returnByValue": true, "awaitPromise": true}))
            .unwrap_or_else(|e| panic!("evaluate {expr}: {e}"));
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("exception evaluating {expr}: {ex}");
        }
        r["result"]["value"].clone()
    }

    /// Evaluates `expr` until it is truthy (true, a non-zero number, a non-empty string); panics
    /// after `timeout`. Returns its value.
    pub fn wait_for(&mut self, expr: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.eval(expr);
            let truthy = match &v {
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Null => false,
                _ => true,
            };
            if truthy {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {expr}");
            self.pump(Duration::from_millis(50));
        }
    }

    /// A PNG of the viewport (or of the whole page with `full_page`).
    pub fn screenshot(&mut self, full_page: bool) -> Vec<u8> {
        use base64::Engine as _;
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": full_page}))
            .expect("captureScreenshot");
        base64::engine::general_purpose::STANDARD.decode(r["data"].as_str().expect("data")).expect("base64 png")
    }

    /// Console errors and warnings, uncaught exceptions, log entries of level error or warning
    /// (CSP violations are reported there), and dialogs opened by the page.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str() {
                Some("Runtime.consoleAPICalled")
                    if matches!(p["type"].as_str(), Some("error" | "warning" | "assert")) =>
                {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                Some("Runtime.exceptionThrown") => out.push(format!("exception: {}", p["exceptionDetails"])),
                Some("Log.entryAdded") if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) => {
                    out.push(format!("log {}: {}", p["entry"]["source"], p["entry"]["text"]))
                }
                Some("Page.javascriptDialogOpening") => out.push(format!("dialog: {}", p["message"])),
                _ => {}
            }
        }
        out
    }

    /// URLs the page requested that are not the report itself (`file:`) or inline (`data:`).
    pub fn remote_requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str())
            .filter(|u| !u.starts_with("file:") && !u.starts_with("data:") && !u.starts_with("about:"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
