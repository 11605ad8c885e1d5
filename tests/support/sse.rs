//! A minimal Server-Sent Events reader over reqwest, for tests and benches:
//! it plays a screen following `/api/live`.

use std::time::{Duration, Instant};

/// One event of the stream.
#[derive(Debug, Clone, Default)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// The data as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }
}

/// An open live stream.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    /// Connects to `url` with the extra headers given.
    pub async fn connect(url: &str, headers: &[(&str, String)]) -> SseStream {
        let mut request = reqwest::Client::new().get(url);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = request.send().await.expect("the live stream accepts connections");
        assert_eq!(response.status(), 200, "the live stream answers 200");
        SseStream { response, buffer: String::new() }
    }

    /// The next event (comments skipped), or `None` when the stream ended or
    /// `timeout` passed.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { event: "message".into(), ..Default::default() };
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if !data.is_empty() {
                    event.data = data.join("\n");
                    return Some(event);
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub async fn next_named(&mut self, name: &str, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let e = self.next(left).await?;
            if e.event == name {
                return Some(e);
            }
        }
    }
}
