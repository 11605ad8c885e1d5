//! A fake ESC/POS network printer: a real TCP server on 127.0.0.1 that
//! records what each connection sent, answers status queries (`DLE EOT n`)
//! with the condition the test sets, decodes the commands kds sends (text,
//! styles, raster images, cuts) and saves raster images as PNG.
//!
//! It can be stopped and started again on the same port (a printer switched
//! off), and told to drop the next connection after some bytes (a cable
//! pulled mid-ticket).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use kds::printing::escpos::{DLE, EOT, ESC, GS, LF};
use kds::printing::raster::Bitmap;
use kds::printing::CodePage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the printer says when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ready,
    CoverOpen,
    PaperOut,
}

/// One connection's bytes.
#[derive(Debug, Clone)]
pub struct Received {
    pub bytes: Vec<u8>,
    /// The fake cut the connection off before the sender finished.
    pub cut_off: bool,
    /// When the last byte arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    condition: Option<Condition>,
    cut_after: Option<usize>,
}

pub struct FakePrinter {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: Option<JoinHandle<()>>,
}

impl FakePrinter {
    /// A ready printer on a free port.
    pub async fn start() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the fake printer binds");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { condition: Some(Condition::Ready), ..State::default() }));
        let task = Some(tokio::spawn(accept(listener, state.clone())));
        FakePrinter { addr, state, task }
    }

    /// `tcp://127.0.0.1:PORT`, for the printer's config.
    pub fn address(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Switched off: connections are refused.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Switched on again, on the same port.
    pub async fn resume(&mut self) {
        self.stop();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let listener = TcpListener::bind(self.addr).await.expect("the fake printer binds its old port again");
        self.task = Some(tokio::spawn(accept(listener, self.state.clone())));
    }

    pub fn set_condition(&self, c: Condition) {
        self.state.lock().unwrap().condition = Some(c);
    }

    /// The next connection is cut off after `n` bytes of job data.
    pub fn cut_next_after(&self, n: usize) {
        self.state.lock().unwrap().cut_after = Some(n);
    }

    /// Every connection that sent something, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The completed jobs, decoded.
    pub fn pages(&self) -> Vec<Page> {
        self.received().iter().filter(|r| !r.cut_off).map(|r| decode(&r.bytes)).collect()
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept(listener: TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(connection(stream, state.clone()));
    }
}

async fn connection(mut stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let mut queries_over = false;
    let cut_after = state.lock().unwrap().cut_after.take();
    let mut cut_off = false;
    let mut at = std::time::Instant::now();
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        // Status queries come first, before any job data.
        while !queries_over && chunk.len() >= 3 && chunk[0] == DLE && chunk[1] == EOT {
            let condition = state.lock().unwrap().condition.unwrap_or(Condition::Ready);
            let answer = match (chunk[2], condition) {
                (2, Condition::CoverOpen) => 0x16,
                (2, Condition::PaperOut) => 0x32,
                (4, Condition::PaperOut) => 0x72,
                _ => 0x12,
            };
            let _ = stream.write_all(&[answer]).await;
            chunk = &chunk[3..];
        }
        if !chunk.is_empty() {
            queries_over = true;
        }
        bytes.extend_from_slice(chunk);
        at = std::time::Instant::now();
        // A status query after the job asks whether it all arrived.
        if queries_over && bytes.len() >= 3 && bytes[bytes.len() - 3..] == [DLE, EOT, 1] && cut_after.is_none_or(|limit| bytes.len() - 3 < limit) {
            bytes.truncate(bytes.len() - 3);
            let _ = stream.write_all(&[0x16]).await;
        }
        if let Some(limit) = cut_after {
            if bytes.len() >= limit {
                bytes.truncate(limit);
                cut_off = true;
                break;
            }
        }
    }
    if !bytes.is_empty() {
        state.lock().unwrap().received.push(Received { bytes, cut_off, at });
    }
}

/// A printed line of text, with its styles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub text: String,
    pub bold: bool,
    /// `GS !` size byte: 0 normal, 0x01 tall, 0x11 large.
    pub size: u8,
    pub inverse: bool,
}

/// One decoded job.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub lines: Vec<TextLine>,
    pub images: Vec<Bitmap>,
    pub cuts: usize,
    /// Bytes that were not a command the fake knows (should stay empty).
    pub unknown: Vec<u8>,
}

impl Page {
    /// The text lines joined by newlines.
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
    }

    pub fn has_line(&self, needle: &str) -> bool {
        self.lines.iter().any(|l| l.text.contains(needle))
    }
}

/// Decodes the ESC/POS kds sends.
pub fn decode(bytes: &[u8]) -> Page {
    let mut page = Page::default();
    let (mut bold, mut size, mut inverse, mut table) = (false, 0u8, false, CodePage::Pc437);
    let mut text = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            ESC => {
                let (cmd, arg) = (bytes.get(i + 1).copied(), bytes.get(i + 2).copied().unwrap_or(0));
                match cmd {
                    Some(b'@') => i += 2,
                    Some(b't') => {
                        table = if arg == 16 { CodePage::Wpc1252 } else { CodePage::Pc437 };
                        i += 3;
                    }
                    Some(b'E') => {
                        bold = arg != 0;
                        i += 3;
                    }
                    Some(b'a') | Some(b'd') => i += 3,
                    _ => {
                        page.unknown.push(b);
                        i += 1;
                    }
                }
            }
            GS => {
                let (cmd, arg) = (bytes.get(i + 1).copied(), bytes.get(i + 2).copied().unwrap_or(0));
                match cmd {
                    Some(b'!') => {
                        size = arg;
                        i += 3;
                    }
                    Some(b'B') => {
                        inverse = arg != 0;
                        i += 3;
                    }
                    Some(b'V') => {
                        page.cuts += 1;
                        i += if arg >= 65 { 4 } else { 3 };
                    }
                    Some(b'v') if bytes.get(i + 2) == Some(&b'0') => {
                        let h = &bytes[i + 4..i + 8];
                        let (wb, rows) = (h[0] as u32 + 256 * h[1] as u32, h[2] as u32 + 256 * h[3] as u32);
                        let len = (wb * rows) as usize;
                        let data = bytes[i + 8..(i + 8 + len).min(bytes.len())].to_vec();
                        page.images.push(Bitmap { width: wb * 8, height: rows, bits: data });
                        i += 8 + len;
                    }
                    _ => {
                        page.unknown.push(b);
                        i += 1;
                    }
                }
            }
            LF => {
                page.lines.push(TextLine { text: std::mem::take(&mut text), bold, size, inverse });
                i += 1;
            }
            _ => {
                text.push(table.decode_byte(b));
                i += 1;
            }
        }
    }
    page
}

/// Saves a raster as a PNG (black ink on white).
pub fn save_png(bitmap: &Bitmap, path: &Path) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), bitmap.width, bitmap.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().unwrap();
    let inverted: Vec<u8> = bitmap.bits.iter().map(|b| !b).collect();
    writer.write_image_data(&inverted).unwrap();
}

/// Stacks bitmaps of one width into one tall image.
pub fn stack(images: &[Bitmap]) -> Bitmap {
    let width = images.iter().map(|b| b.width).max().unwrap_or(8);
    let mut out = Bitmap { width, height: 0, bits: Vec::new() };
    for b in images.iter().filter(|b| b.width == width) {
        out.height += b.height;
        out.bits.extend_from_slice(&b.bits);
    }
    out
}
