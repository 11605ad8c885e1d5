//! ESC/POS: a [`Document`] encoded as the bytes an Epson-compatible
//! receipt printer understands, and the status queries the sender asks.
//!
//! A small encoder of the dozen commands a kitchen ticket needs, written
//! here rather than taken from the `escpos` crate: that crate writes through
//! its own blocking drivers, while the sender needs the whole job as bytes
//! first (to send on its own connection with timeouts and to know whether a
//! send was interrupted), and its raster path decodes image files through
//! the `image` crate where we already hold a bitmap. Every command sent is
//! listed here, and the fake printer in the tests decodes exactly these:
//!
//! | bytes | meaning |
//! |---|---|
//! | `ESC @` | initialise |
//! | `ESC t n` | character table (0 PC437, 16 WPC1252) |
//! | `ESC a n` | align (0 left, 1 centre) |
//! | `ESC E n` | bold on/off |
//! | `GS ! n` | size (`0x00` normal, `0x01` double height, `0x11` double both) |
//! | `GS B n` | inverse (white on black) on/off |
//! | `LF` | print the line |
//! | `GS v 0 m xL xH yL yH d…` | a raster image, 1 bit a dot, MSB first |
//! | `ESC d n` | feed n lines |
//! | `GS V 66 n` | feed and cut |
//! | `DLE EOT n` | status query (1 printer, 2 offline cause, 4 paper) |
//!
//! A line whose text the code page cannot hold is sent as a raster image
//! (`raster`), so Thai, Chinese or Vietnamese print on any printer.

use super::layout::{Align, Block, Document, Line, Size};
use super::printer::{CodePage, PrintMode, Printer};
use super::raster::{self, Bitmap};

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0A;

/// PC437's characters from 0x80 to 0xFF.
const PC437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
/// Windows-1252's characters from 0x80 to 0x9F (the rest is Latin-1).
const WPC1252_C1: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ";

impl CodePage {
    /// The `ESC t` table number.
    pub fn table(self) -> u8 {
        match self {
            CodePage::Pc437 => 0,
            CodePage::Wpc1252 => 16,
        }
    }

    /// The byte for one character, if the table has it.
    pub fn encode_char(self, c: char) -> Option<u8> {
        let u = c as u32;
        if (0x20..0x7F).contains(&u) {
            return Some(u as u8);
        }
        match self {
            CodePage::Pc437 => PC437_HIGH.chars().position(|h| h == c).map(|i| 0x80 + i as u8),
            CodePage::Wpc1252 => match u {
                0xA0..=0xFF => Some(u as u8),
                _ => WPC1252_C1.chars().position(|h| h == c && (h as u32) > 0xFF).map(|i| 0x80 + i as u8),
            },
        }
    }

    /// The character a byte stands for in this table (what a printer prints).
    pub fn decode_byte(self, b: u8) -> char {
        match (self, b) {
            (_, 0x00..=0x7F) => b as char,
            (CodePage::Pc437, _) => PC437_HIGH.chars().nth(usize::from(b - 0x80)).unwrap_or('?'),
            (CodePage::Wpc1252, 0x80..=0x9F) => WPC1252_C1.chars().nth(usize::from(b - 0x80)).unwrap_or('?'),
            (CodePage::Wpc1252, _) => char::from(b),
        }
    }

    /// The whole text in this table, or `None` if any character is missing.
    pub fn encode(self, text: &str) -> Option<Vec<u8>> {
        text.chars().map(|c| self.encode_char(c)).collect()
    }
}

/// Status queries, in the order the sender asks them.
pub const STATUS_PRINTER: [u8; 3] = [DLE, EOT, 1];
pub const STATUS_OFFLINE_CAUSE: [u8; 3] = [DLE, EOT, 2];
pub const STATUS_PAPER: [u8; 3] = [DLE, EOT, 4];

/// What a printer's status bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ready,
    CoverOpen,
    PaperOut,
}

/// Reads the answers to `DLE EOT 2` (bit 2: cover open; bit 5: stopped for
/// paper) and `DLE EOT 4` (bits 5 and 6: paper roll end).
pub fn condition(offline_cause: u8, paper: u8) -> Condition {
    if offline_cause & 0x04 != 0 {
        Condition::CoverOpen
    } else if paper & 0x60 != 0 || offline_cause & 0x20 != 0 {
        Condition::PaperOut
    } else {
        Condition::Ready
    }
}

/// The bytes for a whole document on `printer`.
pub fn encode(doc: &Document, printer: &Printer) -> Vec<u8> {
    let mut out = vec![ESC, b'@', ESC, b't', printer.code_page.table()];
    for block in &doc.blocks {
        match block {
            Block::Line(line) => encode_line(&mut out, line, printer),
            Block::Rule => {
                out.extend(std::iter::repeat_n(b'-', printer.columns()));
                out.push(LF);
            }
            Block::Cut => {
                out.extend([ESC, b'd', 3, GS, b'V', 66, 0]);
            }
        }
    }
    out
}

fn encode_line(out: &mut Vec<u8>, line: &Line, printer: &Printer) {
    let text = match printer.mode {
        PrintMode::Text => printer.code_page.encode(&line.text),
        PrintMode::Image => None,
    };
    out.extend([ESC, b'a', u8::from(line.align == Align::Center)]);
    match text {
        Some(bytes) => {
            let size = match line.size {
                Size::Normal => 0x00,
                Size::Tall => 0x01,
                Size::Large => 0x11,
            };
            out.extend([ESC, b'E', u8::from(line.bold), GS, b'!', size, GS, b'B', u8::from(line.inverse)]);
            out.extend(bytes);
            out.push(LF);
            out.extend([ESC, b'E', 0, GS, b'!', 0, GS, b'B', 0]);
        }
        None => raster_image(out, &raster::render_line(line, printer.dots())),
    }
}

/// `GS v 0`: a raster image at normal density.
pub fn raster_image(out: &mut Vec<u8>, bitmap: &Bitmap) {
    let width_bytes = bitmap.width.div_ceil(8);
    out.extend([GS, b'v', b'0', 0, (width_bytes & 0xFF) as u8, (width_bytes >> 8) as u8, (bitmap.height & 0xFF) as u8, (bitmap.height >> 8) as u8]);
    out.extend(&bitmap.bits);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printing::layout::Marks;
    use crate::printing::printer::Address;

    fn printer() -> Printer {
        Printer::new("hot", Address::Tcp { host: "localhost".into(), port: 9100 })
    }

    #[test]
    fn code_pages_hold_what_they_have_and_refuse_the_rest() {
        assert_eq!(CodePage::Pc437.encode("Café"), Some(b"Caf\x82".to_vec()), "é is 0x82 in PC437");
        assert_eq!(CodePage::Wpc1252.encode("Café €5"), Some(b"Caf\xe9 \x805".to_vec()), "é is 0xE9 and € 0x80 in 1252");
        assert_eq!(CodePage::Pc437.encode("ข้าวผัด"), None, "Thai is in neither table");
        assert_eq!(CodePage::Wpc1252.encode("Phở bò"), None, "ở is not in 1252");
        assert_eq!(PC437_HIGH.chars().count(), 128);
        assert_eq!(WPC1252_C1.chars().count(), 32);
    }

    #[test]
    fn a_line_in_the_code_page_is_text_with_its_styles() {
        let line = Line { text: "#P2D8".into(), size: Size::Large, bold: true, inverse: true, align: Align::Center };
        let doc = Document { blocks: vec![Block::Line(line), Block::Cut] };
        let bytes = encode(&doc, &printer());
        let expected: Vec<u8> = [
            &[ESC, b'@', ESC, b't', 0, ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x11, GS, b'B', 1][..],
            b"#P2D8\n",
            &[ESC, b'E', 0, GS, b'!', 0, GS, b'B', 0, ESC, b'd', 3, GS, b'V', 66, 0],
        ]
        .concat();
        assert_eq!(bytes, expected, "init, table, align, bold, size, inverse, text, reset, feed and cut");
    }

    #[test]
    fn a_line_outside_the_code_page_becomes_a_raster() {
        let line = Line { text: "ข้าวผัด 炒饭".into(), size: Size::Normal, bold: false, inverse: false, align: Align::Left };
        let bytes = encode(&Document { blocks: vec![Block::Line(line)] }, &printer());
        let at = bytes.windows(4).position(|w| w == [GS, b'v', b'0', 0]).expect("a GS v 0 raster is sent for Thai and Chinese");
        let (xl, xh, yl, yh) = (bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
        assert_eq!(usize::from(xl) + 256 * usize::from(xh), 576 / 8, "as wide as 80 mm paper");
        let height = usize::from(yl) + 256 * usize::from(yh);
        assert_eq!(bytes.len() - at - 8, 72 * height, "the image data follows, one bit a dot");
        let _ = Marks::default();
    }

    #[test]
    fn status_bytes_read_as_cover_open_or_paper_out() {
        assert_eq!(condition(0x12, 0x12), Condition::Ready, "fixed bits only: ready");
        assert_eq!(condition(0x16, 0x12), Condition::CoverOpen);
        assert_eq!(condition(0x12, 0x72), Condition::PaperOut);
    }
}
