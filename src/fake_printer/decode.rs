//! Reading back what kds sends a printer: the ESC/POS commands decoded
//! into text lines with their styles, raster images and cuts, and raster
//! images saved as PNG for a person to look at.
//!
//! What it owns: the decoder for exactly the commands `printing::escpos`
//! writes (anything else is kept in [`Page::unknown`], so a test notices).
//! What it never does: talk to the network (that is the fake printer).

use std::path::Path;

use serde::Serialize;

use crate::printing::escpos::{ESC, GS, LF};
use crate::printing::raster::Bitmap;
use crate::printing::CodePage;

/// A printed line of text, with its styles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
                        // GS v 0 m xL xH yL yH, then the rows.
                        let Some(h) = bytes.get(i + 4..i + 8) else {
                            page.unknown.extend_from_slice(&bytes[i..]);
                            break;
                        };
                        let (wb, rows) = (h[0] as u32 + 256 * h[1] as u32, h[2] as u32 + 256 * h[3] as u32);
                        let len = (wb * rows) as usize;
                        // A job cut off mid-image keeps what arrived, white below.
                        let mut data = bytes[i + 8..(i + 8 + len).min(bytes.len())].to_vec();
                        data.resize(len, 0);
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

/// Saves a raster as a PNG (black ink on white), creating its folder.
pub fn save_png(bitmap: &Bitmap, path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(path)?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), bitmap.width, bitmap.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    let inverted: Vec<u8> = bitmap.bits.iter().map(|b| !b).collect();
    writer.write_image_data(&inverted).map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
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
